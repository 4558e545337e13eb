/**
 * Where the U-Net's fixed-size patches sit along a song's frames, and how their masks are blended.
 * Patches overlap by `overlap` frames and are cross-faded with weights normalised by their sum,
 * so a constant mask stays exactly constant across patch borders (no seams) whatever the song length.
 */
import { InvalidArgumentError } from '../errors';

export interface PatchPlan {
  /** Frames per patch (the model's T). */
  size: number;
  /** Frames shared by consecutive patches. */
  overlap: number;
  /** First frame of each patch, ascending; the last patch may run past the end (zero padded). */
  starts: number[];
}

export function planPatches(totalFrames: number, size: number, overlap: number): PatchPlan {
  if (!Number.isInteger(size) || size <= 0) throw new InvalidArgumentError('BAD_PATCH', `patch size must be a positive integer, got ${size}`);
  if (!Number.isInteger(overlap) || overlap < 0 || overlap > size / 2) {
    throw new InvalidArgumentError('BAD_OVERLAP', `patch overlap must be an integer in [0, ${size / 2}], got ${overlap}`);
  }
  const step = size - overlap;
  const starts: number[] = [];
  for (let start = 0; start === 0 || start + overlap < totalFrames; start += step) starts.push(start);
  return { size, overlap, starts };
}

const weightCache = new Map<string, Float32Array>();

/**
 * Weight of frame j of a fade-in over n frames: sin²(π/2 · (j + ½) / n). The fade-out over the same
 * frames is 1 − it (sin² + cos² = 1), so two overlapping masks blend with weights summing to one.
 */
export function fadeIn(j: number, n: number): number {
  return Math.sin((Math.PI / 2) * ((j + 0.5) / n)) ** 2;
}

/**
 * A patch's model input divided by its own max (+ 1e-8, so silence stays 0): the U-Net was trained
 * on patches scaled so, whatever the song's loudness. In place; `max` is the largest value in it.
 */
export function normalisePatch(input: Float32Array, max: number): void {
  const scale = 1 / (max + 1e-8);
  for (let i = 0; i < input.length; i++) input[i] *= scale;
}

/**
 * Cross-fade weight of each frame in a patch: sin² ramps over the overlap at both ends, 1 between.
 * The ramps of neighbours sum to 1 (sin² + cos²), and no weight is 0, so the first and last
 * patches, which have no neighbour on one side, still normalise to their own mask.
 */
export function patchWeights(size: number, overlap: number): Float32Array {
  const key = `${size}/${overlap}`;
  let weights = weightCache.get(key);
  if (!weights) {
    weights = new Float32Array(size).fill(1);
    for (let t = 0; t < overlap; t++) {
      const ramp = fadeIn(t, overlap);
      weights[t] = ramp;
      weights[size - 1 - t] = ramp;
    }
    weightCache.set(key, weights);
  }
  return weights;
}
