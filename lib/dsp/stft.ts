import type { AudioData } from '../audio/types';
import { assertAudio } from '../audio/validate';
import { InvalidArgumentError } from '../errors';
import { frameCount, framingPlan } from './stft-plan';
import { stftFrames } from './frame-range';
import type { ChannelSpectrogram, Spectrogram, StftParams } from './types';

/**
 * STFT of one channel (periodic Hann window, zero padded, frame t centred on sample t·hop;
 * frames = ceil((x.length + fftSize/2) / hop), see stft-plan.ts). Returns bins 0..fftSize/2 of
 * every frame, frame-major.
 */
export function stftChannel(x: Float32Array, params: StftParams): ChannelSpectrogram {
  if (!(x instanceof Float32Array)) {
    throw new InvalidArgumentError('INVALID_AUDIO', 'stftChannel expects a Float32Array of samples');
  }
  const frames = frameCount(x.length, params);
  const bins = params.fftSize / 2 + 1;
  const re = new Float32Array(frames * bins);
  const im = new Float32Array(frames * bins);
  stftFrames(x, params, 0, frames, re, im);
  return { frames, bins, re, im };
}

/** Checks an AudioData's shape (audio/validate.ts; NaN is the caller's to refuse) and returns its length. */
export function validateAudio(audio: AudioData): number {
  assertAudio(audio, false);
  return audio.channels[0].length;
}

/** STFT of every channel of `audio`; `istft` of the result gives `audio` back to float error. */
export function stft(audio: AudioData, params: StftParams): Spectrogram {
  const length = validateAudio(audio);
  framingPlan(params); // validates params before any work
  const re: Float32Array[] = [];
  const im: Float32Array[] = [];
  let frames = 0;
  let bins = params.fftSize / 2 + 1;
  for (const ch of audio.channels) {
    const s = stftChannel(ch, params);
    re.push(s.re);
    im.push(s.im);
    frames = s.frames;
    bins = s.bins;
  }
  return { fftSize: params.fftSize, hop: params.hop, sampleRate: audio.sampleRate, length, frames, bins, re, im };
}
