/** Public API of the separation layer. */
export { separate, computeMask, checkModelFraming, SeparationAbortedError } from './separator';
export { applyMask, applyMaskAsync } from './apply-mask';
export type { ApplyMaskSliceOptions } from './apply-mask';
export type { Mask, StemName, Stems, SeparateOptions } from './types';
