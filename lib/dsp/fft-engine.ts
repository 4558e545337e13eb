/**
 * Which real FFT a thread's STFTs run on: PFFFT (pffft.ts, WebAssembly SIMD) where the optional
 * package is installed, fft.js (fft.ts) otherwise, or when VOCAL_SPLIT_FFT=fft.js asks for it.
 *
 * PFFFT loads asynchronously, and the two differ in the last bits of a float32. So that a thread's
 * results never depend on when the load finished, a thread picks its engine once, on its first
 * transform, and keeps it: every async entry point (separate, the pool's tasks, stftAsync…) awaits
 * `loadFastFft()` before its first transform; a caller of the synchronous stft()/istft() awaits it
 * first to get PFFFT. Sizes PFFFT does not take (16) always use fft.js.
 */
import { RealFft } from './fft';
import { loadPffft, PffftRealFft, pffftTakes, type PffftWasm } from './pffft';
import type { RealTransform } from './real-transform';

export type FftEngineName = 'pffft' | 'fft.js';

let wasm: PffftWasm | undefined;
let loading: Promise<void> | undefined;
let loadFailure: string | undefined;
let chosen: FftEngineName | undefined;
/** This thread's transform of each size (its engine is fftEngine(), or fft.js for sizes PFFFT does not take). */
const transforms = new Map<number, RealTransform>();

/** Whether the environment asks for fft.js (VOCAL_SPLIT_FFT=fft.js): to compare, or to rule PFFFT out. */
function fftJsAsked(): boolean {
  return process.env.VOCAL_SPLIT_FFT === 'fft.js';
}

/** Loads PFFFT once per thread; resolves (never rejects) when the thread's engine can be picked. */
export function loadFastFft(): Promise<void> {
  if (fftJsAsked()) return Promise.resolve();
  loading ??= loadPffft().then((loaded) => { wasm = loaded; }, (err: unknown) => {
    loadFailure = err instanceof Error ? err.message : String(err);
  });
  return loading;
}

/** The engine of this thread's transforms (picked now if no transform has run yet). */
export function fftEngine(): FftEngineName {
  chosen ??= wasm && !fftJsAsked() ? 'pffft' : 'fft.js';
  return chosen;
}

/** One line for `vocal-split info` and the benches: the engine and, for fft.js, why. */
export function describeFftEngine(): string {
  if (fftEngine() === 'pffft') return 'PFFFT (WebAssembly SIMD, @echogarden/pffft-wasm)';
  if (fftJsAsked()) return 'fft.js (VOCAL_SPLIT_FFT=fft.js)';
  return `fft.js (PFFFT ${loadFailure ? `did not load: ${loadFailure}` : loading ? 'was still loading at this thread\'s first transform' : 'was not loaded before this thread\'s first transform'})`;
}

/** This thread's real FFT of `size` samples, a power of two ≥ 16 (shared: every call is synchronous). */
export function realFft(size: number): RealTransform {
  let t = transforms.get(size);
  if (!t) {
    t = pffftTakes(size) && fftEngine() === 'pffft' && wasm ? new PffftRealFft(wasm, size) : new RealFft(size);
    transforms.set(size, t);
  }
  return t;
}
