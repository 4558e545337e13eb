import { InvalidArgumentError } from '../errors';
import { frameCount, validateStftParams } from './stft-plan';
import type { Spectrogram } from './types';

/**
 * Throws InvalidArgumentError (code INVALID_SPECTROGRAM) unless `value` is a whole, consistent
 * Spectrogram: valid framing, a positive sample rate, frames and bins matching length and fftSize,
 * and one Float32Array of frames × bins values per channel in both re and im.
 */
export function checkSpectrogram(value: unknown): asserts value is Spectrogram {
  if (value === null || typeof value !== 'object') {
    throw new InvalidArgumentError('INVALID_SPECTROGRAM', 'a spectrogram must be an object { fftSize, hop, sampleRate, length, frames, bins, re, im }');
  }
  const spec = value as Partial<Spectrogram>;
  if (!Array.isArray(spec.re) || !Array.isArray(spec.im) || spec.re.length !== spec.im.length || spec.re.length === 0) {
    throw new InvalidArgumentError('INVALID_SPECTROGRAM', 'a spectrogram needs as many re as im channel arrays, at least one');
  }
  if (typeof spec.sampleRate !== 'number' || !Number.isFinite(spec.sampleRate) || spec.sampleRate <= 0) {
    throw new InvalidArgumentError('INVALID_SPECTROGRAM', `sampleRate must be a positive number, got ${String(spec.sampleRate)}`);
  }
  const params = { fftSize: spec.fftSize as number, hop: spec.hop as number };
  validateStftParams(params);
  const frames = frameCount(spec.length as number, params);
  const bins = params.fftSize / 2 + 1;
  if (spec.frames !== frames || spec.bins !== bins) {
    throw new InvalidArgumentError('INVALID_SPECTROGRAM',
      `spectrogram says ${String(spec.frames)} frames × ${String(spec.bins)} bins; ${String(spec.length)} samples at ${params.fftSize}/${params.hop} need ${frames} × ${bins}`);
  }
  for (let c = 0; c < spec.re.length; c++) {
    const re: unknown = spec.re[c];
    const im: unknown = spec.im[c];
    if (!(re instanceof Float32Array) || !(im instanceof Float32Array) || re.length !== frames * bins || im.length !== frames * bins) {
      throw new InvalidArgumentError('INVALID_SPECTROGRAM', `channel ${c}: re and im must be Float32Arrays of ${frames} × ${bins} = ${frames * bins} values`);
    }
  }
}
