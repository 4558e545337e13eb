import type { Spectrogram } from '../dsp/types';
import { InvalidArgumentError, VocalSplitError } from '../errors';
import { yieldToEventLoop } from '../jobs/throttle';
import type { Mask, StemName } from './types';

/**
 * One stem's spectrogram: the mixture's complex frames times the vocals' mask (vocals) or one minus
 * it (accompaniment). Soft masks, so the two stems' spectrograms sum to the mixture's.
 */
export function applyMask(spec: Spectrogram, mask: Mask, stem: StemName): Spectrogram {
  checkSameGrid(spec, mask);
  const out = allocate(spec);
  spec.re.forEach((_, c) => maskRange(spec, mask, stem, c, 0, spec.re[c].length, out));
  return { ...spec, re: out.re, im: out.im };
}

/** The vocals' soft mask applied in place to the first `n` values of complex frames (re, im). */
export function applyMaskInPlace(re: Float32Array, im: Float32Array, mask: Float32Array, n: number): void {
  for (let i = 0; i < n; i++) {
    re[i] *= mask[i];
    im[i] *= mask[i];
  }
}

/** mixture − vocals, sample by sample: the accompaniment of a soft-mask separation. */
export function complement(mix: Float32Array, vocals: Float32Array): Float32Array {
  if (vocals.length !== mix.length) throw new Error(`vocals have ${vocals.length} samples, the mixture ${mix.length}`);
  const out = new Float32Array(mix.length);
  complementRange(mix, vocals, out, 0, mix.length);
  return out;
}

/** out[i] = mix[i] − vocals[i] for i in [from, to): the accompaniment of samples as they become final. */
export function complementRange(mix: Float32Array, vocals: Float32Array, out: Float32Array, from: number, to: number): void {
  for (let i = from; i < to; i++) out[i] = mix[i] - vocals[i];
}

export interface ApplyMaskSliceOptions {
  /** Checked between slices: throws a VocalSplitError with code ABORTED. */
  signal?: AbortSignal;
  /** Called with the fraction done (0..1) after each slice. */
  onProgress?: (fraction: number) => void;
  /** Frames per slice; default 256. */
  framesPerSlice?: number;
}

/** Same result as `applyMask`, a slice of frames at a time, yielding to the event loop in between. */
export async function applyMaskAsync(spec: Spectrogram, mask: Mask, stem: StemName, options: ApplyMaskSliceOptions = {}): Promise<Spectrogram> {
  checkSameGrid(spec, mask);
  const out = allocate(spec);
  const step = Math.max(1, Math.floor(options.framesPerSlice ?? 256)) * spec.bins;
  const total = spec.re.reduce((sum, ch) => sum + ch.length, 0);
  let done = 0;
  for (let c = 0; c < spec.re.length; c++) {
    const n = spec.re[c].length;
    for (let from = 0; from < n; from += step) {
      if (options.signal?.aborted) throw new VocalSplitError('ABORTED', 'applying the mask was aborted');
      const to = Math.min(n, from + step);
      maskRange(spec, mask, stem, c, from, to, out);
      done += to - from;
      options.onProgress?.(done / total);
      await yieldToEventLoop();
    }
  }
  return { ...spec, re: out.re, im: out.im };
}

function allocate(spec: Spectrogram): { re: Float32Array[]; im: Float32Array[] } {
  return { re: spec.re.map((ch) => new Float32Array(ch.length)), im: spec.im.map((ch) => new Float32Array(ch.length)) };
}

/** out[c][i] = mixture[c][i] × gain for i in [from, to): gain m (vocals) or 1 − m (accompaniment). */
function maskRange(spec: Spectrogram, mask: Mask, stem: StemName, c: number, from: number, to: number, out: { re: Float32Array[]; im: Float32Array[] }): void {
  const mixRe = spec.re[c];
  const mixIm = spec.im[c];
  const m = mask.vocals[c];
  const outRe = out.re[c];
  const outIm = out.im[c];
  if (stem === 'vocals') {
    for (let i = from; i < to; i++) {
      outRe[i] = mixRe[i] * m[i];
      outIm[i] = mixIm[i] * m[i];
    }
  } else {
    for (let i = from; i < to; i++) {
      const g = 1 - m[i];
      outRe[i] = mixRe[i] * g;
      outIm[i] = mixIm[i] * g;
    }
  }
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
