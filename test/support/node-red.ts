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
export function recordStatuses(node: object): Array<{ fill?: string; shape?: string; text?: string }> {
  const statuses: Array<{ fill?: string; shape?: string; text?: string }> = [];
  (node as import('node:events').EventEmitter).on('call:status', (call: { args: Array<{ fill?: string; shape?: string; text?: string }> }) => {
    statuses.push(call.args[0]);
  });
  return statuses;
}

export { helper };

// ---------------------------------------------------------------------------------------------
// Added for the node specs: real message catalogs, completion records, editor definitions, models.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as vm from 'node:vm';
import { hooks, i18n, util as redUtil } from '@node-red/util';
import type { NodeAPI } from 'node-red';
import { createRandomModel } from '../../lib/model/weights-io';
import { REPO_ROOT } from './paths';

type SingleInitializer = (red: NodeAPI) => void | Promise<void>;

interface PackageJson { name: string; 'node-red': { nodes: Record<string, string> } }
export const PACKAGE: PackageJson = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as PackageJson;

/** The compiled runtime file of a node type, as package.json maps it. */
export function nodeFile(type: string): string {
  const file = PACKAGE['node-red'].nodes[type];
  if (!file) throw new Error(`package.json has no node '${type}'`);
  return path.join(REPO_ROOT, file);
}

/**
 * The node's initializer with RED._ looking keys up in the real en-US message catalogs, the way
 * Node-RED's registry namespaces them: a key without a namespace in the node's own, 'set:key' in that
 * set's (every set of the package is registered, as an install does; node-red-node-test-helper's RED._
 * returns the key).
 */
export function localized(init: SingleInitializer, type: string): SingleInitializer {
  const namespace = `${PACKAGE.name}/${type}`;
  return async (red: NodeAPI) => {
    (i18n as unknown as { init(settings: { lang: string }): void }).init({ lang: 'en-US' });
    for (const set of Object.keys(PACKAGE['node-red'].nodes)) {
      const file = nodeFile(set);
      await i18n.registerMessageCatalog(`${PACKAGE.name}/${set}`, path.join(path.dirname(file), 'locales'), path.basename(file).replace(/\.js$/, '.json'));
    }
    const local = Object.create(red) as typeof red;
    Object.defineProperty(local, '_', {
      value: (key: string, subs?: Record<string, string | number>) => i18n._(key.includes(':') ? key : `${namespace}:${key}`, subs),
    });
    return init(local);
  };
}

export interface Completion { nodeId: string; msg: Record<string, unknown>; error?: unknown }

/** Records every done() of every node (Node-RED's onComplete hook); call stop() after the test. */
export function recordCompletions(): { completions: Completion[]; stop(): void } {
  const completions: Completion[] = [];
  const label = `onComplete.vocalSplitTest${Math.random().toString(36).slice(2)}`;
  hooks.add(label, (event: { msg: Record<string, unknown>; error?: unknown; node: { id: string } }) => {
    completions.push({ nodeId: event.node.id, msg: event.msg, error: event.error });
  });
  return { completions, stop: () => hooks.remove(label) };
}

/** What an editor .html registers: RED.nodes.registerType(type, definition), run in a sandbox without jQuery. */
export interface EditorDefinition {
  category: string;
  defaults: Record<string, { value: unknown; required?: boolean; validate?: (this: Record<string, unknown>, v: unknown, opt?: unknown) => unknown }>;
  inputs: number;
  outputs: number;
  [key: string]: unknown;
}

/** Node-RED's RED.validators (editor-client red/validators.js), for definitions that use them. */
const VALIDATORS = {
  number: (blankAllowed?: boolean) => (v: unknown) => (blankAllowed === true && (v === '' || v === undefined)) || (v !== '' && !Number.isNaN(Number(v))),
  regex: (re: RegExp) => (v: unknown) => re.test(String(v)),
  typedInput: () => () => true,
};

/**
 * RED.utils.validatePropertyExpression of the editor: true when Node-RED can parse the property
 * name (the editor's normalisePropertyExpression is the runtime's, which this calls).
 */
function validatePropertyExpression(value: unknown): boolean {
  try {
    redUtil.normalisePropertyExpression(String(value));
    return true;
  } catch {
    return false;
  }
}

/**
 * Runs a node's editor .html the way the editor loads it: its `<script src="resources/<package>/…">` files
 * first (Node-RED serves the package's resources/ folder there), then its inline scripts, all in one
 * window, with a RED that records registerType calls and offers RED.validators and RED.utils.validatePropertyExpression.
 */
export function editorDefinitions(htmlFile: string, globals: Record<string, unknown> = {}): Map<string, EditorDefinition> {
  const html = fs.readFileSync(htmlFile, 'utf8');
  const defs = new Map<string, EditorDefinition>();
  const RED = {
    nodes: { registerType: (type: string, def: EditorDefinition) => { defs.set(type, def); } },
    validators: VALIDATORS,
    utils: { validatePropertyExpression },
    _: (key: string) => key,
  };
  const window = vm.createContext({ ...globals, RED });
  vm.runInContext('var window = this;', window);
  for (const m of html.matchAll(/<script type="text\/javascript"(?: src="([^"]+)")?>([\s\S]*?)<\/script>/g)) {
    if (m[1]) {
      const resource = /^resources\/([^/]+)\/(.+)$/.exec(m[1]);
      if (!resource || resource[1] !== PACKAGE.name) throw new Error(`${htmlFile}: script from ${m[1]}, not this package's resources/`);
      vm.runInContext(fs.readFileSync(path.join(REPO_ROOT, 'resources', resource[2]), 'utf8'), window);
    } else {
      vm.runInContext(m[2], window);
    }
  }
  return defs;
}

/**
 * The editor's check of one property (validateNodeProperty in editor-client red/nodes.js): an
 * environment variable reference passes, a required one must not be '', validate must return true.
 */
export function editorPropertyValid(def: EditorDefinition, field: string, node: Record<string, unknown>): boolean {
  const spec = def.defaults[field];
  if (!spec) throw new Error(`no field ${field}`);
  const value = node[field];
  if (typeof value === 'string' && /^\$(\([a-zA-Z_][a-zA-Z0-9_]*\)|\{[a-zA-Z_][a-zA-Z0-9_]*\})$/.test(value)) return true;
  if (spec.required && value === '') return false;
  return spec.validate ? spec.validate.call(node, value) === true : true;
}

/** Whether the editor would accept `value` for `field` of a node with `settings` (validate, or required). */
export function editorAccepts(def: EditorDefinition, field: string, value: unknown, settings: Record<string, unknown> = {}): boolean {
  if (!def.defaults[field]) throw new Error(`no field ${field}`);
  const node: Record<string, unknown> = {};
  for (const [k, d] of Object.entries(def.defaults)) node[k] = d.value;
  Object.assign(node, settings, { [field]: value });
  return editorPropertyValid(def, field, node);
}

/** A small random U-Net (F 64, T 64, depth 3) saved once per test process in a temp folder. */
let testModel: Promise<string> | undefined;
export function smallTestModel(): Promise<string> {
  testModel ??= (async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vocal-split-node-model-'));
    process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
    await createRandomModel(dir, { bins: 64, frames: 64, baseFilters: 4, depth: 3, channelsIn: 1 }, { seed: 5 });
    return dir;
  })();
  return testModel;
}

/** Resolves with the next message a node receives. */
export function nextMessage<T>(node: import('node:events').EventEmitter): Promise<T> {
  return new Promise((resolve) => node.once('input', (msg: T) => resolve(msg)));
}

/** Resolves with the next `count` messages a node receives. */
export function nextMessages<T>(node: import('node:events').EventEmitter, count: number): Promise<T[]> {
  return new Promise((resolve) => {
    const got: T[] = [];
    const on = (msg: T): void => {
      got.push(msg);
      if (got.length === count) {
        node.removeListener('input', on);
        resolve(got);
      }
    };
    node.on('input', on);
  });
}

/** Records what a node logs with node.log() (the helper emits 'call:log' for each call). */
export function recordLogs(node: object): string[] {
  const logs: string[] = [];
  (node as import('node:events').EventEmitter).on('call:log', (call: { args: unknown[] }) => { logs.push(String(call.args[0])); });
  return logs;
}
