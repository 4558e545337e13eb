import assert from 'node:assert/strict';
import * as path from 'node:path';
import type { NodeMessage } from 'node-red';
import { decodeAudio, decodeAudioFile } from '../lib/audio/decode';
import { encodeWav } from '../lib/audio/encode';
import { resample } from '../lib/audio/resample';
import encodeInit from '../nodes/encode/encode';
import { FIXTURES, editorAccepts, editorDefinitions, helper, loadFlow, localized, nextMessage, nodeFile } from './support/node-red';
import { catchNode, expectCaught, expectRuntimeRejects, maxAbsDiff, mir1kClip, standardFlow, underTest } from './support/node-specs';

const TYPE = 'vocal-split-encode';
const node = localized(encodeInit, TYPE);
type BytesMsg = NodeMessage & { payload: Buffer; filename?: string };

describe('vocal-split-encode node', function () {
  afterEach(() => helper.unload());

  it('loads with its name and settings', async function () {
    await loadFlow(node, [{ id: 'enc-1', type: TYPE, name: 'wav it', bitDepth: '24', rate: '', wires: [] }]);
    assert.equal((helper.getNode('enc-1') as unknown as { name: string }).name, 'wav it');
  });

  it('the editor accepts 16/24/32 bits and an empty or integer rate up to 192 kHz', function () {
    const def = editorDefinitions(nodeFile(TYPE).replace(/\.js$/, '.html')).get(TYPE);
    assert.ok(def);
    for (const ok of ['16', '24', '32']) assert.ok(editorAccepts(def, 'bitDepth', ok), ok);
    for (const bad of ['8', '64', '']) assert.ok(!editorAccepts(def, 'bitDepth', bad), bad);
    for (const ok of ['', '44100', '8000', '192000']) assert.ok(editorAccepts(def, 'rate', ok), ok);
    for (const bad of ['0', '-1', '44.1', '200000', 'fast']) assert.ok(!editorAccepts(def, 'rate', bad), bad);
  });

  for (const [setting, value, pattern] of [
    ['bitDepth', '8', /WAV format must be 16, 24 \(PCM\) or 32 \(float\), got '8'/],
    ['rate', '44.1', /sample rate must be empty \(keep\) or an integer from 1 to 192000 Hz, got '44.1'/],
  ] as const) {
    it(`refuses ${setting} '${value}' at runtime`, async function () {
      await loadFlow([node, catchNode], standardFlow(TYPE, { [setting]: value }));
      await expectRuntimeRejects(pattern);
    });
  }

  it('encodes a real MIR-1K clip as 16-bit WAV, byte for byte as lib encodeWav, and passes msg properties through', async function () {
    await loadFlow([node, catchNode], standardFlow(TYPE, { bitDepth: '16' }));
    const clip = await mir1kClip();
    const received = nextMessage<BytesMsg>(helper.getNode('out'));
    underTest().receive({ payload: clip, filename: 'k.wav', topic: 't' } as NodeMessage);
    const msg = await received;
    assert.ok(Buffer.isBuffer(msg.payload));
    assert.ok(msg.payload.equals(encodeWav(clip, { bitDepth: 16 })));
    assert.equal(msg.filename, 'k.wav');
    assert.equal(msg.topic, 't');
  });

  it('writes 32-bit float exactly, and 24-bit PCM within its step', async function () {
    const audio = await decodeAudioFile(path.join(FIXTURES, 'audio', 'flac_s24_mono_48k.flac'));
    for (const [bitDepth, tolerance] of [['32', 0], ['24', 0.5 / 2 ** 23]] as const) {
      await loadFlow([node, catchNode], standardFlow(TYPE, { bitDepth }));
      const received = nextMessage<BytesMsg>(helper.getNode('out'));
      underTest().receive({ payload: audio } as NodeMessage);
      const back = await decodeAudio((await received).payload);
      assert.ok(maxAbsDiff(back, audio) <= tolerance, `${bitDepth}-bit`);
      await helper.unload();
    }
  });

  it('resamples first when a rate is set', async function () {
    await loadFlow([node, catchNode], standardFlow(TYPE, { bitDepth: '32', rate: '22050' }));
    const clip = await mir1kClip();
    const received = nextMessage<BytesMsg>(helper.getNode('out'));
    underTest().receive({ payload: clip } as NodeMessage);
    const back = await decodeAudio((await received).payload);
    assert.equal(back.sampleRate, 22050);
    assert.ok(maxAbsDiff(back, await resample(clip, 22050)) === 0);
  });

  for (const [label, payload, pattern] of [
    ['a Buffer', Buffer.alloc(3), /must be audio .*got Buffer \(3 bytes\)/],
    ['a spectrogram', { fftSize: 4096, hop: 1024, re: [], im: [] }, /must be audio .*got spectrogram/],
    ['audio with an infinite sample', { sampleRate: 8000, channels: [new Float32Array([0, Infinity])] }, /not a finite number/],
  ] as const) {
    it(`reports ${label} through a catch node, and a good message after it still succeeds`, async function () {
      await loadFlow([node, catchNode], standardFlow(TYPE));
      await expectCaught({ payload } as unknown as NodeMessage, pattern);
      const good = nextMessage<BytesMsg>(helper.getNode('out'));
      underTest().receive({ payload: { sampleRate: 8000, channels: [new Float32Array(80)] } } as NodeMessage);
      assert.equal((await good).payload.length, 44 + 160);
    });
  }
});
