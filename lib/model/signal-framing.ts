/**
 * The signal framing a model was trained on, read from its model.json (`userDefinedMetadata.vocalSplit.stft`):
 * sample rate and STFT (fftSize, hop). Every path (separate(), long WAV files, streams, the unet-mask
 * node, the CLI, eval) resamples and frames audio to the framing of the model it runs, never to a
 * constant, so a model trained on other framing runs as trained or is refused with the reason.
 */
import { validateStftParams } from '../dsp/stft-plan';
import type { StftParams } from '../dsp/types';
import { InvalidArgumentError } from '../errors';
import type { UNetConfig } from './config';

export interface ModelFraming extends StftParams {
  /** The rate the model's spectrograms were made at, in Hz. */
  sampleRate: number;
}

/** The framing of the shipped models (Jansson et al.'s 4096/1024 at 44.1 kHz), and of a model.json without an `stft` block. */
export const DEFAULT_FRAMING: Readonly<ModelFraming> = Object.freeze({ fftSize: 4096, hop: 1024, sampleRate: 44100 });

/** The rates the resamplers and the stream path take. */
export const MIN_RATE = 8000;
export const MAX_RATE = 192000;

/**
 * How audio is resampled to and from the model's rate, everywhere (so every path gives the same
 * numbers). libsamplerate 'medium': flat to 19 kHz, aliases ≥ 115 dB down, 3× faster than 'best'.
 * What it trims above 19 kHz in the vocals is not lost: accompaniment = mixture − vocals keeps it.
 */
export const MODEL_RESAMPLING = { quality: 'medium' } as const;

/**
 * A model's framing (of unknown shape, from model.json) checked against what this code can run:
 * fftSize a power of two with hop = fftSize / 2^k (k ≥ 1, the Hann overlap-add the iSTFT inverts),
 * an integer rate in 8000..192000 Hz, and at least as many STFT bins as the U-Net reads.
 * Throws InvalidArgumentError (code UNSUPPORTED_FRAMING) saying which value and why.
 */
export function validateModelFraming(value: unknown, config: UNetConfig, where = 'stft'): ModelFraming {
  if (value === null || typeof value !== 'object') {
    throw new InvalidArgumentError('UNSUPPORTED_FRAMING', `${where} must be an object { fftSize, hop, sampleRate }, got ${JSON.stringify(value)}`);
  }
  const v = value as Record<string, unknown>;
  const framing = { fftSize: v.fftSize as number, hop: v.hop as number, sampleRate: v.sampleRate as number };
  try {
    validateStftParams(framing);
  } catch (err) {
    throw new InvalidArgumentError('UNSUPPORTED_FRAMING', `${where}: ${(err as Error).message}`);
  }
  if (!Number.isInteger(framing.sampleRate) || framing.sampleRate < MIN_RATE || framing.sampleRate > MAX_RATE) {
    throw new InvalidArgumentError('UNSUPPORTED_FRAMING', `${where}: sampleRate must be an integer in ${MIN_RATE}..${MAX_RATE} Hz, got ${String(v.sampleRate)}`);
  }
  const bins = framing.fftSize / 2 + 1;
  if (config.bins > bins) {
    throw new InvalidArgumentError('UNSUPPORTED_FRAMING', `${where}: the U-Net reads ${config.bins} bins; a ${framing.fftSize}-point STFT has ${bins}`);
  }
  return framing;
}

/** "4096/1024 at 44100 Hz", for messages. */
export function describeFraming(f: ModelFraming): string {
  return `${f.fftSize}/${f.hop} at ${f.sampleRate} Hz`;
}
