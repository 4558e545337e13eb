/** Public API of the separation layer. */
export { separate, computeMask, SeparationAbortedError, MODEL_SAMPLE_RATE, MODEL_STFT } from './separator';
export { applyMask } from './apply-mask';
export type { Mask, StemName, Stems, SeparateOptions } from './types';
