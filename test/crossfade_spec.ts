/**
 * The cross-fade between patches (whole songs, lib/separate/mask-engine.ts) and between model runs
 * (streams, lib/stream/stream-masker.ts), checked against masks computed independently from the
 * definitions (support/crossfade-reference.ts) with a backend whose mask differs from patch to
 * patch and from frame to frame, so blending is visible: a hard switch at the borders would be off
 * by tenths, the tolerance is float rounding.
 */
import assert from 'node:assert/strict';
import { istftChannel } from '../lib/dsp/istft';
import { stftChannel } from '../lib/dsp/stft';
import type { ChannelSpectrogram, Spectrogram } from '../lib/dsp/types';
import type { UNetConfig } from '../lib/model/config';
import { DEFAULT_FRAMING, type ModelFraming } from '../lib/model/signal-framing';
import { computeMask, separate } from '../lib/separate/separator';
import type { StreamLatency } from '../lib/stream/latency';
import { MaskBatcher } from '../lib/stream/mask-batcher';
import { StreamMasker } from '../lib/stream/stream-masker';
import { StreamSeparator } from '../lib/stream/stream-separator';
import { patchedMaskReference, streamedMaskReference, varyingMaskBackend } from './support/crossfade-reference';
import { noise } from './support/numeric';

const SMALL: UNetConfig = { bins: 64, frames: 64, baseFilters: 4, depth: 3, channelsIn: 1 };
const OTHER_FRAMING: ModelFraming = { fftSize: 2048, hop: 512, sampleRate: 22050 };

/** Noise whose loudness wanders, so each patch's normalisation (and so its mask) differs. */
function song(length: number, seed: number): Float32Array {
  const x = noise(length, seed);
  for (let i = 0; i < x.length; i++) x[i] *= 0.15 + 0.8 * Math.abs(Math.sin(i / 17000 + seed));
  return x;
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>, from = 0, to = a.length): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = from; i < to; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** The largest difference over the frames listed, each frame `bins` values. */
function maxDiffAtFrames(a: ArrayLike<number>, b: ArrayLike<number>, frames: number[], bins: number): number {
  return Math.max(...frames.map((t) => maxDiff(a, b, t * bins, (t + 1) * bins)));
}

/** Reference vocals: the mixture's STFT times the reference mask, inverted. */
function maskedVocals(spec: ChannelSpectrogram, mask: Float64Array, framing: ModelFraming, length: number): Float32Array {
  const re = spec.re.map((v, i) => v * mask[i]);
  const im = spec.im.map((v, i) => v * mask[i]);
  return istftChannel(re, im, framing, length);
}

describe('cross-fade between patches (whole songs)', function () {
  this.timeout(60_000);
  const overlap = SMALL.frames / 4;

  for (const framing of [DEFAULT_FRAMING, OTHER_FRAMING]) {
    const name = `${framing.fftSize}/${framing.hop} at ${framing.sampleRate} Hz`;

    it(`computeMask blends overlapping patches as the reference does, at every patch border (${name})`, async function () {
      const x = [song(Math.round(5.3 * framing.sampleRate), 1), song(Math.round(5.3 * framing.sampleRate), 2)];
      const channels = x.map((c) => stftChannel(c, framing));
      const spec: Spectrogram = { ...framing, length: x[0].length, frames: channels[0].frames, bins: channels[0].bins, re: channels.map((c) => c.re), im: channels.map((c) => c.im) };
      const backend = varyingMaskBackend(SMALL, framing);
      const mask = await computeMask(spec, backend, { batchSize: 3 });
      const step = SMALL.frames - overlap;
      const borders: number[] = [];
      for (let start = step; start < spec.frames; start += step) for (let j = 0; j < overlap && start + j < spec.frames; j++) borders.push(start + j);
      assert.ok(borders.length >= 3 * overlap, `the song spans ${borders.length / overlap + 1} patches`);
      for (let c = 0; c < 2; c++) {
        const reference = patchedMaskReference(channels[c], SMALL, overlap);
        const hard = patchedMaskReference(channels[c], SMALL, overlap, true);
        assert.ok(maxDiffAtFrames(reference, hard, borders, spec.bins) > 0.3, 'the test mask tells a blend from a hard switch');
        const atBorders = maxDiffAtFrames(mask.vocals[c], reference, borders, spec.bins);
        assert.ok(atBorders < 2e-6, `channel ${c}: mask differs from the reference by ${atBorders} in the overlaps`);
        const everywhere = maxDiff(mask.vocals[c], reference);
        assert.ok(everywhere < 2e-6, `channel ${c}: mask differs from the reference by ${everywhere}`);
      }
    });

    it(`separate() gives the vocals of the reference mask, patch borders included (${name})`, async function () {
      const x = song(Math.round(4.7 * framing.sampleRate) + 77, 3);
      const backend = varyingMaskBackend(SMALL, framing);
      const stems = await separate({ sampleRate: framing.sampleRate, channels: [x] }, backend, { batchSize: 2 });
      const spec = stftChannel(x, framing);
      const expected = maskedVocals(spec, patchedMaskReference(spec, SMALL, overlap), framing, x.length);
      const hard = maskedVocals(spec, patchedMaskReference(spec, SMALL, overlap, true), framing, x.length);
      assert.ok(maxDiff(expected, hard) > 0.05, 'a hard switch would change the vocals');
      const err = maxDiff(stems.vocals.channels[0], expected);
      assert.ok(err < 1e-5, `vocals differ from the reference by ${err}`);
    });
  }
});

describe('cross-fade between model runs (streams)', function () {
  this.timeout(60_000);
  const latencies: StreamLatency[] = [{ lookahead: 8, step: 16, fade: 8 }, { lookahead: 20, step: 12, fade: 5 }];

  for (const latency of latencies) {
    it(`StreamMasker blends consecutive runs as the reference does, at every run border (${JSON.stringify(latency)})`, async function () {
      const x = song(3 * 44100 + 555, 4);
      const spec = stftChannel(x, DEFAULT_FRAMING);
      const masker = new StreamMasker(new MaskBatcher(varyingMaskBackend(SMALL)), spec.bins, latency);
      const got = new Float32Array(spec.frames * spec.bins);
      let at = 0;
      const take = (b: { first: number; count: number; mask: Float32Array }): void => {
        assert.equal(b.first, at, 'masks come out in frame order');
        got.set(b.mask.subarray(0, b.count * spec.bins), b.first * spec.bins);
        at += b.count;
      };
      // Frames in blocks of 1..9, as chunks of audio bring them.
      for (let first = 0, k = 0; first < spec.frames; k++) {
        const count = Math.min(1 + ((k * 7) % 9), spec.frames - first);
        take(await masker.push({ first, count, re: spec.re.slice(first * spec.bins, (first + count) * spec.bins), im: spec.im.slice(first * spec.bins, (first + count) * spec.bins) }));
        first += count;
      }
      take(await masker.end());
      assert.equal(at, spec.frames);
      const reference = streamedMaskReference(spec, SMALL, latency);
      const hard = streamedMaskReference(spec, SMALL, latency, true);
      const borders: number[] = [];
      for (let end = latency.step; end - latency.lookahead < spec.frames; end += latency.step) {
        for (let j = 0; j < latency.fade; j++) {
          const frame = end - latency.lookahead - latency.fade + j;
          if (frame >= 0 && frame < spec.frames) borders.push(frame);
        }
      }
      assert.ok(borders.length >= 5 * latency.fade, `${borders.length} frames in run overlaps`);
      assert.ok(maxDiffAtFrames(reference, hard, borders, spec.bins) > 0.3, 'the test mask tells a blend from a hard switch');
      const atBorders = maxDiffAtFrames(got, reference, borders, spec.bins);
      assert.ok(atBorders < 2e-6, `mask differs from the reference by ${atBorders} where runs overlap`);
      assert.ok(maxDiff(got, reference) < 2e-6, `mask differs from the reference by ${maxDiff(got, reference)}`);
    });
  }

  for (const framing of [DEFAULT_FRAMING, OTHER_FRAMING]) {
    it(`StreamSeparator gives the vocals of the reference mask (${framing.fftSize}/${framing.hop} at ${framing.sampleRate} Hz, stereo, uneven chunks)`, async function () {
      const latency = latencies[0];
      const x = [song(3 * framing.sampleRate + 321, 5), song(3 * framing.sampleRate + 321, 6)];
      const sep = await StreamSeparator.create({ sampleRate: framing.sampleRate, channels: 2 }, new MaskBatcher(varyingMaskBackend(SMALL, framing)), latency);
      const vocals = x.map((c) => new Float32Array(c.length));
      const put = (o: { first: number; vocals: Float32Array[] }): void => o.vocals.forEach((v, c) => vocals[c].set(v, o.first));
      try {
        for (let at = 0, k = 0; at < x[0].length; k++) {
          const n = Math.min(100 + ((k * 3571) % 5000), x[0].length - at);
          put(await sep.push(x.map((c) => c.subarray(at, at + n))));
          at += n;
        }
        put(await sep.end());
      } finally {
        sep.dispose();
      }
      for (let c = 0; c < 2; c++) {
        const spec = stftChannel(x[c], framing);
        const expected = maskedVocals(spec, streamedMaskReference(spec, SMALL, latency), framing, x[c].length);
        const hard = maskedVocals(spec, streamedMaskReference(spec, SMALL, latency, true), framing, x[c].length);
        assert.ok(maxDiff(expected, hard) > 0.05, 'a hard switch would change the vocals');
        const err = maxDiff(vocals[c], expected);
        assert.ok(err < 1e-5, `channel ${c}: vocals differ from the reference by ${err}`);
      }
    });
  }
});
