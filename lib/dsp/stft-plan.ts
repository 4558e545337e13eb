/**
 * Framing shared by the STFT and the iSTFT.
 *
 * Convention (librosa / torch.stft `center=True`, zero padded):
 *  - frame t covers original samples [t·hop − N/2, t·hop + N/2) and is centred on sample t·hop,
 *    so original sample 0 sits at index N/2 of frame 0, where the Hann window peaks (w = 1);
 *  - samples outside [0, length) read as zeros;
 *  - frames = ceil((length + N/2) / hop): every frame t ≥ 0 that holds at least one sample, so the
 *    last frame starts at or before the last sample and the samples near the end get all N/hop
 *    overlapping frames — what a streaming STFT produces when it is flushed with zeros.
 *    (For length 0 that is N/(2·hop) all-zero frames.) Frames 0..floor(length/hop) are exactly
 *    torch.stft's `center=True, pad_mode='constant'` frames; the rest (N/(2·hop) − 1 or N/(2·hop)
 *    of them, depending on length mod hop) reach into the end padding.
 *    e.g. 4096/1024: frames = ceil((length + 2048) / 1024); 3 min at 44.1 kHz → 7754 frames.
 *
 * Why zeros rather than reflect padding: reconstruction is exact either way (the window-squared
 * normalisation below divides out whatever frames a sample has), but zeros work for any length
 * (reflect needs length > N/2; torch refuses shorter input), need no look-ahead when streaming,
 * and do not feed mirrored audio into the first and last frames the U-Net sees.
 *
 * Samples in [0, N/2 − hop) (the first 1024 at 4096/1024; none when hop = N/2) have fewer than
 * N/hop frames above them, since no frame starts before padded position 0. The iSTFT divides
 * each sample by the sum of the squared windows of the frames that actually cover it, computed
 * once per (fftSize, hop): a head table for those samples and a hop-periodic table for the rest.
 */
import { InvalidArgumentError } from '../errors';
import { realFft } from './fft-engine';
import type { RealTransform } from './real-transform';
import type { StftParams } from './types';
import { hannWindow64 } from './window';

/** Throws InvalidArgumentError unless fftSize is a power of two ≥ 16 and hop = fftSize / 2^k, k ≥ 1. */
export function validateStftParams(params: StftParams): void {
  if (params === null || typeof params !== 'object') {
    throw new InvalidArgumentError('INVALID_STFT_PARAMS', 'STFT parameters must be an object { fftSize, hop }');
  }
  const { fftSize, hop } = params;
  if (typeof fftSize !== 'number' || !Number.isInteger(fftSize) || fftSize < 16 || (fftSize & (fftSize - 1)) !== 0 || fftSize > 2 ** 24) {
    throw new InvalidArgumentError('INVALID_FFT_SIZE', `fftSize must be a power of two between 16 and 2^24, got ${String(fftSize)}`);
  }
  if (typeof hop !== 'number' || !Number.isInteger(hop) || hop <= 0) {
    throw new InvalidArgumentError('INVALID_HOP', `hop must be a positive integer, got ${String(hop)}`);
  }
  // A hop that divides N leaves the Hann window's shifted copies summing to a constant (COLA);
  // N/hop ≥ 2 keeps every sample under at least two frames, so the normalisation never divides by ~0.
  if (fftSize % hop !== 0 || fftSize / hop < 2) {
    throw new InvalidArgumentError('INVALID_HOP', `hop must divide fftSize with fftSize/hop ≥ 2 (e.g. ${fftSize / 4}), got hop ${hop} for fftSize ${fftSize}`);
  }
}

export function validateLength(length: number): void {
  if (!Number.isInteger(length) || length < 0) {
    throw new InvalidArgumentError('INVALID_LENGTH', `signal length must be a non-negative integer, got ${String(length)}`);
  }
}

/** Number of frames the STFT of `length` samples has: ceil((length + fftSize/2) / hop). */
export function frameCount(length: number, params: StftParams): number {
  validateStftParams(params);
  validateLength(length);
  return Math.ceil((length + params.fftSize / 2) / params.hop);
}

/** Per-(fftSize, hop) constants, built once. Everything in it is read-only. */
export interface FramingPlan {
  fftSize: number;
  hop: number;
  bins: number;
  /** Analysis window (periodic Hann), also the synthesis window. */
  window: Float64Array;
  /** 1 / Σ w² for samples i ≥ headLength, indexed by i mod hop. */
  cycleInv: Float64Array;
  /** window[n] · cycleInv[n mod hop]: the whole synthesis weight of a frame that starts at i ≥ headLength. */
  synthesis: Float64Array;
  /** fftSize/2 − hop: samples [0, headLength) are covered by fewer frames. */
  headLength: number;
  /** 1 / Σ w² over the frames that cover sample i, for i < headLength. */
  headInv: Float64Array;
  fft: RealTransform;
}

const plans = new Map<string, FramingPlan>();

export function framingPlan(params: StftParams): FramingPlan {
  validateStftParams(params);
  const { fftSize: N, hop } = params;
  const key = `${N}/${hop}`;
  let plan = plans.get(key);
  if (plan) return plan;
  const w = hannWindow64(N);
  const cycleInv = new Float64Array(hop);
  for (let j = 0; j < hop; j++) {
    let e = 0;
    for (let n = j; n < N; n += hop) e += w[n] * w[n];
    cycleInv[j] = 1 / e;
  }
  const synthesis = new Float64Array(N);
  for (let n = 0; n < N; n++) synthesis[n] = w[n] * cycleInv[n % hop];
  const headLength = N / 2 - hop;
  const headInv = new Float64Array(headLength);
  for (let i = 0; i < headLength; i++) {
    const p = i + N / 2; // position in the padded signal; frame t covers [t·hop, t·hop + N)
    let e = 0;
    for (let t = 0; t * hop <= p; t++) {
      const n = p - t * hop;
      if (n < N) e += w[n] * w[n];
    }
    headInv[i] = 1 / e;
  }
  plan = { fftSize: N, hop, bins: N / 2 + 1, window: w, cycleInv, synthesis, headLength, headInv, fft: realFft(N) };
  plans.set(key, plan);
  return plan;
}
