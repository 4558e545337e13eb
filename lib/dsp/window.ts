import { InvalidArgumentError } from '../errors';

const cache = new Map<number, Float32Array>();
const cache64 = new Map<number, Float64Array>();

function checkSize(size: number): void {
  if (!Number.isInteger(size) || size < 1) {
    throw new InvalidArgumentError('INVALID_WINDOW_SIZE', `window size must be a positive integer, got ${size}`);
  }
}

/**
 * Periodic Hann window of `size` samples: w[n] = 0.5 - 0.5 cos(2πn / size), so w[0] = 0 and
 * w[size/2] = 1. "Periodic" (the DFT-even form, as torch.hann_window(periodic=True) and
 * scipy.signal.get_window('hann')) is the one whose shifted copies overlap-add to a constant.
 *
 * The array is cached and shared between callers: treat it as read-only.
 */
export function hannWindow(size: number): Float32Array {
  let w = cache.get(size);
  if (!w) {
    w = Float32Array.from(hannWindow64(size));
    cache.set(size, w);
  }
  return w;
}

/** The same window in double precision, for the transforms' inner loops (cached, read-only). */
export function hannWindow64(size: number): Float64Array {
  checkSize(size);
  let w = cache64.get(size);
  if (!w) {
    w = new Float64Array(size);
    for (let n = 0; n < size; n++) w[n] = 0.5 - 0.5 * Math.cos((2 * Math.PI * n) / size);
    cache64.set(size, w);
  }
  return w;
}
