import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Node, NodeMessage } from 'node-red';
import decodeInit from '../nodes/decode/decode';
import { FIXTURES, MIR1K_SAMPLE, coreNode, editorAccepts, editorDefinitions, helper, loadFlow, localized, nodeFile, recordStatuses, type FlowNode } from './support/node-red';
import { expectRuntimeRejects, standardFlow } from './support/node-specs';

const decodeNode = localized(decodeInit, 'vocal-split-decode');

interface AudioMsg extends NodeMessage {
  payload: { sampleRate: number; channels: Float32Array[] };
  filename?: string;
}

const catchNode = coreNode('common/25-catch.js') as typeof decodeNode;

function flow(extra: FlowNode[] = []): FlowNode[] {
  return [
    { id: 'dec', type: 'vocal-split-decode', maxSeconds: '1800', folder: FIXTURES, wires: [['out']] },
    { id: 'out', type: 'helper' },
    { id: 'catcher', type: 'catch', scope: ['dec'], wires: [['caught']] },
    { id: 'caught', type: 'helper' },
    ...extra,
  ];
}

function nextMessage<T>(node: Node): Promise<T> {
  return new Promise((resolve) => node.once('input', (msg: T) => resolve(msg)));
}

describe('vocal-split-decode node', function () {
  afterEach(async function () {
    await helper.unload();
  });

  it('loads with its name and config', async function () {
    await loadFlow(decodeNode, [{ id: 'dec', type: 'vocal-split-decode', name: 'my decoder', maxSeconds: '60', wires: [] }]);
    const node = helper.getNode('dec') as Node & { name: string };
    assert.equal(node.name, 'my decoder');
  });

  it('decodes a real MIR-1K clip from a Buffer and passes other msg properties through', async function () {
    await loadFlow([decodeNode, catchNode], flow());
    const bytes = fs.readFileSync(path.join(MIR1K_SAMPLE, 'Ani_1_06.wav'));
    const received = nextMessage<AudioMsg>(helper.getNode('out'));
    helper.getNode('dec').receive({ payload: bytes, filename: 'Ani_1_06.wav', topic: 'mir1k' } as NodeMessage);
    const msg = await received;
    assert.equal(msg.payload.sampleRate, 16000);
    assert.equal(msg.payload.channels.length, 2);
    // 16-bit PCM: data chunk bytes / 4 samples per channel, values are int16 / 32768.
    const expectedLength = (bytes.length - 44) / 4;
    assert.ok(Math.abs(msg.payload.channels[0].length - expectedLength) <= 1);
    const firstLeft = bytes.readInt16LE(44) / 32768;
    assert.ok(Math.abs(msg.payload.channels[0][0] - firstLeft) < 1e-6);
    assert.equal(msg.filename, 'Ani_1_06.wav');
    assert.equal(msg.topic, 'mir1k');
  });

  it('decodes a file path (a 440 Hz sine FLAC fixture)', async function () {
    await loadFlow([decodeNode, catchNode], flow());
    const received = nextMessage<AudioMsg>(helper.getNode('out'));
    helper.getNode('dec').receive({ payload: path.join(FIXTURES, 'audio', 'flac_s16_stereo_44k.flac') } as NodeMessage);
    const msg = await received;
    assert.equal(msg.payload.sampleRate, 44100);
    assert.equal(msg.payload.channels.length, 2);
    const left = msg.payload.channels[0];
    let crossings = 0;
    for (let i = 1; i < left.length; i++) if (left[i - 1] < 0 && left[i] >= 0) crossings++;
    const hz = crossings / (left.length / 44100);
    assert.ok(Math.abs(hz - 440) < 2, `left channel is ${hz.toFixed(1)} Hz, expected 440`);
  });

  it('decodes an MP3 with a damaged middle, and warns what was skipped (in the node\'s log, not an error)', async function () {
    await loadFlow([decodeNode, catchNode], flow());
    const dec = helper.getNode('dec');
    const warnings: string[] = [];
    (dec as unknown as import('node:events').EventEmitter).on('call:warn', (call: { args: unknown[] }) => warnings.push(String(call.args[0])));
    const damaged = fs.readFileSync(path.join(FIXTURES, 'audio', 'mp3_stereo_44k.mp3'));
    damaged.fill(0, damaged.length >> 1, (damaged.length >> 1) + 3000);
    const received = nextMessage<AudioMsg>(helper.getNode('out'));
    dec.receive({ payload: damaged } as NodeMessage);
    const msg = await received;
    assert.ok(msg.payload.channels[0].length > 0.75 * 66150, `decoded ${msg.payload.channels[0].length} of about 66150 samples`);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], /^MP3: skipped 1 damaged stretch \(\d+ bytes at byte \d+\); about 0\.\d\d s of audio is missing$/);
  });

  for (const [label, payload, pattern] of [
    ['a number', 42, /Buffer of audio bytes or a file path/],
    ['random bytes', Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 251)), /not a recognised audio format \(supported: WAV, MP3/],
    ['an empty Buffer', Buffer.alloc(0), /empty/i],
  ] as const) {
    it(`reports ${label} through a catch node, red status, and a good message after it still succeeds`, async function () {
      await loadFlow([decodeNode, catchNode], flow());
      const dec = helper.getNode('dec');
      const statuses = recordStatuses(dec);
      const caught = nextMessage<NodeMessage & { error: { message: string } }>(helper.getNode('caught'));
      dec.receive({ payload } as unknown as NodeMessage);
      const err = await caught;
      assert.match(err.error.message, pattern);
      assert.ok(statuses.some((s) => s.fill === 'red'), 'status turned red');
      const good = nextMessage<AudioMsg>(helper.getNode('out'));
      dec.receive({ payload: fs.readFileSync(path.join(FIXTURES, 'audio', 'wav_s16_mono_48k.wav')) } as NodeMessage);
      assert.equal((await good).payload.sampleRate, 48000);
    });
  }

  it('the editor accepts a max length in (0, 86400] s and nothing else', function () {
    const def = editorDefinitions(nodeFile('vocal-split-decode').replace(/\.js$/, '.html')).get('vocal-split-decode');
    assert.ok(def);
    for (const ok of ['1800', '0.5', '86400']) assert.ok(editorAccepts(def, 'maxSeconds', ok), ok);
    for (const bad of ['-5', '0', '', 'abc', '86401']) assert.ok(!editorAccepts(def, 'maxSeconds', bad), bad);
  });

  it('refuses an absurd max duration at runtime: red status, and each message fails with the reason', async function () {
    await loadFlow([decodeNode, catchNode], standardFlow('vocal-split-decode', { maxSeconds: '-5' }));
    await expectRuntimeRejects(/max length must be more than 0 and at most 86400 s, got '-5'/);
  });
});
