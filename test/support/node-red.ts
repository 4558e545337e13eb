/**
 * Shared set-up for specs that run our nodes in a real Node-RED runtime (node-red-node-test-helper),
 * and the paths of the project's fixtures and the shared MIR-1K sample.
 */
import * as path from 'node:path';
import helper from 'node-red-node-test-helper';

export { REPO_ROOT, FIXTURES, MIR1K_SAMPLE } from './paths';

helper.init(require.resolve('node-red'));

/** Node-RED's own core nodes, for flows that wire ours to them. */
export function coreNode(file: string): (red: unknown) => void {
  return require(path.join(path.dirname(require.resolve('@node-red/nodes/package.json')), 'core', file)) as (red: unknown) => void;
}

/** A node of a test flow, as the editor exports it. */
export interface FlowNode {
  id: string;
  type: string;
  wires?: string[][];
  [property: string]: unknown;
}

type NodeInitializer = Parameters<typeof helper.load>[0];

/**
 * helper.load with flows typed loosely enough for our nodes' own config properties. Nodes without a
 * tab go on one (Node-RED takes a node with no `z` for a config node, and catch nodes need a flow).
 */
export function loadFlow(nodes: NodeInitializer | NodeInitializer[], flow: FlowNode[]): Promise<void> {
  const tab: FlowNode = { id: 'test-tab', type: 'tab', label: 'test' };
  // (Node ids must not equal a type name: the runtime reads any property naming another node's id as a
  // config-node reference, `type` included.)
  const placed = flow.map((node) => (node.type === 'tab' || 'z' in node ? node : { x: 100, y: 100, ...node, z: tab.id }));
  return helper.load(nodes as NodeInitializer, [tab, ...placed] as Parameters<typeof helper.load>[1]);
}

/** Records every status a node shows (the helper spies on node methods and emits 'call:status'). */
export function recordStatuses(node: object): Array<{ fill?: string; text?: string }> {
  const statuses: Array<{ fill?: string; text?: string }> = [];
  (node as import('node:events').EventEmitter).on('call:status', (call: { args: Array<{ fill?: string; text?: string }> }) => {
    statuses.push(call.args[0]);
  });
  return statuses;
}

export { helper };
