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
import { assertAudio } from '../audio/validate';
import { istftAddFrames, stftFrames } from '../dsp/frame-range';
import { loadFastFft } from '../dsp/fft-engine';
import { frameCount } from '../dsp/stft-plan';
import type { Spectrogram } from '../dsp/types';
import { InvalidArgumentError } from '../errors';
import type { BackendHandle } from '../model/backends/types';
import { describeFraming, MODEL_RESAMPLING, type ModelFraming } from '../model/signal-framing';
import { runMaskEngine, type FrameSource } from './mask-engine';
import { applyMaskInPlace, complementRange } from './apply-mask';
import type { Mask, SeparateOptions, Stems } from './types';

export { SeparationAbortedError } from './mask-engine';

/** Vocals and accompaniment of `audio`, at its own rate, length and channel count. */
export async function separate(audio: AudioData, backend: BackendHandle, options: SeparateOptions = {}): Promise<Stems> {
  assertAudio(audio);
  await loadFastFft();
  const framing = backend.framing;
  const atModelRate = audio.sampleRate === framing.sampleRate ? audio : await resample(audio, framing.sampleRate, MODEL_RESAMPLING);
  const length = atModelRate.channels[0].length;
  const source: FrameSource = {
    channels: atModelRate.channels.length,
    frames: frameCount(length, framing),
    bins: framing.fftSize / 2 + 1,
    read: (channel, first, count, re, im) => stftFrames(atModelRate.channels[channel], framing, first, count, re, im),
  };
  const vocalsAtModelRate = atModelRate.channels.map(() => new Float32Array(length));
  const sameRate = audio.sampleRate === framing.sampleRate;
  // Without resampling, both stems are final sample by sample as frames are added: frames [0, e)
  // of a channel fix its samples below e·hop − N/2 (later frames start there).
  const stems: Stems = {
    vocals: { sampleRate: framing.sampleRate, channels: vocalsAtModelRate }, // resampled below when the rates differ
    accompaniment: { sampleRate: audio.sampleRate, channels: audio.channels.map((c) => new Float32Array(c.length)) },
  };
  const framesAdded = atModelRate.channels.map(() => 0);
  let final = 0;
  const finalUpTo = (upTo: number): void => {
    audio.channels.forEach((mix, c) => complementRange(mix, stems.vocals.channels[c], stems.accompaniment.channels[c], final, upTo));
    final = upTo;
    options.onFinalSamples?.(stems, upTo);
  };
  await runMaskEngine(source, backend, (channel, first, count, mask, re, im) => {
    applyMaskInPlace(re, im, mask, count * source.bins);
    istftAddFrames(re, im, framing, first, count, vocalsAtModelRate[channel]);
    framesAdded[channel] = first + count;
    if (!sameRate) return;
    const upTo = Math.min(length, Math.max(0, Math.min(...framesAdded) * framing.hop - framing.fftSize / 2));
    if (upTo > final) finalUpTo(upTo);
  }, options);
  if (!sameRate) {
    stems.vocals = await resample({ sampleRate: framing.sampleRate, channels: vocalsAtModelRate }, audio.sampleRate, { ...MODEL_RESAMPLING, length: audio.channels[0].length });
  }
  // The complement in the input's own domain: vocals + accompaniment is the mixture, to float error,
  // whatever resampling happened in between.
  finalUpTo(audio.channels[0].length);
  return stems;
}

/**
 * The vocals' mask of a whole spectrogram (the U-Net mask node): the same patches, cross-fade and
 * extension as `separate`, on a spectrogram made with the model's framing (backend.framing).
 */
export async function computeMask(spec: Spectrogram, backend: BackendHandle, options: SeparateOptions = {}): Promise<Mask> {
  checkModelFraming(spec, backend.framing);
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

/** Throws UNSUPPORTED_SPECTROGRAM unless the spectrogram was made with the model's framing. */
export function checkModelFraming(spec: Pick<Spectrogram, 'fftSize' | 'hop' | 'sampleRate'>, framing: ModelFraming): void {
  if (spec.fftSize !== framing.fftSize || spec.hop !== framing.hop || spec.sampleRate !== framing.sampleRate) {
    throw new InvalidArgumentError('UNSUPPORTED_SPECTROGRAM',
      `the U-Net was trained on ${describeFraming(framing)}; this spectrogram is ${describeFraming(spec)}`);
  }
}
