/** How a spectrogram was framed; enough to invert it exactly. */
export interface StftParams {
  /** FFT size = window length, a power of two (4096 at 44.1 kHz by convention). */
  fftSize: number;
  /** Hop in samples; fftSize / hop must give a COLA Hann overlap (hop ≤ fftSize / 2). */
  hop: number;
}

/**
 * Complex STFT of one channel, frame-major: bin k of frame t is at index t * bins + k.
 * Frame t is centred on sample t * hop (see lib/dsp/stft-plan.ts for the exact convention).
 */
export interface ChannelSpectrogram {
  frames: number;
  /** fftSize / 2 + 1 */
  bins: number;
  re: Float32Array;
  im: Float32Array;
}

/**
 * Complex STFT of one or more channels. Frames are stored frame-major: bin k of frame t of a channel
 * is at index t * bins + k of `re[c]` / `im[c]`, with bins = fftSize / 2 + 1.
 * Frame t is centred on sample t * hop; frames = ceil((length + fftSize / 2) / hop).
 */
export interface Spectrogram extends StftParams {
  sampleRate: number;
  /** Length in samples of the signal that was transformed, so the iSTFT restores it exactly. */
  length: number;
  /** Number of frames per channel. */
  frames: number;
  /** fftSize / 2 + 1 */
  bins: number;
  re: Float32Array[];
  im: Float32Array[];
}
