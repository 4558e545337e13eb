/**
 * Real-input FFT for the STFT on PFFFT (Julien Pommier's SIMD FFT), as built for WebAssembly SIMD by
 * the optional dependency @echogarden/pffft-wasm. Same contract as fft.ts's RealFft; per 4096-sample
 * frame, window and copies included, the forward transform takes about 30 % of fft.js's time and the
 * inverse with its overlap-add about half (bench/stft_bench.ts's kernel line).
 * The FFT is the largest part of a song's audio work, so this is what lets a 3-minute song go
 * through on two cores at the throughput goals of the README.
 *
 * PFFFT computes in float32 (fft.js in doubles): spectra agree with fft.js to about 1e-7 of their
 * peak, and a frame comes back from forward + inverse to about 1e-7 (tested in dsp_stft_spec).
 *
 * The package is an ES module whose factory compiles the wasm asynchronously, so it is loaded by
 * `loadPffft` (fft-engine.ts decides when); the transforms themselves are synchronous.
 */
import type { RealTransform } from './real-transform';
import { hannWindow64 } from './window';

/** What this file uses of the Emscripten module (checked when it loads). */
export interface PffftWasm {
  /** A view of the wasm memory, replaced by the module when its memory grows. */
  HEAPF32: Float32Array;
  _pffft_new_setup(n: number, kind: number): number;
  _pffft_transform_ordered(setup: number, input: number, output: number, work: number, direction: number): void;
  _pffft_aligned_malloc(bytes: number): number;
}

const PFFFT_REAL = 0;
const PFFFT_FORWARD = 0;
const PFFFT_BACKWARD = 1;
/** PFFFT's real transforms need N to be a multiple of 32 (4 SIMD lanes × 8); above 2^20 the 12 MB of wasm memory per size is not worth keeping for the rare caller. */
const MIN_SIZE = 32;
const MAX_SIZE = 1 << 20;

/** Whether PffftRealFft takes frames of `size` samples (powers of two 32 … 2^20). */
export function pffftTakes(size: number): boolean {
  return Number.isInteger(size) && size >= MIN_SIZE && size <= MAX_SIZE && (size & (size - 1)) === 0;
}

/** Instantiates the SIMD build; rejects where the package is not installed or its module is not what this file expects. */
export async function loadPffft(): Promise<PffftWasm> {
  const { default: factory } = await import('@echogarden/pffft-wasm/simd');
  const wasm = await factory();
  const need = ['_pffft_new_setup', '_pffft_transform_ordered', '_pffft_aligned_malloc'] as const;
  if (wasm === null || typeof wasm !== 'object' || need.some((f) => typeof (wasm as Record<string, unknown>)[f] !== 'function')
    || !((wasm as Record<string, unknown>).HEAPF32 instanceof Float32Array)) {
    throw new Error('@echogarden/pffft-wasm does not have the functions this version of vocal-split uses');
  }
  return wasm as PffftWasm;
}

export class PffftRealFft implements RealTransform {
  readonly size: number;
  readonly bins: number;
  private readonly setup: number;
  /** Byte addresses in wasm memory (16-byte aligned, as PFFFT's SIMD loads need) of N floats each. */
  private readonly input: number;
  private readonly output: number;
  private readonly work: number;

  constructor(private readonly wasm: PffftWasm, size: number) {
    if (!pffftTakes(size)) throw new RangeError(`PffftRealFft size must be a power of two from ${MIN_SIZE} to ${MAX_SIZE}, got ${size}`);
    this.size = size;
    this.bins = size / 2 + 1;
    this.setup = wasm._pffft_new_setup(size, PFFFT_REAL);
    this.input = wasm._pffft_aligned_malloc(4 * size);
    this.output = wasm._pffft_aligned_malloc(4 * size);
    this.work = wasm._pffft_aligned_malloc(4 * size); // without it PFFFT would take N floats of the small wasm stack
    if (!this.setup || !this.input || !this.output || !this.work) throw new RangeError(`PFFFT could not allocate a transform of ${size} samples`);
  }

  forward(x: Float32Array, start: number, win: Float64Array, outRe: Float32Array, outIm: Float32Array, outOffset: number): void {
    const N = this.size;
    const heap = this.wasm.HEAPF32; // read each call: another size's allocation may have grown the memory
    const i0 = this.input >> 2;
    const c = hannScale(win);
    if (c === undefined) {
      for (let n = 0; n < N; n++) heap[i0 + n] = x[start + n] * win[n];
    } else {
      heap.set(x.subarray(start, start + N), i0); // windowed below, in the frequency domain
    }
    this.wasm._pffft_transform_ordered(this.setup, this.input, this.output, this.work, PFFFT_FORWARD);
    readSpectrum(heap, this.output >> 2, N / 2, c, outRe, outIm, outOffset);
  }

  inverse(inRe: Float32Array, inIm: Float32Array, inOffset: number, weights: Float64Array, out: Float32Array, outStart: number): void {
    const N = this.size;
    const heap = this.wasm.HEAPF32;
    const c = hannScale(weights);
    // PFFFT's backward transform is not normalised (it gives N·x): 1/N is folded in here.
    writeSpectrum(inRe, inIm, inOffset, N / 2, c, 1 / N, heap, this.input >> 2);
    this.wasm._pffft_transform_ordered(this.setup, this.input, this.output, this.work, PFFFT_BACKWARD);
    const o0 = this.output >> 2;
    if (c === undefined) {
      for (let n = 0; n < N; n++) out[outStart + n] += weights[n] * heap[o0 + n];
    } else {
      for (let n = 0; n < N; n++) out[outStart + n] += heap[o0 + n];
    }
  }
}

/**
 * Why windows are looked at: the STFT's windows are the periodic Hann window times a constant (the
 * synthesis weights are Hann / Σw² when N/hop ≥ 4). Multiplying by w[n] = ½ − ½·cos(2πn/N) is, on
 * the spectrum, the 3-tap convolution ½·X[k] − ¼·(X[k−1] + X[k+1]): folded into the copies to and
 * from wasm memory it replaces a JavaScript loop over the N samples that cost as much as the
 * transform itself. Arrays are remembered by identity, so a weights array must not change after use
 * (the STFT plans' never do).
 */
const hannScales = new WeakMap<Float64Array, number | null>();

/** c if win[n] = c·(½ − ½·cos(2πn/N)) for every n (to 1e-12 of c), else undefined. */
function hannScale(win: Float64Array): number | undefined {
  let c = hannScales.get(win);
  if (c === undefined) {
    const N = win.length;
    const peak = win[N >> 1];
    const tolerance = 1e-12 * Math.abs(peak);
    let fits = N >= MIN_SIZE && peak !== 0 && Number.isFinite(peak);
    const hann = fits ? hannWindow64(N) : win;
    for (let n = 0; fits && n < N; n++) fits = Math.abs(win[n] - peak * hann[n]) <= tolerance;
    c = fits ? peak : null;
    hannScales.set(win, c);
  }
  return c ?? undefined;
}

/**
 * PFFFT's ordered real spectrum at heap[p0…] ([X0, X(M), Re X1, Im X1, …], M = N/2) into
 * outRe/outIm[o…o+M]; with `hannGain` c, convolved on the way with the 3 taps of c times the Hann
 * window (X[−1] and X[M+1] are the conjugates of X[1] and X[M−1], the spectrum of a real frame).
 */
function readSpectrum(heap: Float32Array, p0: number, M: number, hannGain: number | undefined, outRe: Float32Array, outIm: Float32Array, o: number): void {
  if (hannGain === undefined) {
    outRe[o] = heap[p0]; outIm[o] = 0;
    outRe[o + M] = heap[p0 + 1]; outIm[o + M] = 0;
    for (let k = 1, p = p0 + 2; k < M; k++, p += 2) {
      outRe[o + k] = heap[p];
      outIm[o + k] = heap[p + 1];
    }
    return;
  }
  const a = 0.5 * hannGain;
  const b = -0.25 * hannGain;
  const x0 = heap[p0];
  const xM = heap[p0 + 1];
  outRe[o] = a * x0 + 2 * b * heap[p0 + 2]; outIm[o] = 0;
  outRe[o + M] = a * xM + 2 * b * heap[p0 + 2 * M - 2]; outIm[o + M] = 0;
  let pr = x0, pi = 0; // X[k−1]
  let cr = heap[p0 + 2], ci = heap[p0 + 3]; // X[k]
  for (let k = 1, p = p0 + 4; k < M - 1; k++, p += 2) {
    const nr = heap[p], ni = heap[p + 1]; // X[k+1]
    outRe[o + k] = a * cr + b * (pr + nr);
    outIm[o + k] = a * ci + b * (pi + ni);
    pr = cr; pi = ci; cr = nr; ci = ni;
  }
  outRe[o + M - 1] = a * cr + b * (pr + xM);
  outIm[o + M - 1] = a * ci + b * pi;
}

/**
 * Bins 0..M of inRe/inIm[o…] times `scale` into PFFFT's ordered layout at heap[p0…], the imaginary
 * parts of bins 0 and M taken as 0; with `hannGain` c, convolved with the 3 taps of c times the Hann
 * window (so the inverse transform comes out already windowed).
 */
function writeSpectrum(inRe: Float32Array, inIm: Float32Array, o: number, M: number, hannGain: number | undefined, scale: number, heap: Float32Array, p0: number): void {
  const gain = (hannGain ?? 1) * scale;
  if (hannGain === undefined) {
    heap[p0] = gain * inRe[o];
    heap[p0 + 1] = gain * inRe[o + M];
    for (let k = 1, p = p0 + 2; k < M; k++, p += 2) {
      heap[p] = gain * inRe[o + k];
      heap[p + 1] = gain * inIm[o + k];
    }
    return;
  }
  const a = 0.5 * gain;
  const b = -0.25 * gain;
  const y0 = inRe[o];
  const yM = inRe[o + M];
  heap[p0] = a * y0 + 2 * b * inRe[o + 1];
  heap[p0 + 1] = a * yM + 2 * b * inRe[o + M - 1];
  let pr = y0, pi = 0; // Y[k−1]
  let cr = inRe[o + 1], ci = inIm[o + 1]; // Y[k]
  for (let k = 1, p = p0 + 2; k < M - 1; k++, p += 2) {
    const nr = inRe[o + k + 1], ni = inIm[o + k + 1]; // Y[k+1]
    heap[p] = a * cr + b * (pr + nr);
    heap[p + 1] = a * ci + b * (pi + ni);
    pr = cr; pi = ci; cr = nr; ci = ni;
  }
  heap[p0 + 2 * M - 2] = a * cr + b * (pr + yM);
  heap[p0 + 2 * M - 1] = a * ci + b * pi;
}
