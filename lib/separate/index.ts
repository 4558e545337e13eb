/** Public API of the separation layer. */
export { separate, computeMask, SeparationAbortedError, MODEL_SAMPLE_RATE, MODEL_STFT, MODEL_RESAMPLING } from './separator';
export { applyMask, applyMaskAsync } from './apply-mask';
export type { ApplyMaskSliceOptions } from './apply-mask';
export type { Mask, StemName, Stems, SeparateOptions } from './types';
