/**
 * What the STFT and the iSTFT need of an FFT: one frame size's real transform, windowed on the way
 * in and overlap-added on the way out. Two implementations: fft.ts (fft.js, plain JavaScript, always
 * there) and pffft.ts (PFFFT in WebAssembly SIMD, an optional dependency); fft-engine.ts picks one.
 */
export interface RealTransform {
  /** N, the number of real samples per frame. */
  readonly size: number;
  /** N/2 + 1 */
  readonly bins: number;
  /**
   * X[k] = Σ_n win[n]·x[start+n]·e^{-2πikn/N} for k = 0..N/2, written to
   * outRe/outIm[outOffset + k]. Reads x[start .. start+N-1]; the caller guarantees they exist.
   */
  forward(x: Float32Array, start: number, win: Float64Array, outRe: Float32Array, outIm: Float32Array, outOffset: number): void;
  /**
   * Inverse of `forward` without the window, overlap-added: out[outStart + n] += weights[n]·x[n]
   * where x[n] = (1/N) Σ_k X[k] e^{2πikn/N} over the Hermitian spectrum whose bins 0..N/2 are
   * inRe/inIm[inOffset + k] (the imaginary parts of bins 0 and N/2 are ignored, as numpy's irfft
   * does). For the plain inverse, pass a zeroed `out` and weights of ones. Writes
   * out[outStart .. outStart+N-1]; the caller guarantees they exist.
   */
  inverse(inRe: Float32Array, inIm: Float32Array, inOffset: number, weights: Float64Array, out: Float32Array, outStart: number): void;
}
