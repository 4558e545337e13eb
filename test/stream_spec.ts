/**
 * Streaming separation (lib/stream): the streaming STFT / iSTFT are the whole-signal ones, the
 * stream's stems do not depend on how it was chunked, match whole-file separation closely on real
 * MIR-1K clips, have no seams at chunk borders, and streams sharing a model do not mix.
 */
import assert from 'node:assert/strict';
import { istftAddFrames, stftFrames } from '../lib/dsp/frame-range';
import { frameCount } from '../lib/dsp/stft-plan';
import { ClipScorer, listClips, loadClip, separateClip, type Mir1kClip } from '../lib/eval/mir1k';
import { createBackend } from '../lib/model/backends';
import type { BackendHandle } from '../lib/model/backends/types';
import { resolveModelDir } from '../lib/model/locate';
import { DEFAULT_FRAMING } from '../lib/model/signal-framing';
import { separate } from '../lib/separate/separator';
import { LATENCY_PRESETS, latencySeconds, type StreamLatency } from '../lib/stream/latency';
import { MaskBatcher } from '../lib/stream/mask-batcher';
import { decodePcm, encodePcm } from '../lib/stream/pcm';
import { StreamIstft } from '../lib/dsp/stream-istft';
import { StreamSeparator } from '../lib/stream/stream-separator';
import { StreamStft } from '../lib/dsp/stream-stft';
import { JANSSON_CONFIG } from '../lib/model/config';
import { MIR1K_SAMPLE } from './support/paths';
import { maxAbsDiff, noise } from './support/numeric';
import { fixedMaskBackend } from './support/test-backends';

/** Chunk lengths from `sizes` (cycled), or random ones in [1, max] when `sizes` is a seed object. */
type Sizes = number[] | { seed: number; max: number };

function chunker(total: number, sizes: Sizes): number[] {
  const out: number[] = [];
  let state = Array.isArray(sizes) ? 0 : sizes.seed;
  for (let at = 0, i = 0; at < total; i++) {
    let n: number;
    if (Array.isArray(sizes)) n = sizes[i % sizes.length];
    else {
      state = (state * 1103515245 + 12345) % 2 ** 31;
      n = 1 + (state % sizes.max);
    }
    n = Math.min(n, total - at);
    out.push(n);
    at += n;
  }
  return out;
}

interface Streamed { vocals: Float32Array[]; accompaniment: Float32Array[]; borders: number[]; emittedAt: Array<[number, number]> }

/** Runs a whole signal through a StreamSeparator in chunks of the given lengths. */
async function streamThrough(channels: Float32Array[], sampleRate: number, batcher: MaskBatcher, lengths: number[], latency?: StreamLatency): Promise<Streamed> {
  const n = channels[0].length;
  const sep = await StreamSeparator.create({ sampleRate, channels: channels.length }, batcher, latency);
  const vocals = channels.map(() => new Float32Array(n));
  const accompaniment = channels.map(() => new Float32Array(n));
  const borders: number[] = [];
  const emittedAt: Array<[number, number]> = []; // [samples in, samples out] after each chunk
  let expected = 0;
  const put = (o: Awaited<ReturnType<StreamSeparator['push']>>): void => {
    assert.equal(o.first, expected, 'output chunks are consecutive');
    o.vocals.forEach((v, c) => vocals[c].set(v, o.first));
    o.accompaniment.forEach((a, c) => accompaniment[c].set(a, o.first));
    expected += o.vocals[0].length;
  };
  let at = 0;
  try {
    for (const len of lengths) {
      put(await sep.push(channels.map((c) => c.subarray(at, at + len))));
      at += len;
      borders.push(at);
      emittedAt.push([at, expected]);
    }
    put(await sep.end());
  } finally {
    sep.dispose();
  }
  assert.equal(expected, n, 'the stream gives back as many samples as went in');
  return { vocals, accompaniment, borders, emittedAt };
}

function sdr(reference: ArrayLike<number>, estimate: ArrayLike<number>): number {
  let s = 0, e = 0;
  for (let i = 0; i < reference.length; i++) {
    s += reference[i] ** 2;
    e += (reference[i] - estimate[i]) ** 2;
  }
  return 10 * Math.log10(s / e);
}

describe('streaming STFT and iSTFT', function () {
  const params = DEFAULT_FRAMING;
  const bins = params.fftSize / 2 + 1;

  const cases: Array<[string, Sizes]> = [['1 sample', [1]], ['100 ms', [4410]], ['odd sizes', [1000, 3, 5000, 17]], ['random', { seed: 3, max: 9000 }]];
  for (const [name, sizes] of cases) {
    it(`gives the whole-signal frames and samples, chunks of ${name}`, function () {
      const x = noise(44100 + 777, 5);
      const total = frameCount(x.length, params);
      const re = new Float32Array(total * bins), im = new Float32Array(total * bins);
      stftFrames(x, params, 0, total, re, im);
      const stft = new StreamStft(params);
      const istft = new StreamIstft(params);
      const gotRe = new Float32Array(total * bins), gotIm = new Float32Array(total * bins);
      const out: number[] = [];
      const take = (b: ReturnType<StreamStft['push']>, last: boolean): void => {
        gotRe.set(b.re, b.first * bins);
        gotIm.set(b.im, b.first * bins);
        out.push(...istft.push(b, last ? x.length : Infinity));
      };
      let at = 0;
      for (const len of chunker(x.length, sizes)) {
        take(stft.push(x.subarray(at, at + len)), false);
        at += len;
      }
      take(stft.end(), true);
      out.push(...istft.end(x.length));
      assert.equal(stft.framesOut, total);
      assert.ok(maxAbsDiff(gotRe, re) < 1e-6 && maxAbsDiff(gotIm, im) < 1e-6, 'frames equal stftFrames');
      const whole = new Float32Array(x.length);
      istftAddFrames(re, im, params, 0, total, whole);
      assert.equal(out.length, x.length);
      assert.ok(maxAbsDiff(Float32Array.from(out), whole) < 1e-6, 'samples equal istftAddFrames');
      assert.ok(maxAbsDiff(Float32Array.from(out), x) < 1e-5, 'and the input');
    });
  }
});

describe('raw PCM chunks', function () {
  it('reads and writes interleaved s16le and f32le', function () {
    const stereo = [Float32Array.from([0, 0.5, -1]), Float32Array.from([0.25, -0.5, 32767 / 32768])];
    for (const enc of ['s16le', 'f32le'] as const) {
      const back = decodePcm(encodePcm(stereo, enc), enc, 2);
      assert.ok(maxAbsDiff(back[0], stereo[0]) < 1e-9 && maxAbsDiff(back[1], stereo[1]) < 1e-9, enc);
    }
    assert.deepEqual([...encodePcm([Float32Array.from([1, -2])], 's16le')], [0xff, 0x7f, 0x00, 0x80], '16-bit output clips');
  });

  it('refuses a chunk that is not whole frames, and NaN floats', function () {
    assert.throws(() => decodePcm(Buffer.alloc(6), 's16le', 2), /multiple of 4 bytes; got 6/);
    const nan = Buffer.alloc(4);
    nan.writeFloatLE(NaN, 0);
    assert.throws(() => decodePcm(nan, 'f32le', 1), /NaN/);
  });
});

describe('StreamSeparator', function () {
  this.timeout(300_000);

  it('with a mask of one gives the input back exactly at 44.1 kHz (and nothing as accompaniment)', async function () {
    const batcher = new MaskBatcher(fixedMaskBackend(JANSSON_CONFIG, () => 1));
    const x = [noise(3 * 44100, 1), noise(3 * 44100, 2)];
    const s = await streamThrough(x, 44100, batcher, chunker(x[0].length, { seed: 9, max: 20000 }));
    for (let c = 0; c < 2; c++) {
      assert.ok(maxAbsDiff(s.vocals[c], x[c]) < 1e-5, 'vocals = input');
      assert.ok(maxAbsDiff(s.accompaniment[c], new Float32Array(x[c].length)) < 1e-5, 'accompaniment = 0');
    }
  });

  it('at other rates, resamples around the model as separate() does; the stems add up to the mixture', async function () {
    const backend = fixedMaskBackend(JANSSON_CONFIG, (f) => (f < 100 ? 1 : 0.25));
    const n = 2 * 16000 + 123;
    const x = [Float32Array.from({ length: n }, (_, i) => 0.3 * Math.sin((2 * Math.PI * 440 * i) / 16000) + 0.2 * Math.sin((2 * Math.PI * 3000 * i) / 16000 + 1))];
    const s = await streamThrough(x, 16000, new MaskBatcher(backend), chunker(n, [1600]));
    const sum = s.vocals[0].map((v, i) => v + s.accompaniment[0][i]);
    assert.ok(maxAbsDiff(sum, x[0]) <= 6e-8, 'vocals + accompaniment = mixture, to float rounding (the complement is taken in the input\'s domain)');
    const offline = await separate({ sampleRate: 16000, channels: x }, backend);
    assert.ok(sdr(offline.vocals.channels[0], s.vocals[0]) > 60, `stream = separate() (${sdr(offline.vocals.channels[0], s.vocals[0]).toFixed(1)} dB)`);
    const one = await streamThrough(x, 16000, new MaskBatcher(fixedMaskBackend(JANSSON_CONFIG, () => 1)), chunker(n, [1600]));
    assert.ok(sdr(x[0], one.vocals[0]) > 40, `a mask of one keeps the signal (${sdr(x[0], one.vocals[0]).toFixed(1)} dB)`);
  });

  it('ends with the resampled signal itself, not zero padding, when the round trip through 44.1 kHz comes back short', async function () {
    // 48031 samples at 48 kHz are 44128 at 44.1 kHz, which a plain round trip turns back into 48030.
    const n = 48031;
    const x = [Float32Array.from({ length: n }, (_, i) => 0.5 * Math.sin((2 * Math.PI * 440 * i) / 48000 + 0.3))];
    const backend = fixedMaskBackend(JANSSON_CONFIG, () => 1);
    const s = await streamThrough(x, 48000, new MaskBatcher(backend), chunker(n, [4800]));
    const offline = (await separate({ sampleRate: 48000, channels: x }, backend)).vocals.channels[0];
    assert.ok(Math.abs(offline[n - 1]) > 0.05, 'the signal does not end in silence');
    const tail = maxAbsDiff(s.vocals[0].subarray(n - 50), offline.subarray(n - 50));
    assert.ok(tail < 1e-3, `the last 50 vocal samples differ from separate()'s by ${tail}`);
  });

  it('refuses chunks of another shape, NaN samples, and absurd formats', async function () {
    const batcher = new MaskBatcher(fixedMaskBackend(JANSSON_CONFIG, () => 1));
    const sep = await StreamSeparator.create({ sampleRate: 44100, channels: 2 }, batcher);
    await assert.rejects(sep.push([new Float32Array(10)]), /2 channel\(s\); the chunk has 1/);
    await assert.rejects(sep.push([new Float32Array(10), new Float32Array(9)]), /chunk: channel 1 has 9 samples, channel 0 has 10/);
    await assert.rejects(sep.push([Float32Array.from([NaN]), new Float32Array(1)]), /chunk: channel 0 sample 0 is NaN \(not a finite number\)/);
    await sep.end();
    await assert.rejects(sep.push([new Float32Array(1), new Float32Array(1)]), /ended/);
    sep.dispose();
    await assert.rejects(StreamSeparator.create({ sampleRate: 4000, channels: 1 }, batcher), /8000\.\.192000/);
    await assert.rejects(StreamSeparator.create({ sampleRate: 44100, channels: 0 }, batcher), /1 to 8 channels/);
  });

  describe('on MIR-1K sample clips with the default model', function () {
    let backend: BackendHandle;
    let batcher: MaskBatcher;
    const clips: Mir1kClip[] = [];
    before(async function () {
      backend = await createBackend(resolveModelDir('default'), { backend: 'onnx' });
      batcher = new MaskBatcher(backend);
      for (const ref of listClips(MIR1K_SAMPLE)) clips.push(await loadClip(ref));
    });
    after(async function () { await backend?.dispose(); });

    it('gives the same stems whatever the chunk size (10 ms, 100 ms, 1 s, random)', async function () {
      for (const clip of clips.slice(0, 3)) {
        const mix = [Float32Array.from(clip.mixture)];
        const r = clip.sampleRate;
        const sizes: Sizes[] = [[r / 100], [r / 10], [r], { seed: 11, max: r }];
        const runs = await Promise.all(sizes.map((z) => streamThrough(mix, r, batcher, chunker(mix[0].length, z))));
        for (const other of runs.slice(1)) {
          const d = maxAbsDiff(other.vocals[0], runs[0].vocals[0]);
          assert.ok(d < 1e-4, `${clip.name}: chunking changes the vocals by ${d}`);
        }
      }
    });

    it('stays within 1 dB of whole-file separation on all 17 sample clips (vocal SDR, BSS Eval), with no seams at chunk borders', async function () {
      for (const clip of clips) {
        const scorer = new ClipScorer(clip);
        const offline = await separateClip(clip, backend);
        const mix = [Float32Array.from(clip.mixture)];
        const chunk = clip.sampleRate / 10;
        const s = await streamThrough(mix, clip.sampleRate, batcher, chunker(mix[0].length, [chunk]));
        const a = scorer.score(offline).vocals.sdr;
        const b = scorer.score({ vocals: s.vocals[0], accompaniment: s.accompaniment[0] }).vocals.sdr;
        assert.ok(Math.abs(a - b) <= 1, `${clip.name}: vocal SDR offline ${a.toFixed(2)} dB, stream ${b.toFixed(2)} dB`);
        // Seams: the sample-to-sample step of (stream − offline) at chunk borders is like anywhere
        // else (a click would be many times the usual step there).
        const d = s.vocals[0].map((v, i) => v - offline.vocals[i]);
        const steps = d.slice(1).map((v, i) => Math.abs(v - d[i]));
        const sorted = Float32Array.from(steps).sort();
        const p999 = sorted[Math.floor(sorted.length * 0.999)];
        const mean = steps.reduce((x, y) => x + y, 0) / steps.length;
        const border = s.borders.filter((i) => i < steps.length).map((i) => steps[i - 1]);
        const borderMax = Math.max(...border);
        const borderMean = border.reduce((x, y) => x + y, 0) / border.length;
        assert.ok(borderMax <= 3 * p999, `${clip.name}: largest step at a chunk border ${borderMax} vs 99.9th percentile ${p999}`);
        assert.ok(borderMean <= 2 * mean, `${clip.name}: mean step at chunk borders ${borderMean} vs ${mean} overall`);
      }
    });

    it('keeps two interleaved streams apart', async function () {
      const [a, b] = clips;
      const solo = await Promise.all([a, b].map((c) => streamThrough([Float32Array.from(c.mixture)], c.sampleRate, batcher, chunker(c.mixture.length, [1600]))));
      const both = await Promise.all([a, b].map((c, k) => streamThrough([Float32Array.from(c.mixture)], c.sampleRate, batcher, chunker(c.mixture.length, [1600 + 7 * k]))));
      for (let k = 0; k < 2; k++) assert.ok(maxAbsDiff(both[k].vocals[0], solo[k].vocals[0]) < 1e-4, `stream ${k} alone = interleaved`);
    });

    it('never holds a sample longer than the latency it states', async function () {
      const x44 = [noise(4 * 44100, 8)];
      for (const [name, latency] of Object.entries(LATENCY_PRESETS)) {
        const s = await streamThrough(x44, 44100, batcher, chunker(x44[0].length, [441]), latency);
        const worst = Math.max(...s.emittedAt.map(([inn, out]) => inn - out)) / 44100;
        const stated = latencySeconds(latency, DEFAULT_FRAMING.fftSize, DEFAULT_FRAMING.hop, 44100);
        assert.ok(worst <= stated + 0.01 + 1e-9, `${name}: held ${worst.toFixed(3)} s, states ${stated.toFixed(3)} s`);
        assert.ok(worst > stated - 0.1, `${name}: the stated latency is not loose (${worst.toFixed(3)} vs ${stated.toFixed(3)} s)`);
      }
    });
  });
});
