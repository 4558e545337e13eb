/**
 * What the node specs share: a standard test flow (the node under test, its outputs, a catch node),
 * error checks through the catch node, and real audio to feed the nodes.
 */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import type { Node, NodeMessage } from 'node-red';
import { decodeAudioFile } from '../../lib/audio/decode';
import type { AudioData } from '../../lib/audio/types';
import { MIR1K_SAMPLE, coreNode, helper, nextMessage, recordStatuses, type FlowNode } from './node-red';

export const UNDER_TEST = 'under-test';
export const catchNode = coreNode('common/25-catch.js') as (red: import('node-red').NodeAPI) => void;

/** The node under test wired to helper nodes `out` (and `out2`), and a catch node scoped to it feeding `caught`. */
export function standardFlow(type: string, config: Record<string, unknown> = {}, outputs = 1): FlowNode[] {
  return [
    { id: UNDER_TEST, type, ...config, wires: outputs === 2 ? [['out'], ['out2']] : [['out']] },
    { id: 'out', type: 'helper' },
    { id: 'out2', type: 'helper' },
    { id: 'catcher', type: 'catch', scope: [UNDER_TEST], wires: [['caught']] },
    { id: 'caught', type: 'helper' },
  ];
}

export type CaughtMsg = NodeMessage & { error: { message: string; source: { id: string } } };

export function underTest(): Node {
  return helper.getNode(UNDER_TEST);
}

/** Sends `bad`; the catch node must get an error matching `pattern`, and the status must turn red. */
export async function expectCaught(bad: NodeMessage, pattern: RegExp): Promise<CaughtMsg> {
  const node = underTest();
  const statuses = recordStatuses(node);
  const caught = nextMessage<CaughtMsg>(helper.getNode('caught'));
  node.receive(bad);
  const err = await caught;
  assert.match(err.error.message, pattern);
  assert.equal(err.error.source.id, UNDER_TEST);
  await new Promise((r) => setImmediate(r)); // the helper reports status calls on the next tick
  assert.ok(statuses.some((s) => s.fill === 'red'), `status turned red (saw ${JSON.stringify(statuses)})`);
  return err;
}

/** A config the runtime refuses: red status, nothing sent, and every message fails with `pattern`. */
export async function expectRuntimeRejects(pattern: RegExp): Promise<void> {
  const caught = nextMessage<CaughtMsg>(helper.getNode('caught'));
  let sent = false;
  helper.getNode('out').on('input', () => { sent = true; });
  underTest().receive({ payload: 'anything' });
  assert.match((await caught).error.message, pattern);
  assert.equal(sent, false);
}

const clips = new Map<string, Promise<AudioData>>();
/** A MIR-1K sample clip (16 kHz stereo: accompaniment left, voice right), decoded once per process. */
export function mir1kClip(name = 'Kenshin_2_10.wav'): Promise<AudioData> {
  let clip = clips.get(name);
  if (!clip) {
    clip = decodeAudioFile(path.join(MIR1K_SAMPLE, name));
    clips.set(name, clip);
  }
  return clip;
}

/** A song of `seconds` at 44.1 kHz stereo from a real clip (Kenshin_2_10), looped: voice left of centre. */
export async function loopedSong(seconds: number): Promise<AudioData> {
  const clip = await mir1kClip();
  const n = Math.round(seconds * 44100);
  const [acc, voice] = clip.channels;
  const left = new Float32Array(n);
  const right = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const j = Math.floor((i * 16000) / 44100) % acc.length;
    left[i] = 0.5 * (acc[j] + voice[j]);
    right[i] = 0.5 * (acc[j] - voice[j]);
  }
  return { sampleRate: 44100, channels: [left, right] };
}

/** The largest |a[i] − b[i]| over every channel; throws if the shapes differ. */
export function maxAbsDiff(a: AudioData, b: AudioData): number {
  assert.equal(a.sampleRate, b.sampleRate, 'sample rates');
  assert.equal(a.channels.length, b.channels.length, 'channel counts');
  let max = 0;
  a.channels.forEach((x, c) => {
    const y = b.channels[c];
    assert.equal(x.length, y.length, `channel ${c} lengths`);
    for (let i = 0; i < x.length; i++) max = Math.max(max, Math.abs(x[i] - y[i]));
  });
  return max;
}
