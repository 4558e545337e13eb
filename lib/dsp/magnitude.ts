import { InvalidArgumentError } from '../errors';
import type { Spectrogram } from './types';

/**
 * |X| of the first `maxBins` bins (default: all) of every frame of one channel, frame-major:
 * bin k of frame t at t * maxBins + k. This is the U-Net's input (F = maxBins).
 */
export function magnitude(spec: Spectrogram, channel: number, maxBins: number = spec.bins): Float32Array {
  if (!Number.isInteger(channel) || channel < 0 || channel >= spec.re.length) {
    throw new InvalidArgumentError('INVALID_CHANNEL', `channel must be an integer in [0, ${spec.re.length - 1}], got ${channel}`);
  }
  if (!Number.isInteger(maxBins) || maxBins < 1 || maxBins > spec.bins) {
    throw new InvalidArgumentError('INVALID_BINS', `maxBins must be an integer in [1, ${spec.bins}], got ${maxBins}`);
  }
  const { frames, bins } = spec;
  const re = spec.re[channel];
  const im = spec.im[channel];
  const out = new Float32Array(frames * maxBins);
  for (let t = 0; t < frames; t++) {
    const src = t * bins;
    const dst = t * maxBins;
    for (let k = 0; k < maxBins; k++) {
      const a = re[src + k];
      const b = im[src + k];
      out[dst + k] = Math.sqrt(a * a + b * b);
    }
  }
  return out;
}
