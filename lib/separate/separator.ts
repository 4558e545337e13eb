/**
 * The separation chain for a whole song: audio → STFT → U-Net mask → soft mask → iSTFT → vocals,
 * with accompaniment = mixture − vocals (the soft masks sum to one).
 *
 * Frames are computed when a patch needs them and turned back into audio as soon as their mask is
 * final, so memory is bounded by the batch of patches, not by the song's length (the input and
 * output audio buffers aside).
 */
import type { AudioData } from '../audio/types';
import { resample } from '../audio/resample';
import { istftAddFrames, stftFrames } from '../dsp/frame-range';
import { frameCount } from '../dsp/stft-plan';
import type { Spectrogram } from '../dsp/types';
import { InvalidArgumentError } from '../errors';
import type { BackendHandle } from '../model/backends/types';
import { MODEL_RESAMPLING, MODEL_SAMPLE_RATE, MODEL_STFT } from '../model/signal-framing';
import { runMaskEngine, type FrameSource } from './mask-engine';
import { applyMaskInPlace, complement } from './apply-mask';
import type { Mask, SeparateOptions, Stems } from './types';

export { SeparationAbortedError } from './mask-engine';

/** Vocals and accompaniment of `audio`, at its own rate, length and channel count. */
export async function separate(audio: AudioData, backend: BackendHandle, options: SeparateOptions = {}): Promise<Stems> {
  checkAudio(audio);
  const atModelRate = audio.sampleRate === MODEL_SAMPLE_RATE ? audio : await resample(audio, MODEL_SAMPLE_RATE, MODEL_RESAMPLING);
  const length = atModelRate.channels[0].length;
  const source: FrameSource = {
    channels: atModelRate.channels.length,
    frames: frameCount(length, MODEL_STFT),
    bins: MODEL_STFT.fftSize / 2 + 1,
    read: (channel, first, count, re, im) => stftFrames(atModelRate.channels[channel], MODEL_STFT, first, count, re, im),
  };
  const vocalsAtModelRate = atModelRate.channels.map(() => new Float32Array(length));
  await runMaskEngine(source, backend, (channel, first, count, mask, re, im) => {
    applyMaskInPlace(re, im, mask, count * source.bins);
    istftAddFrames(re, im, MODEL_STFT, first, count, vocalsAtModelRate[channel]);
  }, options);
  const vocals = audio.sampleRate === MODEL_SAMPLE_RATE
    ? { sampleRate: audio.sampleRate, channels: vocalsAtModelRate }
    : await resample({ sampleRate: MODEL_SAMPLE_RATE, channels: vocalsAtModelRate }, audio.sampleRate, MODEL_RESAMPLING);
  // The complement in the input's own domain: vocals + accompaniment is the mixture, to float error,
  // whatever resampling happened in between.
  const accompaniment = audio.channels.map((mix, c) => complement(mix, vocals.channels[c]));
  return { vocals, accompaniment: { sampleRate: audio.sampleRate, channels: accompaniment } };
}

/**
 * The vocals' mask of a whole spectrogram (the U-Net mask node): the same patches, cross-fade and
 * extension as `separate`, on a spectrogram made with the model's framing at 44.1 kHz.
 */
export async function computeMask(spec: Spectrogram, backend: BackendHandle, options: SeparateOptions = {}): Promise<Mask> {
  if (spec.fftSize !== MODEL_STFT.fftSize || spec.hop !== MODEL_STFT.hop || spec.sampleRate !== MODEL_SAMPLE_RATE) {
    throw new InvalidArgumentError('UNSUPPORTED_SPECTROGRAM',
      `the U-Net was trained on ${MODEL_STFT.fftSize}/${MODEL_STFT.hop} frames at ${MODEL_SAMPLE_RATE} Hz; this spectrogram is ${spec.fftSize}/${spec.hop} at ${spec.sampleRate} Hz`);
  }
  const { bins, frames } = spec;
  const source: FrameSource = {
    channels: spec.re.length,
    frames,
    bins,
    read: (channel, first, count, re, im) => {
      re.set(spec.re[channel].subarray(first * bins, (first + count) * bins));
      im.set(spec.im[channel].subarray(first * bins, (first + count) * bins));
    },
  };
  const vocals = spec.re.map(() => new Float32Array(frames * bins));
  await runMaskEngine(source, backend, (channel, first, count, mask) => {
    vocals[channel].set(mask.subarray(0, count * bins), first * bins);
  }, options);
  return { fftSize: spec.fftSize, hop: spec.hop, sampleRate: spec.sampleRate, length: spec.length, frames, bins, vocals };
}

function checkAudio(audio: AudioData): void {
  if (!audio || !Array.isArray(audio.channels) || audio.channels.length === 0) {
    throw new InvalidArgumentError('INVALID_AUDIO', 'audio must have at least one channel');
  }
  if (!(audio.sampleRate > 0) || !Number.isFinite(audio.sampleRate)) {
    throw new InvalidArgumentError('INVALID_AUDIO', `sample rate must be a positive number, got ${String(audio.sampleRate)}`);
  }
  const length = audio.channels[0].length;
  if (audio.channels.some((ch) => !(ch instanceof Float32Array) || ch.length !== length)) {
    throw new InvalidArgumentError('INVALID_AUDIO', 'every channel must be a Float32Array of the same length');
  }
}
