/**
 * The signal framing a model was trained on: sample rate and STFT (fftSize, hop). The separator,
 * the stream chain and the one-step nodes resample and frame audio to it before the U-Net sees it.
 */
import type { StftParams } from '../dsp/types';

/** The framing of the shipped models (Jansson et al.'s 4096/1024 at 44.1 kHz). */
export const MODEL_SAMPLE_RATE = 44100;
export const MODEL_STFT: StftParams = { fftSize: 4096, hop: 1024 };
/**
 * How audio is resampled to and from the model's rate, everywhere (so every path gives the same
 * numbers). libsamplerate 'medium': flat to 19 kHz, aliases ≥ 115 dB down, 3× faster than 'best'.
 * What it trims above 19 kHz in the vocals is not lost: accompaniment = mixture − vocals keeps it.
 */
export const MODEL_RESAMPLING = { quality: 'medium' } as const;
