/**
 * Joining and growing sample arrays, as the streaming code does chunk after chunk: one place for
 * the copy loops, so each caller says what it joins rather than how.
 */

/** The parts one after the other (the part itself when there is only one non-empty part). */
export function concatSamples(parts: readonly Float32Array[]): Float32Array {
  const nonEmpty = parts.filter((p) => p.length > 0);
  if (nonEmpty.length === 1) return nonEmpty[0];
  const out = new Float32Array(nonEmpty.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of nonEmpty) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Per channel, the parts (each one Float32Array per channel) one after the other. */
export function concatChannels(parts: readonly Float32Array[][], channels: number): Float32Array[] {
  return Array.from({ length: channels }, (_, c) => concatSamples(parts.map((p) => p[c] ?? new Float32Array(0))));
}

/** `array` if it holds `size` values, else a copy at least twice as large (amortised growth). */
export function withCapacity(array: Float32Array, size: number): Float32Array {
  if (size <= array.length) return array;
  const grown = new Float32Array(Math.max(size, array.length * 2));
  grown.set(array);
  return grown;
}
