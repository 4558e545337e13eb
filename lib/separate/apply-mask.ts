import type { Spectrogram } from '../dsp/types';
import { InvalidArgumentError } from '../errors';
import type { Mask, StemName } from './types';

/**
 * One stem's spectrogram: the mixture's complex frames times the vocals' mask (vocals) or one minus
 * it (accompaniment). Soft masks, so the two stems' spectrograms sum to the mixture's.
 */
export function applyMask(spec: Spectrogram, mask: Mask, stem: StemName): Spectrogram {
  checkSameGrid(spec, mask);
  const re: Float32Array[] = [];
  const im: Float32Array[] = [];
  spec.re.forEach((mixRe, c) => {
    const mixIm = spec.im[c];
    const m = mask.vocals[c];
    const outRe = new Float32Array(mixRe.length);
    const outIm = new Float32Array(mixIm.length);
    for (let i = 0; i < mixRe.length; i++) {
      const g = stem === 'vocals' ? m[i] : 1 - m[i];
      outRe[i] = mixRe[i] * g;
      outIm[i] = mixIm[i] * g;
    }
    re.push(outRe);
    im.push(outIm);
  });
  return { ...spec, re, im };
}

function checkSameGrid(spec: Spectrogram, mask: Mask): void {
  const fields = ['fftSize', 'hop', 'sampleRate', 'length', 'frames', 'bins'] as const;
  for (const field of fields) {
    if (spec[field] !== mask[field]) {
      throw new InvalidArgumentError('MASK_MISMATCH', `mask and spectrogram differ in ${field}: ${mask[field]} vs ${spec[field]}`);
    }
  }
  if (mask.vocals.length !== spec.re.length) {
    throw new InvalidArgumentError('MASK_MISMATCH', `mask has ${mask.vocals.length} channels, the spectrogram ${spec.re.length}`);
  }
  if (mask.vocals.some((m, c) => !(m instanceof Float32Array) || m.length !== spec.re[c].length)) {
    throw new InvalidArgumentError('MASK_MISMATCH', 'mask channel sizes do not match the spectrogram');
  }
}
