/** Deterministic inputs and an exact-difference measure, shared by the dsp and model specs. */
import assert from 'node:assert/strict';

/** Deterministic noise in [-1, 1) (a 32-bit LCG), so failures reproduce. */
export function noise(length: number, seed: number): Float32Array {
  const x = new Float32Array(length);
  let s = seed >>> 0;
  for (let i = 0; i < length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    x[i] = s / 2 ** 31 - 1;
  }
  return x;
}

/** Deterministic values in [0, 1) (another 32-bit LCG): model inputs. */
export function randomInput(n: number, seed = 7): Float32Array {
  let s = seed;
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    a[i] = (s >>> 8) / 16777216;
  }
  return a;
}

/** The largest |a[i] − b[i]|; asserts the lengths match. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}
