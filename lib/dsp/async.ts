/**
 * `stft` and `istft` in slices of frames, yielding to the event loop between slices, with progress
 * and an AbortSignal: for callers that must stay responsive (the Node-RED nodes). The numbers are
 * exactly those of `stft` / `istft` (the same frame functions, frame by frame, in the same order).
 */
import type { AudioData } from '../audio/types';
import { VocalSplitError } from '../errors';
import { yieldToEventLoop } from '../jobs/throttle';
import { checkSpectrogram } from './check';
import { loadFastFft } from './fft-engine';
import { frameCount, framingPlan } from './stft-plan';
import { istftAddFrames, stftFrames } from './frame-range';
import { validateAudio } from './stft';
import type { Spectrogram, StftParams } from './types';

export interface SliceOptions {
  /** Called with the fraction done (0..1) after each slice. */
  onProgress?: (fraction: number) => void;
  /** Checked between slices: throws a VocalSplitError with code ABORTED. */
  signal?: AbortSignal;
  /** Frames per slice; default about 8 M samples of FFT work (128 frames at 4096). */
  framesPerSlice?: number;
}

function sliceFrames(fftSize: number, options: SliceOptions): number {
  return Math.max(1, Math.floor(options.framesPerSlice ?? (1 << 19) / fftSize));
}

function checkAborted(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted) throw new VocalSplitError('ABORTED', `${what} was aborted`);
}

/** Same result as `stft(audio, params)`. */
export async function stftAsync(audio: AudioData, params: StftParams, options: SliceOptions = {}): Promise<Spectrogram> {
  const length = validateAudio(audio);
  await loadFastFft();
  const plan = framingPlan(params);
  const frames = frameCount(length, params);
  const { bins } = plan;
  const step = sliceFrames(params.fftSize, options);
  const re = audio.channels.map(() => new Float32Array(frames * bins));
  const im = audio.channels.map(() => new Float32Array(frames * bins));
  const total = frames * audio.channels.length;
  let done = 0;
  for (let c = 0; c < audio.channels.length; c++) {
    for (let first = 0; first < frames; first += step) {
      checkAborted(options.signal, 'the STFT');
      const count = Math.min(step, frames - first);
      stftFrames(audio.channels[c], params, first, count, re[c].subarray(first * bins), im[c].subarray(first * bins));
      done += count;
      options.onProgress?.(done / total);
      await yieldToEventLoop();
    }
  }
  return { fftSize: params.fftSize, hop: params.hop, sampleRate: audio.sampleRate, length, frames, bins, re, im };
}

/** Same result as `istft(spec)`. */
export async function istftAsync(spec: Spectrogram, options: SliceOptions = {}): Promise<AudioData> {
  checkSpectrogram(spec);
  await loadFastFft();
  const params: StftParams = { fftSize: spec.fftSize, hop: spec.hop };
  const { frames, bins } = spec;
  const step = sliceFrames(spec.fftSize, options);
  const channels = spec.re.map(() => new Float32Array(spec.length));
  const total = frames * spec.re.length;
  let done = 0;
  for (let c = 0; c < spec.re.length; c++) {
    for (let first = 0; first < frames; first += step) {
      checkAborted(options.signal, 'the inverse STFT');
      const count = Math.min(step, frames - first);
      istftAddFrames(spec.re[c].subarray(first * bins), spec.im[c].subarray(first * bins), params, first, count, channels[c]);
      done += count;
      options.onProgress?.(done / total);
      await yieldToEventLoop();
    }
  }
  return { sampleRate: spec.sampleRate, channels };
}
