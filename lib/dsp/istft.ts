import type { AudioData } from '../audio/types';
import { InvalidArgumentError } from '../errors';
import { checkSpectrogram } from './check';
import { frameCount } from './stft-plan';
import { istftAddFrames } from './frame-range';
import type { Spectrogram, StftParams } from './types';

/**
 * Inverse of `stftChannel`: inverse FFT of every frame, Hann-windowed overlap-add, each sample
 * divided by the sum of the squared windows over it, cut to `length` samples. `re`/`im` hold
 * ceil((length + fftSize/2) / hop) frames of fftSize/2 + 1 bins, frame-major.
 */
export function istftChannel(re: Float32Array, im: Float32Array, params: StftParams, length: number): Float32Array {
  const frames = frameCount(length, params);
  const bins = params.fftSize / 2 + 1;
  if (!(re instanceof Float32Array) || !(im instanceof Float32Array) || re.length !== frames * bins || im.length !== frames * bins) {
    throw new InvalidArgumentError('INVALID_SPECTROGRAM',
      `expected ${frames} frames × ${bins} bins (${frames * bins} values) in re and im for ${length} samples at ${params.fftSize}/${params.hop}`);
  }
  const out = new Float32Array(length);
  istftAddFrames(re, im, params, 0, frames, out);
  return out;
}

/** Inverse of `stft`: one channel of audio per spectrogram channel, `spec.length` samples each. */
export function istft(spec: Spectrogram): AudioData {
  checkSpectrogram(spec);
  const params: StftParams = { fftSize: spec.fftSize, hop: spec.hop };
  const channels = spec.re.map((re, c) => istftChannel(re, spec.im[c], params, spec.length));
  return { sampleRate: spec.sampleRate, channels };
}
