/** Audio on its way out: optionally resampled to a rate, then WAV bytes or left as samples. */
import { encodeWavAsync, type WavBitDepth } from './encode';
import { resample, type ResampleQuality } from './resample';
import type { AudioData } from './types';

export interface AudioOutputOptions {
  /** Resample to this rate first (libsamplerate, `quality`); default: keep the audio's own. */
  sampleRate?: number;
  quality?: ResampleQuality;
  /** WAV sample format: 16/24-bit PCM or 32-bit float; default 16. */
  bitDepth?: WavBitDepth;
}

/** `audio` at `options.sampleRate` (the same object when there is nothing to do). */
export async function toRate(audio: AudioData, options: AudioOutputOptions = {}): Promise<AudioData> {
  const rate = options.sampleRate;
  return rate === undefined || rate === audio.sampleRate ? audio : resample(audio, rate, { quality: options.quality ?? 'best' });
}

/** WAV bytes of `audio`, resampled first if asked; written in slices, yielding to the event loop in between. */
export async function encodeAudio(audio: AudioData, options: AudioOutputOptions & { signal?: AbortSignal } = {}): Promise<Buffer> {
  return encodeWavAsync(await toRate(audio, options), { bitDepth: options.bitDepth ?? 16 }, { signal: options.signal });
}
