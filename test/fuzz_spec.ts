/**
 * Fuzzing the nodes that take audio bytes: seeded mutations and truncations of every fixture format
 * (test/support/fuzz-corpus.ts) through the decode node and the vocal-split node in a real
 * Node-RED runtime. Every message must end, within a time bound, in a result that is audio (finite
 * samples) or in a clear error through the catch node; the runtime keeps working and its heap goes
 * back to where it was.
 *
 * CI runs a short seeded run; `npm run fuzz` the long one (FUZZ_DECODE / FUZZ_SPLIT variants per
 * format, FUZZ_SEED).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import type { NodeMessage } from 'node-red';
import { cachedEngineCount } from '../lib/model/backends';
import type { AudioData } from '../lib/audio/types';
import decodeInit from '../nodes/decode/decode';
import vocalSplitInit from '../nodes/vocal-split/vocal-split';
import { mutate } from './support/fuzz-corpus';
import { FIXTURES, helper, loadFlow, localized, smallTestModel } from './support/node-red';
import { catchNode, type CaughtMsg } from './support/node-specs';

const DECODE_VARIANTS = Number(process.env.FUZZ_DECODE ?? 100);
const SPLIT_VARIANTS = Number(process.env.FUZZ_SPLIT ?? 25);
const SEED = Number(process.env.FUZZ_SEED ?? 1);
/** No single message may take longer (the fixtures are a few seconds of audio at most). */
const PER_MESSAGE_MS = 20_000;

const FORMATS = fs.readdirSync(path.join(FIXTURES, 'audio')).sort();

v8.setFlagsFromString('--expose_gc');
const gc = vm.runInNewContext('gc') as () => void;
function heapMB(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed / 2 ** 20;
}

/**
 * node-red-node-test-helper spies on every Node method with sinon, and sinon keeps each call's
 * arguments (every message, with its decoded audio) until the history is reset: without this the
 * heap would grow with the test harness's records, not with anything of ours.
 */
function forgetSpyHistory(): void {
  (helper as unknown as { _sandbox?: { resetHistory(): void } })._sandbox?.resetHistory();
}

function emitter(id: string): import('node:events').EventEmitter {
  return helper.getNode(id) as unknown as import('node:events').EventEmitter;
}

interface Outcome { ok: number; errors: Map<string, number> }

/** Sends one message to `nodeId` and waits for its outputs or its error, within PER_MESSAGE_MS. */
function oneMessage(nodeId: string, outputs: number, msg: NodeMessage, id: string): Promise<{ out?: NodeMessage[]; error?: string }> {
  return new Promise((resolve, reject) => {
    const got: NodeMessage[] = [];
    const outIds = outputs === 2 ? ['out', 'out2'] : ['out'];
    const cleanup = (): void => {
      clearTimeout(timer);
      outIds.forEach((o) => emitter(o).removeListener('input', onOut));
      emitter('caught').removeListener('input', onErr);
    };
    const onOut = (m: NodeMessage): void => {
      got.push(m);
      if (got.length === outputs) { cleanup(); resolve({ out: got }); }
    };
    const onErr = (m: CaughtMsg): void => { cleanup(); resolve({ error: m.error.message }); };
    const timer = setTimeout(() => { cleanup(); reject(new Error(`${id}: no result and no error after ${PER_MESSAGE_MS} ms`)); }, PER_MESSAGE_MS);
    outIds.forEach((o) => emitter(o).on('input', onOut));
    emitter('caught').on('input', onErr);
    helper.getNode(nodeId).receive(msg);
  });
}

function checkAudio(a: unknown, id: string): void {
  const audio = a as AudioData;
  assert.ok(audio && Array.isArray(audio.channels) && audio.channels.length > 0 && audio.sampleRate > 0, `${id}: a result is audio`);
  for (const ch of audio.channels) {
    for (let i = 0; i < ch.length; i++) if (!Number.isFinite(ch[i])) assert.fail(`${id}: sample ${i} is ${ch[i]}`);
  }
}

async function fuzz(nodeId: string, outputs: number, variants: number, check: (out: NodeMessage[], id: string) => void): Promise<Outcome> {
  const outcome: Outcome = { ok: 0, errors: new Map() };
  for (const file of FORMATS) {
    const bytes = fs.readFileSync(path.join(FIXTURES, 'audio', file));
    for (let i = 0; i < variants; i++) {
      const v = mutate(file, bytes, SEED, i);
      const r = await oneMessage(nodeId, outputs, { payload: v.bytes, topic: v.id }, v.id);
      forgetSpyHistory();
      if (r.out) {
        check(r.out, v.id);
        outcome.ok++;
      } else {
        assert.ok(r.error && r.error.length > 10 && !/^(TypeError|RangeError)|\[object|Cannot read prop/.test(r.error), `${v.id}: a clear error (got ${JSON.stringify(r.error)})`);
        const kind = r.error.replace(/[0-9]+/g, 'N').slice(0, 40);
        outcome.errors.set(kind, (outcome.errors.get(kind) ?? 0) + 1);
      }
    }
  }
  return outcome;
}

function report(what: string, o: Outcome): void {
  const total = o.ok + [...o.errors.values()].reduce((a, b) => a + b, 0);
  console.log(`      ${what}: ${total} variants, ${o.ok} decoded, ${total - o.ok} refused with ${o.errors.size} kinds of error`);
}

describe(`fuzz (seed ${SEED}): mutated and truncated files of every fixture format`, function () {
  this.timeout(0);
  let model: string;
  before(async function () { model = await smallTestModel(); });
  afterEach(async function () {
    await helper.unload();
    assert.equal(cachedEngineCount(), 0, 'every engine freed once the nodes closed');
  });

  const flow = (type: string, config: Record<string, unknown>, outputs: number) => [
    { id: 'fuzzed', type, ...config, wires: outputs === 2 ? [['out'], ['out2']] : [['out']] },
    { id: 'out', type: 'helper' },
    { id: 'out2', type: 'helper' },
    { id: 'catcher', type: 'catch', scope: ['fuzzed'], wires: [['caught']] },
    { id: 'caught', type: 'helper' },
  ];

  it(`the decode node: ${DECODE_VARIANTS} variants × ${FORMATS.length} formats each end in audio or a clear error, and the heap returns`, async function () {
    await loadFlow([localized(decodeInit, 'vocal-split-decode'), catchNode], flow('vocal-split-decode', { maxSeconds: '60' }, 1));
    const before = heapMB();
    const o = await fuzz('fuzzed', 1, DECODE_VARIANTS, (out, id) => checkAudio(out[0].payload, id));
    report('decode', o);
    assert.ok(o.ok > 0 && o.errors.size > 0, 'the corpus has both decodable and broken files');
    // Still working: a good file decodes.
    const good = await oneMessage('fuzzed', 1, { payload: fs.readFileSync(path.join(FIXTURES, 'audio', 'mp3_stereo_44k.mp3')) }, 'good');
    assert.ok(good.out, 'a good file still decodes');
    const after = heapMB();
    console.log(`      heap after GC: ${before.toFixed(1)} MB before, ${after.toFixed(1)} MB after`);
    assert.ok(after - before < 32, `heap back near its baseline (${before.toFixed(1)} → ${after.toFixed(1)} MB)`);
  });

  it(`the vocal-split node: ${SPLIT_VARIANTS} variants × ${FORMATS.length} formats each end in two stems or a clear error, and the heap returns`, async function () {
    await loadFlow([localized(vocalSplitInit, 'vocal-split'), catchNode], flow('vocal-split', { model, backend: 'onnx', output: 'audio', maxSeconds: '60' }, 2));
    const before = heapMB();
    const o = await fuzz('fuzzed', 2, SPLIT_VARIANTS, (out, id) => {
      out.forEach((m) => checkAudio(m.payload, id));
    });
    report('vocal-split', o);
    assert.ok(o.ok > 0, 'some variants still separate');
    const after = heapMB();
    console.log(`      heap after GC: ${before.toFixed(1)} MB before, ${after.toFixed(1)} MB after`);
    assert.ok(after - before < 32, `heap back near its baseline (${before.toFixed(1)} → ${after.toFixed(1)} MB)`);
  });
});
