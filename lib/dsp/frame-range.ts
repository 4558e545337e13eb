/**
 * Frame ranges of the STFT and the iSTFT, so a long signal can be transformed a block of frames at
 * a time with bounded memory. Same convention as stftChannel / istftChannel (see stft-plan.ts),
 * which are these over the whole frame range: frame t is centred on sample t·hop, and a signal of
 * `length` samples has frameCount(length) = ceil((length + fftSize/2) / hop) frames.
 */
import { InvalidArgumentError } from '../errors';
import { type FramingPlan, framingPlan, validateLength } from './stft-plan';
import type { StftParams } from './types';

/** Checks [firstFrame, firstFrame + count) ⊆ [0, frames) and that re/im hold count frames. */
function checkRange(plan: FramingPlan, frames: number, firstFrame: number, count: number, re: Float32Array, im: Float32Array, what: string): void {
  if (!Number.isInteger(firstFrame) || !Number.isInteger(count) || firstFrame < 0 || count < 0 || firstFrame + count > frames) {
    throw new InvalidArgumentError('INVALID_FRAME_RANGE',
      `${what}: frames [${String(firstFrame)}, ${String(firstFrame)} + ${String(count)}) are not within the signal's ${frames} frames`);
  }
  if (!(re instanceof Float32Array) || !(im instanceof Float32Array)) {
    throw new InvalidArgumentError('INVALID_SPECTROGRAM', `${what}: re and im must be Float32Arrays`);
  }
  const need = count * plan.bins;
  if (re.length < need || im.length < need) {
    throw new InvalidArgumentError('INVALID_SPECTROGRAM',
      `${what}: ${count} frames × ${plan.bins} bins need ${need} values in re and im, got ${re.length} and ${im.length}`);
  }
}

/**
 * Writes frames [firstFrame, firstFrame + count) of the STFT of `x` (bins 0..fftSize/2 each)
 * frame-major into outRe/outIm from index 0: bin k of frame firstFrame + j at j·bins + k.
 * Nothing past count·bins is written. Frames that reach past either end of x see zeros there.
 */
export function stftFrames(x: Float32Array, params: StftParams, firstFrame: number, count: number, outRe: Float32Array, outIm: Float32Array): void {
  if (!(x instanceof Float32Array)) {
    throw new InvalidArgumentError('INVALID_AUDIO', 'the STFT expects a Float32Array of samples');
  }
  const plan = framingPlan(params);
  const { fftSize: N, hop, bins, window: w, fft } = plan;
  const length = x.length;
  validateLength(length);
  checkRange(plan, Math.ceil((length + N / 2) / hop), firstFrame, count, outRe, outIm, 'stftFrames');
  let edge: Float32Array | null = null;
  for (let j = 0; j < count; j++) {
    const start = (firstFrame + j) * hop - N / 2;
    if (start >= 0 && start + N <= length) {
      fft.forward(x, start, w, outRe, outIm, j * bins);
    } else {
      // Frame hangs over an end: copy what exists into a zeroed frame.
      if (!edge) edge = new Float32Array(N);
      else edge.fill(0);
      const from = Math.max(0, start);
      const to = Math.min(length, start + N);
      if (to > from) edge.set(x.subarray(from, to), from - start);
      fft.forward(edge, 0, w, outRe, outIm, j * bins);
    }
  }
}

/**
 * Inverse-transforms frames [firstFrame, firstFrame + count), held frame-major in re/im from
 * index 0, and adds them Hann-windowed into `out`, each sample already divided by the sum of the
 * squared windows of all the frames of the whole signal over it. `out.length` is the length of
 * the original signal; samples of a frame outside [0, out.length) are dropped. Adding every frame
 * 0..frameCount(out.length) − 1 this way, in blocks of any size and in order, gives exactly
 * istftChannel's output.
 */
export function istftAddFrames(re: Float32Array, im: Float32Array, params: StftParams, firstFrame: number, count: number, out: Float32Array): void {
  if (!(out instanceof Float32Array)) {
    throw new InvalidArgumentError('INVALID_AUDIO', 'the iSTFT writes into a Float32Array');
  }
  const plan = framingPlan(params);
  const { fftSize: N, hop, bins } = plan;
  const length = out.length;
  checkRange(plan, Math.ceil((length + N / 2) / hop), firstFrame, count, re, im, 'istftAddFrames');
  const scratch = new Float32Array(N);
  for (let j = 0; j < count; j++) overlapAddFrame(plan, re, im, j * bins, firstFrame + j, length, out, 0, scratch);
}

/**
 * Adds frame t (bins at re/im[offset…]) to the signal, Hann-windowed and divided by the sum of the
 * squared windows over each sample: sample i goes to out[i − base]; samples outside [0, length) are
 * dropped. `scratch` holds fftSize floats. The one iSTFT inner loop, for whole signals
 * (istftAddFrames) and streams (StreamIstft), so both give the same samples bit for bit.
 */
export function overlapAddFrame(plan: FramingPlan, re: Float32Array, im: Float32Array, offset: number, t: number, length: number, out: Float32Array, base: number, scratch: Float32Array): void {
  const { fftSize: N, hop, window: w, synthesis, cycleInv, headLength, headInv, fft } = plan;
  const start = t * hop - N / 2;
  // Frames from N/hop − 1 on start at or after headLength, where the window sum is hop-periodic.
  if (t >= N / hop - 1 && start + N <= length) {
    fft.inverse(re, im, offset, synthesis, out, start - base);
    return;
  }
  // The frame hangs over an end or covers the head: window it into the scratch frame, then
  // normalise sample by sample.
  scratch.fill(0);
  fft.inverse(re, im, offset, w, scratch, 0);
  const mask = hop - 1; // hop is a power of two
  const to = Math.min(length, start + N);
  for (let i = Math.max(0, start); i < to; i++) {
    out[i - base] += scratch[i - start] * (i < headLength ? headInv[i] : cycleInv[i & mask]);
  }
}
