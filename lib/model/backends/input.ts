/** The input check every predictMask does before running anything (handles and engines alike). */
import { InvalidArgumentError } from '../../errors';
import type { InferenceEngine } from './types';

/**
 * Why `input` is not `batch` patches of the model's shape (bins × frames × channelsIn floats each),
 * as an INVALID_INPUT error; undefined when it is.
 */
export function maskInputError(config: InferenceEngine['config'], input: Float32Array, batch: number): InvalidArgumentError | undefined {
  const { bins, frames, channelsIn } = config;
  const per = bins * frames * channelsIn;
  if (!(input instanceof Float32Array)) {
    return new InvalidArgumentError('INVALID_INPUT', 'predictMask: input must be a Float32Array');
  }
  if (!Number.isInteger(batch) || batch < 1 || input.length !== batch * per) {
    return new InvalidArgumentError('INVALID_INPUT',
      `predictMask: input has ${input.length} values, expected batch (${batch}) × ${bins} × ${frames} × ${channelsIn} = ${batch * per}`);
  }
  return undefined;
}
