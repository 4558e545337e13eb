import assert from 'node:assert/strict';
import * as path from 'node:path';
import type { NodeMessage } from 'node-red';
import { decodeAudioFile } from '../lib/audio/decode';
import { resample } from '../lib/audio/resample';
import { stft } from '../lib/dsp/stft';
import type { Spectrogram } from '../lib/dsp/types';
import { MODEL_RESAMPLING } from '../lib/model/signal-framing';
import stftNode from '../nodes/stft/stft';
import { FIXTURES, editorAccepts, editorDefinitions, helper, loadFlow, localized, nextMessage, nodeFile, recordStatuses } from './support/node-red';
import { catchNode, expectCaught, expectRuntimeRejects, mir1kClip, standardFlow, underTest } from './support/node-specs';

const TYPE = 'vocal-split-stft';
const node = localized(stftNode, TYPE);
type SpecMsg = NodeMessage & { payload: Spectrogram; originalSampleRate: number; filename?: string };

describe('vocal-split-stft node', function () {
  afterEach(() => helper.unload());

  it('loads with its name and settings', async function () {
    await loadFlow(node, [{ id: 'stft-1', type: TYPE, name: 'my stft', fftSize: '2048', hop: '512', resample: false, wires: [] }]);
    assert.equal((helper.getNode('stft-1') as unknown as { name: string }).name, 'my stft');
  });

  it('the editor accepts a power-of-two FFT size and a hop dividing it, and nothing else', function () {
    const def = editorDefinitions(nodeFile(TYPE).replace(/\.js$/, '.html')).get(TYPE);
    assert.ok(def);
    assert.equal(def.category, 'vocal split');
    for (const ok of ['4096', '16', '65536', '2048']) assert.ok(editorAccepts(def, 'fftSize', ok), ok);
    for (const bad of ['4000', '0', '-4096', 'abc', '', '131072', '8']) assert.ok(!editorAccepts(def, 'fftSize', bad), bad);
    for (const ok of ['1024', '2048', '512', '1']) assert.ok(editorAccepts(def, 'hop', ok, { fftSize: '4096' }), ok);
    for (const bad of ['1000', '4096', '3072', '0', '', 'x']) assert.ok(!editorAccepts(def, 'hop', bad, { fftSize: '4096' }), bad);
    assert.ok(!editorAccepts(def, 'hop', '1024', { fftSize: '1024' }), 'hop must be at most half the FFT size');
    assert.equal(def.defaults.fftSize.value, '4096');
    assert.equal(def.defaults.hop.value, '1024');
  });

  for (const [fftSize, hop, pattern] of [['4000', '1024', /FFT size must be a power of two/], ['4096', '1000', /hop must divide the FFT size \(4096\)/], ['1024', '1024', /hop must divide/]] as const) {
    it(`refuses FFT size ${fftSize} / hop ${hop} at runtime: red status, and each message fails`, async function () {
      await loadFlow([node, catchNode], standardFlow(TYPE, { fftSize, hop }));
      await expectRuntimeRejects(pattern);
    });
  }

  it('transforms a real MIR-1K clip, resampled to 44.1 kHz, exactly as lib stft does, and passes msg properties through', async function () {
    await loadFlow([node, catchNode], standardFlow(TYPE, { fftSize: '4096', hop: '1024', resample: true }));
    const clip = await mir1kClip();
    const statuses = recordStatuses(underTest());
    const received = nextMessage<SpecMsg>(helper.getNode('out'));
    underTest().receive({ payload: clip, filename: 'Kenshin_2_10.wav', topic: 'mir1k' } as NodeMessage);
    const msg = await received;
    const expected = stft(await resample(clip, 44100, MODEL_RESAMPLING), { fftSize: 4096, hop: 1024 });
    assert.equal(msg.payload.sampleRate, 44100);
    assert.equal(msg.payload.frames, expected.frames);
    assert.equal(msg.payload.re.length, 2);
    assert.deepEqual(msg.payload.re[1], expected.re[1]);
    assert.deepEqual(msg.payload.im[0], expected.im[0]);
    assert.equal(msg.originalSampleRate, 16000);
    assert.equal(msg.filename, 'Kenshin_2_10.wav');
    assert.equal(msg.topic, 'mir1k');
    await new Promise((r) => setImmediate(r));
    assert.ok(statuses.some((s) => /%/.test(s.text ?? '')), 'progress shown');
    assert.equal(statuses.at(-1)?.fill, 'green');
  });

  it('shows the progress of every job, even of short jobs sent back to back (the first report of a job is never throttled)', async function () {
    await loadFlow([node, catchNode], standardFlow(TYPE, { fftSize: '4096', hop: '1024', resample: true }));
    const clip = await mir1kClip();
    const statuses = recordStatuses(underTest());
    for (let k = 0; k < 4; k++) {
      const from = statuses.length;
      const received = nextMessage<SpecMsg>(helper.getNode('out'));
      underTest().receive({ payload: clip, topic: `job ${k}` } as NodeMessage);
      await received;
      const texts = statuses.slice(from).map((s) => s.text ?? '');
      assert.ok(texts.some((t) => /^[1-9]\d* %/.test(t)), `job ${k} showed no progress: ${JSON.stringify(texts)}`);
    }
  });

  it('keeps the audio rate when resampling is off (a 48 kHz fixture, 2048/512)', async function () {
    await loadFlow([node, catchNode], standardFlow(TYPE, { fftSize: '2048', hop: '512', resample: false }));
    const audio = await decodeAudioFile(path.join(FIXTURES, 'audio', 'wav_s16_mono_48k.wav'));
    const received = nextMessage<SpecMsg>(helper.getNode('out'));
    underTest().receive({ payload: audio } as NodeMessage);
    const msg = await received;
    assert.equal(msg.payload.sampleRate, 48000);
    assert.equal(msg.payload.fftSize, 2048);
    assert.deepEqual(msg.payload.re[0], stft(audio, { fftSize: 2048, hop: 512 }).re[0]);
  });

  for (const [label, payload, pattern] of [
    ['a Buffer', Buffer.from('RIFF'), /must be audio .*got Buffer \(4 bytes\)/],
    ['a number', 7, /must be audio .*got number/],
    ['audio with a NaN sample', { sampleRate: 44100, channels: [new Float32Array([0, NaN, 0])] }, /finite|NaN/i],
    ['audio with channels of different lengths', { sampleRate: 44100, channels: [new Float32Array(10), new Float32Array(9)] }, /channel 1 has 9 samples, channel 0 has 10/],
  ] as const) {
    it(`reports ${label} through a catch node, and a good message after it still succeeds`, async function () {
      await loadFlow([node, catchNode], standardFlow(TYPE));
      await expectCaught({ payload } as unknown as NodeMessage, pattern);
      const good = nextMessage<SpecMsg>(helper.getNode('out'));
      underTest().receive({ payload: { sampleRate: 44100, channels: [new Float32Array(5000)] } } as NodeMessage);
      assert.equal((await good).payload.frames, Math.ceil((5000 + 2048) / 1024));
    });
  }
});
