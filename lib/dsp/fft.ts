/**
 * Real-input FFT for the STFT on fft.js: N real samples <-> bins 0..N/2, N a power of two ≥ 16.
 * The fallback where PFFFT (pffft.ts) is not installed or cannot take the size.
 *
 * Why the packing trick rather than fft.js's realTransform: an N-point real transform is one
 * N/2-point complex FFT of z[n] = x[2n] + i·x[2n+1] plus an O(N) split step. In fft.js's
 * interleaved layout [re0, im0, re1, im1, ...] that z is just the frame itself, so the packing is
 * the windowed copy the STFT makes anyway, and on the way back the unpacking is the weighted
 * overlap-add. Per 4096-sample frame (bench/stft_bench.ts, 2-core EPYC under load) the forward
 * takes ≈ 28 µs against ≈ 34 µs for a windowed copy + realTransform, and the inverse + overlap-add
 * ≈ 32 µs against ≈ 57 µs for completeSpectrum + inverseTransform of the full N points (fft.js
 * has no real inverse).
 *
 * With E, O the N/2-point DFTs of the even and odd samples and W = e^{-2πi/N}:
 *   Z[k] = E[k] + i·O[k],  E[k] = (Z[k] + conj Z[M−k]) / 2,  O[k] = (Z[k] − conj Z[M−k]) / 2i,
 *   X[k] = E[k] + W^k·O[k],  conj X[M−k] = E[k] − W^k·O[k]            (M = N/2)
 *
 * An instance owns its scratch arrays, so it is not re-entrant; every call is synchronous, so
 * sharing one per size within a thread (see `realFft`) is safe.
 */
import FFT from 'fft.js';
import type { RealTransform } from './real-transform';

export class RealFft implements RealTransform {
  /** N, the number of real samples per frame. */
  readonly size: number;
  /** N/2 + 1 */
  readonly bins: number;
  /** M = N/2, the complex FFT size. */
  private readonly half: number;
  private readonly fft: FFT;
  /** fft.js complex arrays (2M numbers, interleaved re/im): its input and its output. */
  private readonly packed: number[];
  private readonly spectrum: number[];
  /** 0.5·cos and 0.5·sin of 2πk/N for k = 0..M/2, the split step's twiddles. */
  private readonly cos: Float64Array;
  private readonly sin: Float64Array;

  constructor(size: number) {
    if (!Number.isInteger(size) || size < 16 || (size & (size - 1)) !== 0) {
      throw new RangeError(`RealFft size must be a power of two ≥ 16, got ${size}`);
    }
    const M = size / 2;
    this.size = size;
    this.bins = M + 1;
    this.half = M;
    this.fft = new FFT(M);
    // fft.js's own arrays (plain double arrays) measure faster with it than Float64Arrays do.
    this.packed = this.fft.createComplexArray() as number[];
    this.spectrum = this.fft.createComplexArray() as number[];
    this.cos = new Float64Array(M / 2 + 1);
    this.sin = new Float64Array(M / 2 + 1);
    for (let k = 0; k <= M / 2; k++) {
      this.cos[k] = 0.5 * Math.cos((2 * Math.PI * k) / size);
      this.sin[k] = 0.5 * Math.sin((2 * Math.PI * k) / size);
    }
  }

  /** See RealTransform.forward. */
  forward(x: Float32Array, start: number, win: Float64Array, outRe: Float32Array, outIm: Float32Array, outOffset: number): void {
    const N = this.size;
    const M = this.half;
    const z = this.packed;
    const Z = this.spectrum;
    for (let n = 0; n < N; n++) z[n] = x[start + n] * win[n]; // even n → re, odd n → im
    this.fft.transform(Z, z);
    const cs = this.cos;
    const sn = this.sin;
    const o = outOffset;
    outRe[o] = Z[0] + Z[1]; outIm[o] = 0;
    outRe[o + M] = Z[0] - Z[1]; outIm[o + M] = 0;
    for (let k = 1, m = 2 * (M - 1); k <= M >> 1; k++, m -= 2) {
      const ar = Z[2 * k], ai = Z[2 * k + 1], cr = Z[m], ci = Z[m + 1]; // Z[k], Z[M−k]
      const er = 0.5 * (ar + cr), ei = 0.5 * (ai - ci); // E[k]
      const pr = ai + ci, pi = cr - ar; // 2·O[k]
      const wr = cs[k] * pr + sn[k] * pi, wi = cs[k] * pi - sn[k] * pr; // W^k·O[k]
      outRe[o + k] = er + wr; outIm[o + k] = ei + wi;
      outRe[o + M - k] = er - wr; outIm[o + M - k] = wi - ei;
    }
  }

  /**
   * See RealTransform.inverse.
   *
   * z = IDFT(Z) is computed as conj(DFT(conj Z)) / M with fft.js's forward transform, the
   * conjugates folded into the unsplit and the 1/M into the unpacking, which saves the extra
   * pass inverseTransform makes to divide by its size (≈ 3 µs of ≈ 32 at N = 4096).
   */
  inverse(inRe: Float32Array, inIm: Float32Array, inOffset: number, weights: Float64Array, out: Float32Array, outStart: number): void {
    const N = this.size;
    const M = this.half;
    const Zc = this.packed; // conj Z
    const y = this.spectrum; // M·conj z
    const cs = this.cos;
    const sn = this.sin;
    const o = inOffset;
    const r0 = inRe[o], rM = inRe[o + M];
    Zc[0] = 0.5 * (r0 + rM); Zc[1] = 0.5 * (rM - r0);
    for (let k = 1, m = 2 * (M - 1); k <= M >> 1; k++, m -= 2) {
      const a = inRe[o + k], b = inIm[o + k], c = inRe[o + M - k], d = inIm[o + M - k];
      const er = 0.5 * (a + c), ei = 0.5 * (b - d); // E[k]
      const dr = a - c, di = b + d; // 2·W^k·O[k]
      const or = cs[k] * dr - sn[k] * di, oi = sn[k] * dr + cs[k] * di; // O[k]
      // Z[k] = E[k] + i·O[k]; Z[M−k] = conj E[k] + i·conj O[k]. Stored conjugated.
      Zc[2 * k] = er - oi; Zc[2 * k + 1] = -(ei + or);
      Zc[m] = er + oi; Zc[m + 1] = ei - or;
    }
    this.fft.transform(y, Zc);
    const scale = 1 / M;
    for (let n = 0, i = outStart; n < N; n += 2, i += 2) {
      out[i] += weights[n] * y[n] * scale; // even sample: Re z[n/2]
      out[i + 1] -= weights[n + 1] * y[n + 1] * scale; // odd sample: Im z[n/2]
    }
  }
}
