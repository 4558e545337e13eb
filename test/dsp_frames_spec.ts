import assert from 'node:assert/strict';
import { frameCount, hannWindow, istftAddFrames, istftChannel, stftChannel, stftFrames } from '../lib/dsp';
import type { StftParams } from '../lib/dsp';
import { InvalidArgumentError } from '../lib/errors';
import { maxAbsDiff, noise } from './support/numeric';

/** Deterministic integers in [1, max], for block sizes. */
function randomSizes(seed: number, max: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return 1 + (s % max);
  };
}

/** Splits [0, frames) into consecutive blocks whose sizes come from `next`. */
function blocks(frames: number, next: () => number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let first = 0; first < frames;) {
    const count = Math.min(next(), frames - first);
    out.push([first, count]);
    first += count;
  }
  return out;
}

const cases: Array<[StftParams, number[]]> = [
  [{ fftSize: 4096, hop: 1024 }, [0, 1, 1000, 2048, 4096, 5 * 1024 + 17, 44100]],
  [{ fftSize: 1024, hop: 256 }, [0, 3, 255, 1024, 9999]],
  [{ fftSize: 512, hop: 256 }, [1, 700, 5000]],
  [{ fftSize: 256, hop: 32 }, [10, 3333]],
  [{ fftSize: 16, hop: 4 }, [0, 5, 100]],
];

describe('dsp: stftFrames (frame ranges of the STFT)', () => {
  for (const [params, lengths] of cases) {
    const { fftSize: N, hop } = params;
    it(`${N}/${hop}: blocks of random sizes equal stftChannel bit for bit (lengths ${lengths.join(', ')})`, () => {
      for (const L of lengths) {
        const x = noise(L, L + N);
        const whole = stftChannel(x, params);
        const bins = whole.bins;
        const next = randomSizes(L * 7 + N, 9);
        for (const [first, count] of blocks(whole.frames, next)) {
          // A buffer larger than needed, pre-filled: nothing past count·bins may change.
          const re = new Float32Array((count + 1) * bins).fill(42);
          const im = new Float32Array((count + 1) * bins).fill(42);
          stftFrames(x, params, first, count, re, im);
          assert.deepEqual(re.subarray(0, count * bins), whole.re.subarray(first * bins, (first + count) * bins), `L ${L} frames ${first}+${count} re`);
          assert.deepEqual(im.subarray(0, count * bins), whole.im.subarray(first * bins, (first + count) * bins), `L ${L} frames ${first}+${count} im`);
          assert.ok(re.subarray(count * bins).every((v) => v === 42) && im.subarray(count * bins).every((v) => v === 42), 'wrote past count·bins');
        }
      }
    });
  }

  it('frames reaching past the end see zero padding (and an empty signal gives all-zero frames)', () => {
    const params: StftParams = { fftSize: 256, hop: 64 };
    const N = 256;
    const bins = N / 2 + 1;
    const L = 1000;
    const x = noise(L, 3);
    const frames = frameCount(L, params);
    const tail = 4; // the last frames all reach past sample L − 1
    const re = new Float32Array(tail * bins);
    const im = new Float32Array(tail * bins);
    stftFrames(x, params, frames - tail, tail, re, im);
    // Reference: the same frames of x followed by explicit zeros, far from the end.
    const padded = new Float32Array(L + 4 * N);
    padded.set(x);
    const ref = stftChannel(padded, params);
    const refFirst = (frames - tail) * bins;
    assert.deepEqual(re, ref.re.subarray(refFirst, refFirst + tail * bins));
    assert.deepEqual(im, ref.im.subarray(refFirst, refFirst + tail * bins));
    // And by the definition: the windowed, zero-padded segment through a plain DFT at bin 0 and 1.
    const w = hannWindow(N);
    for (let j = 0; j < tail; j++) {
      const start = (frames - tail + j) * 64 - N / 2;
      let dc = 0;
      let b1r = 0;
      let b1i = 0;
      for (let n = 0; n < N; n++) {
        const v = start + n < L ? x[start + n] * w[n] : 0;
        dc += v;
        b1r += v * Math.cos((2 * Math.PI * n) / N);
        b1i -= v * Math.sin((2 * Math.PI * n) / N);
      }
      assert.ok(Math.abs(re[j * bins] - dc) < 1e-4 && Math.abs(re[j * bins + 1] - b1r) < 1e-4 && Math.abs(im[j * bins + 1] - b1i) < 1e-4);
    }
    const empty = frameCount(0, params);
    const zr = new Float32Array(empty * bins).fill(1);
    const zi = new Float32Array(empty * bins).fill(1);
    stftFrames(new Float32Array(0), params, 0, empty, zr, zi);
    assert.ok(zr.every((v) => v === 0) && zi.every((v) => v === 0));
  });

  it('count 0 writes nothing', () => {
    const re = new Float32Array(3).fill(5);
    const im = new Float32Array(3).fill(5);
    stftFrames(noise(100, 1), { fftSize: 16, hop: 4 }, 2, 0, re, im);
    assert.ok(re.every((v) => v === 5) && im.every((v) => v === 5));
  });
});

describe('dsp: istftAddFrames (frame ranges of the iSTFT)', () => {
  for (const [params, lengths] of cases) {
    const { fftSize: N, hop } = params;
    it(`${N}/${hop}: blocks of 1, 7, 64 and random sizes equal istftChannel and give x back (lengths ${lengths.join(', ')})`, () => {
      for (const L of lengths) {
        const x = noise(L, L * 3 + N);
        const s = stftChannel(x, params);
        const whole = istftChannel(s.re, s.im, params, L);
        const bins = s.bins;
        const sizes: Array<[string, () => number]> = [
          ['1', () => 1], ['7', () => 7], ['64', () => 64], ['random', randomSizes(L + 11, 13)],
        ];
        for (const [name, next] of sizes) {
          const out = new Float32Array(L);
          for (const [first, count] of blocks(s.frames, next)) {
            // Each block arrives in its own buffer, as a block-wise separator holds it.
            const re = s.re.slice(first * bins, (first + count) * bins);
            const im = s.im.slice(first * bins, (first + count) * bins);
            istftAddFrames(re, im, params, first, count, out);
          }
          if (L === 0) continue;
          assert.ok(maxAbsDiff(out, whole) < 1e-6, `${N}/${hop} L ${L} blocks of ${name}: vs istftChannel ${maxAbsDiff(out, whole)}`);
          assert.ok(maxAbsDiff(out, x) < 1e-5, `${N}/${hop} L ${L} blocks of ${name}: round trip ${maxAbsDiff(out, x)}`);
        }
      }
    });
  }

  it('in-order blocks reproduce istftChannel exactly; blocks in reverse order within 1e-6', () => {
    const params: StftParams = { fftSize: 4096, hop: 1024 };
    const L = 30000;
    const x = noise(L, 77);
    const s = stftChannel(x, params);
    const whole = istftChannel(s.re, s.im, params, L);
    const parts = blocks(s.frames, randomSizes(5, 6));
    const inOrder = new Float32Array(L);
    for (const [first, count] of parts) istftAddFrames(s.re.subarray(first * s.bins), s.im.subarray(first * s.bins), params, first, count, inOrder);
    assert.deepEqual(inOrder, whole);
    const reversed = new Float32Array(L);
    for (const [first, count] of [...parts].reverse()) istftAddFrames(s.re.subarray(first * s.bins), s.im.subarray(first * s.bins), params, first, count, reversed);
    assert.ok(maxAbsDiff(reversed, whole) < 1e-6);
  });

  it('adds into what out already holds', () => {
    const params: StftParams = { fftSize: 1024, hop: 256 };
    const L = 5000;
    const x = noise(L, 8);
    const s = stftChannel(x, params);
    const out = new Float32Array(L).fill(0.25);
    istftAddFrames(s.re, s.im, params, 0, s.frames, out);
    for (let i = 0; i < L; i++) assert.ok(Math.abs(out[i] - (x[i] + 0.25)) < 1e-5);
  });
});

describe('dsp: frame ranges, invalid arguments', () => {
  const params: StftParams = { fftSize: 256, hop: 64 };
  const bins = 129;
  const L = 1000;
  const x = noise(L, 9);
  const frames = frameCount(L, params);
  const big = (): Float32Array => new Float32Array((frames + 1) * bins);

  it('firstFrame < 0, count < 0, non-integers and ranges past the last frame throw InvalidArgumentError', () => {
    const bad: Array<[number, number]> = [[-1, 1], [0, -1], [0.5, 1], [0, 1.5], [NaN, 1], [0, frames + 1], [frames, 1], [frames - 2, 3], [frames + 5, 0]];
    for (const [first, count] of bad) {
      assert.throws(() => stftFrames(x, params, first, count, big(), big()), InvalidArgumentError, `stftFrames ${first}+${count}`);
      assert.throws(() => istftAddFrames(big(), big(), params, first, count, new Float32Array(L)), InvalidArgumentError, `istftAddFrames ${first}+${count}`);
    }
    // The edges themselves are fine.
    stftFrames(x, params, 0, frames, big(), big());
    stftFrames(x, params, frames, 0, big(), big());
    istftAddFrames(big(), big(), params, frames - 1, 1, new Float32Array(L));
  });

  it('buffers shorter than count·bins throw InvalidArgumentError', () => {
    const short = new Float32Array(3 * bins - 1);
    const ok = new Float32Array(3 * bins);
    assert.throws(() => stftFrames(x, params, 0, 3, short, ok), InvalidArgumentError);
    assert.throws(() => stftFrames(x, params, 0, 3, ok, short), InvalidArgumentError);
    assert.throws(() => istftAddFrames(short, ok, params, 0, 3, new Float32Array(L)), InvalidArgumentError);
    assert.throws(() => istftAddFrames(ok, short, params, 0, 3, new Float32Array(L)), InvalidArgumentError);
    stftFrames(x, params, 0, 3, ok, new Float32Array(3 * bins));
  });

  it('bad parameters, signals and output arrays throw InvalidArgumentError', () => {
    assert.throws(() => stftFrames(x, { fftSize: 1000, hop: 250 }, 0, 1, big(), big()), InvalidArgumentError);
    assert.throws(() => istftAddFrames(big(), big(), { fftSize: 256, hop: 256 }, 0, 1, new Float32Array(L)), InvalidArgumentError);
    assert.throws(() => stftFrames(Array.from(x) as unknown as Float32Array, params, 0, 1, big(), big()), InvalidArgumentError);
    assert.throws(() => stftFrames(x, params, 0, 1, new Float64Array(bins) as unknown as Float32Array, big()), InvalidArgumentError);
    assert.throws(() => istftAddFrames(big(), big(), params, 0, 1, new Float64Array(L) as unknown as Float32Array), InvalidArgumentError);
  });
});
