/**
 * The vocal-split node in stream mode, in a real Node-RED runtime: PCM chunks keyed by msg.topic
 * come back as the stems of one continuous signal (the same samples as lib/stream on its own),
 * streams do not mix, an idle stream is freed, and a bad chunk fails its own stream only.
 */
import assert from 'node:assert/strict';
import type { NodeMessage } from 'node-red';
import { resample } from '../lib/audio/resample';
import type { AudioData } from '../lib/audio/types';
import { cachedEngineCount, createBackend } from '../lib/model/backends';
import { separate } from '../lib/separate/separator';
import { LATENCY_PRESETS } from '../lib/stream/latency';
import { MaskBatcher } from '../lib/stream/mask-batcher';
import { decodePcm, encodePcm } from '../lib/stream/pcm';
import { StreamSeparator } from '../lib/stream/stream-separator';
import applyMaskInit from '../nodes/apply-mask/apply-mask';
import istftInit from '../nodes/istft/istft';
import stftInit from '../nodes/stft/stft';
import unetMaskInit from '../nodes/unet-mask/unet-mask';
import vocalSplitInit from '../nodes/vocal-split/vocal-split';
import { editorAccepts, editorDefinitions, helper, loadFlow, localized, nextMessage, nodeFile, smallTestModel } from './support/node-red';
import { catchNode, expectCaught, mir1kClip, standardFlow, underTest, UNDER_TEST as UNDER_TEST_ID, type CaughtMsg } from './support/node-specs';

const TYPE = 'vocal-split';
const node = localized(vocalSplitInit, TYPE);
type StreamMsg = NodeMessage & { payload: Buffer | AudioData; stem: string; topic?: string; complete?: boolean; stream: { key: string; first: number; sampleRate: number; channels: number; latency: number } };

/** A 44.1 kHz stereo song as s16le chunks of `chunkMs`. */
async function pcmSong(name: string, chunkMs: number): Promise<{ chunks: Buffer[]; audio: AudioData }> {
  const clip = await resample(await mir1kClip(name), 44100);
  const bytes = encodePcm(clip.channels, 's16le');
  const step = Math.round((44100 * chunkMs) / 1000) * 4;
  const chunks: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += step) chunks.push(bytes.subarray(at, at + step));
  return { chunks, audio: { sampleRate: 44100, channels: decodePcm(bytes, 's16le', 2) } };
}

type Collected = Map<string, { vocals: StreamMsg[]; accompaniment: StreamMsg[] }> & {
  /** Resolves once both outputs have sent the stream's last message (msg.complete), or at once if they have. */
  completed(key: string): Promise<void>;
};

/** Everything both outputs send, by stream key. */
function collect(): Collected {
  const got = new Map<string, { vocals: StreamMsg[]; accompaniment: StreamMsg[] }>();
  const waiting = new Map<string, Array<() => void>>();
  const isComplete = (key: string): boolean => {
    const s = got.get(key);
    return !!s && !!s.vocals.at(-1)?.complete && !!s.accompaniment.at(-1)?.complete;
  };
  for (const [id, stem] of [['out', 'vocals'], ['out2', 'accompaniment']] as const) {
    (helper.getNode(id) as unknown as import('node:events').EventEmitter).on('input', (msg: StreamMsg) => {
      const key = msg.stream.key;
      if (!got.has(key)) got.set(key, { vocals: [], accompaniment: [] });
      got.get(key)![stem].push(msg);
      if (isComplete(key)) for (const resolve of waiting.get(key)?.splice(0) ?? []) resolve();
    });
  }
  return Object.assign(got, {
    completed: (key: string) => new Promise<void>((resolve) => {
      if (isComplete(key)) resolve();
      else waiting.set(key, [...(waiting.get(key) ?? []), resolve]);
    }),
  });
}

/** Resolves with the first message `node` receives that satisfies `test` (from now on). */
function firstMessage<T>(node: object, test: (msg: T) => boolean): Promise<T> {
  const emitter = node as import('node:events').EventEmitter;
  return new Promise((resolve) => {
    const on = (msg: T): void => {
      if (!test(msg)) return;
      emitter.removeListener('input', on);
      resolve(msg);
    };
    emitter.on('input', on);
  });
}

function joined(msgs: StreamMsg[]): Buffer {
  let expected = 0;
  for (const m of msgs) {
    assert.equal(m.stream.first, expected, 'chunks are consecutive');
    expected += (m.payload as Buffer).length / 4;
  }
  return Buffer.concat(msgs.map((m) => m.payload as Buffer));
}

/** The stems lib/stream makes of the same samples with the same model, as s16le. */
async function reference(model: string, audio: AudioData, chunkSamples: number): Promise<{ vocals: Buffer; accompaniment: Buffer }> {
  const backend = await createBackend(model, { backend: 'onnx' });
  try {
    const sep = await StreamSeparator.create({ sampleRate: 44100, channels: 2 }, new MaskBatcher(backend), LATENCY_PRESETS.balanced);
    const parts: Array<{ vocals: Float32Array[]; accompaniment: Float32Array[] }> = [];
    const n = audio.channels[0].length;
    for (let at = 0; at < n; at += chunkSamples) parts.push(await sep.push(audio.channels.map((c) => c.subarray(at, at + chunkSamples))));
    parts.push(await sep.end());
    sep.dispose();
    const enc = (stem: 'vocals' | 'accompaniment'): Buffer => Buffer.concat(parts.map((p) => encodePcm(p[stem], 's16le')));
    return { vocals: enc('vocals'), accompaniment: enc('accompaniment') };
  } finally {
    await backend.dispose();
  }
}

describe('vocal-split node, stream mode', function () {
  this.timeout(120_000);
  let model: string;
  before(async function () { model = await smallTestModel(); });
  afterEach(async function () {
    await helper.unload();
    assert.equal(cachedEngineCount(), 0, 'every engine freed once the nodes closed');
  });

  const streamFlow = (extra: Record<string, unknown> = {}): ReturnType<typeof standardFlow> => standardFlow(TYPE, {
    model, backend: 'onnx', mode: 'stream', pcmEncoding: 's16le', pcmRate: '44100', pcmChannels: '2', latency: 'balanced', idleTimeout: '10', ...extra,
  }, 2);

  it('the editor accepts its stream settings and refuses bad ones', function () {
    const def = editorDefinitions(nodeFile(TYPE).replace(/\.js$/, '.html')).get(TYPE);
    assert.ok(def);
    const cases: Array<[string, string[], string[]]> = [
      ['mode', ['file', 'stream'], ['live']],
      ['pcmEncoding', ['s16le', 'f32le'], ['u8']],
      ['pcmRate', ['44100', '16000'], ['100', 'x']],
      ['pcmChannels', ['1', '2', '8'], ['0', '9']],
      ['latency', ['low', 'balanced', 'quality'], ['none']],
      ['idleTimeout', ['10', '0.5'], ['0', '-1', '4000']],
    ];
    for (const [field, good, bad] of cases) {
      for (const v of good) assert.ok(editorAccepts(def, field, v), `${field} '${v}' accepted`);
      for (const v of bad) assert.ok(!editorAccepts(def, field, v), `${field} '${v}' refused`);
    }
  });

  it('turns 100 ms PCM chunks into the stems of one continuous signal, ending on msg.complete', async function () {
    const { chunks, audio } = await pcmSong('Kenshin_2_10.wav', 100);
    await loadFlow([node, catchNode], streamFlow());
    const got = collect();
    chunks.forEach((payload, i) => underTest().receive({ topic: 'jukebox', payload, complete: i === chunks.length - 1 ? true : undefined } as NodeMessage));
    await got.completed('jukebox');
    const s = got.get('jukebox')!;
    assert.ok(s.vocals.length < chunks.length, 'nothing is sent while the first chunks are looked ahead at');
    const vocals = joined(s.vocals);
    const accompaniment = joined(s.accompaniment);
    const mix = Buffer.concat(chunks);
    assert.equal(vocals.length, mix.length, 'as many samples out as in');
    const ref = await reference(model, audio, 4410);
    assert.ok(vocals.equals(ref.vocals) && accompaniment.equals(ref.accompaniment), 'the same samples as lib/stream');
    let worst = 0;
    for (let i = 0; i < mix.length; i += 2) worst = Math.max(worst, Math.abs(vocals.readInt16LE(i) + accompaniment.readInt16LE(i) - mix.readInt16LE(i)));
    assert.ok(worst <= 1, `the stems add up to the mixture (off by ${worst} LSB)`);
    assert.equal(s.vocals.at(-1)?.stem, 'vocals');
    assert.equal(s.accompaniment.at(-1)?.stem, 'accompaniment');
    assert.ok(Math.abs(s.vocals[0].stream.latency - 1.207) < 0.01, 'each message states the latency');
  });

  it('keeps interleaved streams apart, and a bad chunk fails its own stream only', async function () {
    const a = await pcmSong('Kenshin_2_10.wav', 100);
    const b = await pcmSong('annar_4_02.wav', 250);
    await loadFlow([node, catchNode], streamFlow());
    const got = collect();
    const errors: CaughtMsg[] = [];
    (helper.getNode('caught') as unknown as import('node:events').EventEmitter).on('input', (m: CaughtMsg) => errors.push(m));
    const n = Math.max(a.chunks.length, b.chunks.length);
    for (let i = 0; i < n; i++) {
      if (i < a.chunks.length) underTest().receive({ topic: 'a', payload: a.chunks[i], complete: i === a.chunks.length - 1 || undefined } as NodeMessage);
      if (i < b.chunks.length) underTest().receive({ topic: 'b', payload: b.chunks[i], complete: i === b.chunks.length - 1 || undefined } as NodeMessage);
      if (i === 5) underTest().receive({ topic: 'c', payload: Buffer.alloc(3) }); // a third stream, broken
    }
    await got.completed('a');
    await got.completed('b');
    assert.equal(errors.length, 1);
    assert.match(errors[0].error.message, /multiple of 4 bytes; got 3/);
    assert.equal(errors[0].topic, 'c');
    const refA = await reference(model, a.audio, 4410);
    const refB = await reference(model, b.audio, 11025);
    assert.ok(joined(got.get('a')!.vocals).equals(refA.vocals), 'stream a = a alone');
    assert.ok(joined(got.get('b')!.vocals).equals(refB.vocals), 'stream b = b alone');
  });

  it('after a failed chunk, runs the chunks queued behind it on a new stream (48 kHz, resampled): never on the disposed one, never interleaved', async function () {
    const clip = await resample(await mir1kClip('annar_4_02.wav'), 48000);
    const step = 4800;
    const chunks: Float32Array[][] = [];
    for (let at = 0; at < clip.channels[0].length; at += step) chunks.push(clip.channels.map((c) => c.slice(at, at + step)));
    const before = chunks.slice(0, 25); // 2.5 s: more than the latency, so the first stream sends something
    const after = chunks.slice(25);
    assert.ok(after.length >= 20, `the clip has ${chunks.length} chunks of 0.1 s`);
    await loadFlow([node, catchNode], streamFlow({ pcmEncoding: 'f32le', pcmRate: '48000' }));
    const got = collect();
    const errors: CaughtMsg[] = [];
    (helper.getNode('caught') as unknown as import('node:events').EventEmitter).on('input', (m: CaughtMsg) => errors.push(m));
    // All queued at once: the bad chunk (one channel, where the stream has two) fails inside the stream's work.
    for (const c of before) underTest().receive({ topic: 'k', payload: encodePcm(c, 'f32le') });
    underTest().receive({ topic: 'k', payload: encodePcm([before[0][0]], 'f32le'), channels: 1 } as NodeMessage);
    after.forEach((c, i) => underTest().receive({ topic: 'k', payload: encodePcm(c, 'f32le'), complete: i === after.length - 1 || undefined } as NodeMessage));
    await got.completed('k');
    assert.deepEqual(errors.map((e) => e.error.message.replace(/:.*/, '')).length, 1, `one error: ${errors.map((e) => e.error.message).join(' | ')}`);
    assert.match(errors[0].error.message, /1 ch but the stream started as 48000 Hz, 2 ch/);
    const vocals = got.get('k')!.vocals;
    const restart = vocals.findIndex((m, i) => i > 0 && m.stream.first === 0);
    assert.ok(restart > 0, 'a second stream starts at sample 0');
    const parts = [vocals.slice(0, restart), vocals.slice(restart)];
    // Each stream's chunks are consecutive, and the first stream's all come before the second's.
    const samples = parts.map((msgs) => {
      let at = 0;
      for (const m of msgs) {
        assert.equal(m.stream.first, at, 'consecutive chunks of one stream');
        at += (m.payload as Buffer).length / 8;
      }
      return Buffer.concat(msgs.map((m) => m.payload as Buffer));
    });
    // The same samples as lib/stream gives for the chunks before the failure (no end) and for the ones after it.
    const backend = await createBackend(model, { backend: 'onnx' });
    try {
      const expected = [];
      for (const [list, end] of [[before, false], [after, true]] as const) {
        const sep = await StreamSeparator.create({ sampleRate: 48000, channels: 2 }, new MaskBatcher(backend), LATENCY_PRESETS.balanced);
        const out: Buffer[] = [];
        for (const c of list) out.push(encodePcm((await sep.push(c)).vocals, 'f32le'));
        if (end) out.push(encodePcm((await sep.end()).vocals, 'f32le'));
        sep.dispose();
        expected.push(Buffer.concat(out));
      }
      assert.ok(samples[0].equals(expected[0]), 'first stream = lib/stream on the chunks before the failure');
      assert.ok(samples[1].equals(expected[1]), 'second stream = lib/stream on the chunks after it, from a fresh start');
    } finally {
      await backend.dispose();
    }
  });

  it('frees a stream that stops sending, after the idle timeout', async function () {
    const { chunks } = await pcmSong('Kenshin_2_10.wav', 100);
    await loadFlow([node, catchNode], streamFlow({ idleTimeout: '0.3' }));
    // Waits for the log line itself (the node's idle timer), however long the chunks take to process.
    const dropped = new Promise<string>((resolve) => {
      (underTest() as unknown as import('node:events').EventEmitter).on('call:log', (call: { args: unknown[] }) => {
        if (/radio/.test(String(call.args[0]))) resolve(String(call.args[0]));
      });
    });
    for (const payload of chunks.slice(0, 5)) underTest().receive({ topic: 'radio', payload });
    assert.match(await dropped, /stream 'radio' dropped after 0.3 s/);
  });

  it('takes audio chunks too, and refuses a chunk whose format differs from the stream\'s', async function () {
    const clip = await mir1kClip('Kenshin_2_10.wav');
    await loadFlow([node, catchNode], streamFlow());
    const got = collect();
    const half = Math.floor(clip.channels[0].length / 2);
    underTest().receive({ topic: 'x', payload: { sampleRate: 16000, channels: clip.channels.map((c) => c.slice(0, half)) } });
    underTest().receive({ topic: 'x', payload: { sampleRate: 16000, channels: clip.channels.map((c) => c.slice(half)) }, complete: true } as NodeMessage);
    await got.completed('x');
    const out = got.get('x')!.vocals;
    assert.ok(out.every((m) => !Buffer.isBuffer(m.payload) && (m.payload as AudioData).sampleRate === 16000), 'audio in, audio out');
    assert.equal(out.reduce((n, m) => n + (m.payload as AudioData).channels[0].length, 0), clip.channels[0].length);
    underTest().receive({ topic: 'y', payload: { sampleRate: 16000, channels: [clip.channels[0].slice(0, 1600)] } });
    await expectCaught({ topic: 'y', payload: { sampleRate: 44100, channels: [clip.channels[0].slice(0, 1600)] } }, /44100 Hz, 1 ch but the stream started as 16000 Hz, 1 ch/);
    await expectCaught({ topic: 'y', payload: 'not audio' }, /raw PCM bytes \(Buffer\) or audio/);
  });

  it('refuses absurd stream settings at deploy time', async function () {
    await loadFlow([node, catchNode], streamFlow({ pcmChannels: '0' }));
    const caught = nextMessage<CaughtMsg>(helper.getNode('caught'));
    underTest().receive({ payload: Buffer.alloc(4) });
    assert.match((await caught).error.message, /1 to 8 channels, got '0'/);
  });
});

describe('the one-step nodes in stream mode', function () {
  this.timeout(120_000);
  let model: string;
  before(async function () { model = await smallTestModel(); });
  afterEach(async function () {
    await helper.unload();
    assert.equal(cachedEngineCount(), 0, 'every engine freed once the nodes closed');
  });

  it('stft → unet mask → apply mask → istft gives the vocal-split node\'s stream vocals, at 48 kHz stereo in and out (both resample through the same stages)', async function () {
    const clip = await resample(await mir1kClip('Kenshin_2_10.wav'), 48000);
    const stream = { mode: 'stream', streamKey: 'topic', idleTimeout: '10' };
    await loadFlow([
      localized(stftInit, 'vocal-split-stft'), localized(unetMaskInit, 'vocal-split-unet-mask'), localized(applyMaskInit, 'vocal-split-apply-mask'),
      localized(istftInit, 'vocal-split-istft'), node, catchNode,
    ], [
      { id: 'c-stft', type: 'vocal-split-stft', fftSize: '4096', hop: '1024', resample: true, ...stream, wires: [['c-mask']] },
      { id: 'c-mask', type: 'vocal-split-unet-mask', model, backend: 'onnx', concurrency: '1', latency: 'balanced', ...stream, wires: [['c-apply']] },
      { id: 'c-apply', type: 'vocal-split-apply-mask', stem: 'vocals', outputs: 1, wires: [['c-istft']] },
      { id: 'c-istft', type: 'vocal-split-istft', rate: 'original', ...stream, wires: [['chain-out']] },
      { id: 'chain-out', type: 'helper' },
      { id: UNDER_TEST_ID, type: TYPE, model, backend: 'onnx', mode: 'stream', latency: 'balanced', idleTimeout: '10', wires: [['out'], ['out2']] },
      { id: 'out', type: 'helper' },
      { id: 'out2', type: 'helper' },
      { id: 'catcher', type: 'catch', scope: null, wires: [['caught']] },
      { id: 'caught', type: 'helper' },
    ]);
    const errors: string[] = [];
    (helper.getNode('caught') as unknown as import('node:events').EventEmitter).on('input', (m: CaughtMsg) => errors.push(m.error.message));
    const chain: StreamMsg[] = [];
    (helper.getNode('chain-out') as unknown as import('node:events').EventEmitter).on('input', (m: StreamMsg) => chain.push(m));
    const chainDone = firstMessage<StreamMsg>(helper.getNode('chain-out'), (m) => m.complete === true);
    const got = collect();
    const n = clip.channels[0].length;
    const step = 4800;
    for (let at = 0; at < n; at += step) {
      const last = at + step >= n;
      const payload = { sampleRate: 48000, channels: clip.channels.map((c) => c.slice(at, at + step)) };
      helper.getNode('c-stft').receive({ topic: 's', payload, complete: last || undefined } as NodeMessage);
      underTest().receive({ topic: 's', payload, complete: last || undefined } as NodeMessage);
    }
    await got.completed('s');
    await chainDone;
    assert.deepEqual(errors, []);
    const join = (msgs: StreamMsg[], c: number): Float32Array => {
      const out = new Float32Array(msgs.reduce((len, m) => len + (m.payload as AudioData).channels[c].length, 0));
      let at = 0;
      for (const m of msgs) {
        assert.equal(m.stream.first, at, 'consecutive chunks');
        out.set((m.payload as AudioData).channels[c], at);
        at += (m.payload as AudioData).channels[c].length;
      }
      return out;
    };
    assert.ok(chain.every((m) => (m.payload as AudioData).sampleRate === 48000), 'back at the input rate');
    // Independent of the shared stages: the whole song separated at once. A stream differs from it
    // only in the context each frame's mask was computed with (about 50 dB here).
    const backend = await createBackend(model, { backend: 'onnx' });
    const whole = await separate(clip, backend).finally(() => backend.dispose());
    let worst = 0;
    for (let c = 0; c < 2; c++) {
      const a = join(chain, c);
      const b = join(got.get('s')!.vocals, c);
      assert.equal(a.length, n);
      assert.equal(b.length, n);
      for (let i = 0; i < n; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
      const ref = whole.vocals.channels[c];
      let signal = 0;
      let error = 0;
      for (let i = 0; i < n; i++) {
        signal += ref[i] ** 2;
        error += (a[i] - ref[i]) ** 2;
      }
      const sdr = 10 * Math.log10(signal / error);
      assert.ok(sdr > 40, `channel ${c}: the chain's vocals are ${sdr.toFixed(1)} dB from separate()'s`);
    }
    assert.ok(worst < 1e-6, `chain and vocal-split differ by ${worst}`);
  });

  it('the stft and unet-mask nodes refuse a chunk whose format differs from their stream\'s, naming both', async function () {
    const clip = await mir1kClip('Kenshin_2_10.wav');
    const stream = { mode: 'stream', streamKey: 'topic', idleTimeout: '10' };
    await loadFlow([localized(stftInit, 'vocal-split-stft'), localized(unetMaskInit, 'vocal-split-unet-mask'), catchNode], [
      { id: 'c-stft', type: 'vocal-split-stft', fftSize: '4096', hop: '1024', resample: true, ...stream, wires: [[]] },
      { id: 'c-mask', type: 'vocal-split-unet-mask', model, backend: 'onnx', concurrency: '1', latency: 'balanced', ...stream, wires: [[]] },
      { id: 'catcher', type: 'catch', scope: null, wires: [['caught']] },
      { id: 'caught', type: 'helper' },
    ]);
    const caught = helper.getNode('caught') as unknown as import('node:events').EventEmitter;
    const nextError = (): Promise<string> => new Promise((resolve) => caught.once('input', (m: CaughtMsg) => resolve(m.error.message)));
    const audio = (rate: number, channels: Float32Array[]): AudioData => ({ sampleRate: rate, channels: channels.map((c) => c.slice(0, 8000)) });
    helper.getNode('c-stft').receive({ topic: 'f', payload: audio(16000, clip.channels) } as NodeMessage);
    let error = nextError();
    helper.getNode('c-stft').receive({ topic: 'f', payload: audio(22050, clip.channels.slice(0, 1)) } as NodeMessage);
    assert.match(await error, /this chunk is 22050 Hz, 1 ch but the stream started as 16000 Hz, 2 ch/);
    const spec = (channels: number): Record<string, unknown> => ({
      fftSize: 4096, hop: 1024, sampleRate: 44100, length: 4096, bins: 2049, frames: 1, firstFrame: 0,
      re: Array.from({ length: channels }, () => new Float32Array(2049)), im: Array.from({ length: channels }, () => new Float32Array(2049)),
    });
    helper.getNode('c-mask').receive({ topic: 'f', payload: spec(2) } as NodeMessage);
    error = nextError();
    helper.getNode('c-mask').receive({ topic: 'f', payload: { ...spec(1), firstFrame: 1 } } as NodeMessage);
    assert.match(await error, /this chunk is 44100 Hz, 1 ch but the stream started as 44100 Hz, 2 ch/);
  });
});
