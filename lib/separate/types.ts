import type { AudioData } from '../audio/types';

/**
 * The vocals' soft mask on a spectrogram's grid: per channel, frame-major (bin k of frame t at
 * t * bins + k), values in [0, 1], full band. The accompaniment's mask is 1 − vocals, so the two
 * stems always sum to the mixture.
 */
export interface Mask {
  fftSize: number;
  hop: number;
  sampleRate: number;
  length: number;
  frames: number;
  bins: number;
  vocals: Float32Array[];
}

export type StemName = 'vocals' | 'accompaniment';

export interface Stems {
  vocals: AudioData;
  accompaniment: AudioData;
}

export interface SeparateOptions {
  /** Frames shared by consecutive patches and cross-faded; default a quarter of the patch. */
  overlap?: number;
  /** Patches sent to the backend at once; default the backend's own batch size. */
  batchSize?: number;
  /** Called with the fraction done (0..1) after each batch. */
  onProgress?: (fraction: number) => void;
  /** Aborts between batches (node close, redeploy, Ctrl-C). */
  signal?: AbortSignal;
  /**
   * separate() only: called as samples of both stems become final, with the arrays it will return:
   * samples [0, upTo) of every channel no longer change. Called last with the whole length. Without
   * resampling the calls follow the batches (a caller can encode while the song is still being
   * separated); with resampling there is one call, at the end.
   */
  onFinalSamples?: (stems: Stems, upTo: number) => void;
}
