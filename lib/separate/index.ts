/** Public API of the separation layer. */
export { separate, computeMask, SeparationAbortedError } from './separator';
export { MODEL_SAMPLE_RATE, MODEL_STFT, MODEL_RESAMPLING } from '../model/signal-framing';
export { applyMask, applyMaskAsync } from './apply-mask';
export type { ApplyMaskSliceOptions } from './apply-mask';
export type { Mask, StemName, Stems, SeparateOptions } from './types';
