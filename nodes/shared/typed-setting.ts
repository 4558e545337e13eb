/**
 * Settings the editor shows as a typedInput (as core nodes do): a value and the type that says where
 * it is read from for each message: a msg property, flow or global context, an environment variable,
 * or the text itself. Read per message with RED.util.evaluateNodeProperty.
 */
import type { Node, NodeAPI, NodeMessageInFlow } from 'node-red';

export const SETTING_TYPES = ['msg', 'flow', 'global', 'str', 'env'] as const;
export type SettingType = (typeof SETTING_TYPES)[number];

export interface TypedSetting {
  value: string;
  type: SettingType;
}

/**
 * The setting as the node's config holds it (`value` and `type` fields), checked: the type is one of
 * `types`, and a msg, flow or global value is a property name Node-RED can read. A missing type
 * (a flow saved before the setting was a typedInput) is `fallback.type`; a missing value is
 * `fallback.value`. Returns which part is wrong otherwise.
 */
export function typedSetting(
  RED: NodeAPI, value: unknown, type: unknown, fallback: TypedSetting, types: readonly SettingType[],
): TypedSetting | { bad: 'type' | 'property'; value: string } {
  const t = type === undefined || type === '' ? fallback.type : type;
  const found = types.find((x) => x === t);
  if (!found) return { bad: 'type', value: String(type) };
  const v = value === undefined || value === null ? fallback.value : String(value);
  if (found === 'msg' || found === 'flow' || found === 'global') {
    try {
      const key = found === 'msg' ? v : RED.util.parseContextStore(v).key;
      RED.util.normalisePropertyExpression(key);
    } catch {
      return { bad: 'property', value: v };
    }
  }
  return { value: v, type: found };
}

/** How a setting reads in messages: msg.topic, flow.key, global.key, env.NAME or "text". */
export function describeSetting(setting: TypedSetting): string {
  return setting.type === 'str' ? JSON.stringify(setting.value) : `${setting.type}.${setting.value}`;
}

/**
 * Reads the setting for each message as it arrives, as core nodes do (a flow context value set after
 * a message came does not change what that message reads, however long it waits in the queue); flow
 * and global go through evaluateNodeProperty's callback, as a context store may answer later. The
 * returned function gives the value read for a message when its turn comes.
 */
export function settingReader(RED: NodeAPI, node: Node, setting: TypedSetting): (msg: NodeMessageInFlow) => Promise<unknown> {
  const read = (msg: NodeMessageInFlow): Promise<unknown> => new Promise<unknown>((resolve, reject) => {
    RED.util.evaluateNodeProperty(setting.value, setting.type, node, msg, (err: Error | null, result: unknown) => {
      if (err) reject(err);
      else resolve(result);
    });
  });
  const readOnArrival = new WeakMap<NodeMessageInFlow, Promise<unknown>>();
  // An input listener without `done` (two parameters at most): Node-RED does not wait for it to complete the message.
  node.on('input', (msg: NodeMessageInFlow) => {
    const value = read(msg);
    value.catch(() => undefined); // the message's job gets the error
    readOnArrival.set(msg, value);
  });
  return (msg) => {
    const value = readOnArrival.get(msg) ?? read(msg);
    readOnArrival.delete(msg);
    return value;
  };
}
