/**
 * Shape checks for AudioData, shared by the decoder (which checks what a codec handed back) and by
 * encode/resample (which check what a caller handed in). Each returns the first problem found.
 */
import { InvalidArgumentError } from '../errors';
import type { AudioData } from './types';

export type AudioProblemCode = 'NOT_AUDIO' | 'NO_CHANNELS' | 'BAD_SAMPLE_RATE' | 'CHANNEL_MISMATCH' | 'NON_FINITE';

export interface AudioProblem {
  code: AudioProblemCode;
  message: string;
}

/** Highest sample rate accepted anywhere (768 kHz is the highest PCM rate in real use). */
export const MAX_SAMPLE_RATE = 768_000;

/**
 * Checks rate (an integer in 1..MAX_SAMPLE_RATE), channel count, equal channel lengths, and,
 * unless `checkFinite` is false, that no sample is NaN or ±Infinity (one pass over the data). For a
 * slice of a longer signal, `firstSample` is its place there: messages name the sample in the whole.
 */
export function findAudioProblem(audio: AudioData, checkFinite = true, firstSample = 0): AudioProblem | undefined {
  if (audio === null || typeof audio !== 'object') {
    return { code: 'NOT_AUDIO', message: 'audio must be an object { sampleRate, channels: Float32Array[] }' };
  }
  const { sampleRate, channels } = audio;
  if (!Number.isInteger(sampleRate) || sampleRate <= 0 || sampleRate > MAX_SAMPLE_RATE) {
    return { code: 'BAD_SAMPLE_RATE', message: `sample rate ${sampleRate} is not an integer in 1..${MAX_SAMPLE_RATE} Hz` };
  }
  if (!Array.isArray(channels) || channels.length === 0) {
    return { code: 'NO_CHANNELS', message: 'audio has no channels' };
  }
  const length = channels[0].length;
  for (let c = 0; c < channels.length; c++) {
    const ch = channels[c];
    if (!(ch instanceof Float32Array)) {
      return { code: 'CHANNEL_MISMATCH', message: `channel ${c} is not a Float32Array` };
    }
    if (ch.length !== length) {
      return { code: 'CHANNEL_MISMATCH', message: `channel ${c} has ${ch.length} samples, channel 0 has ${length}` };
    }
  }
  if (checkFinite) {
    for (let c = 0; c < channels.length; c++) {
      const i = firstNonFinite(channels[c]);
      if (i >= 0) {
        return { code: 'NON_FINITE', message: `channel ${c} sample ${firstSample + i} is ${channels[c][i]} (not a finite number)` };
      }
    }
  }
  return undefined;
}

/** Throws InvalidArgumentError (code INVALID_AUDIO) with findAudioProblem's message, if there is a problem. */
export function assertAudio(audio: AudioData, checkFinite = true): void {
  const problem = findAudioProblem(audio, checkFinite);
  if (problem) throw new InvalidArgumentError('INVALID_AUDIO', problem.message);
}

/** Index of the first NaN/±Infinity, or -1. `x - x` is 0 for finite x and NaN otherwise. */
function firstNonFinite(x: Float32Array): number {
  const n = x.length;
  let i = 0;
  // Four at a time (about twice as fast on whole songs): a NaN in any of them makes the sum NaN.
  for (; i + 4 <= n; i += 4) {
    if ((x[i] - x[i]) + (x[i + 1] - x[i + 1]) + (x[i + 2] - x[i + 2]) + (x[i + 3] - x[i + 3]) !== 0) break;
  }
  for (; i < n; i++) {
    if (x[i] - x[i] !== 0) return i;
  }
  return -1;
}
