/**
 * Dense linear solves for BSS Eval's distortion-filter systems G·c = d, where G is the
 * (nsrc·512)² Gram matrix of delayed reference signals: symmetric positive semi-definite.
 *
 * mir_eval calls np.linalg.solve (LAPACK LU with partial pivoting) and, only when that raises
 * LinAlgError (an exactly zero pivot), np.linalg.lstsq (minimum-norm least squares, singular values
 * below machine epsilon × the largest treated as zero). We factor once per matrix and reuse the
 * factor for every right-hand side (the same references serve every estimate of a clip):
 *  1. Cholesky — half the work of LU, and for a positive definite G it gives LU's solution to rounding;
 *  2. if a Cholesky pivot is not positive (G singular or nearly so, where LU may still succeed):
 *     LU with partial pivoting, as np.linalg.solve does;
 *  3. if LU meets an exactly zero pivot (where numpy raises LinAlgError): the pseudo-inverse from a
 *     symmetric eigendecomposition, which for a symmetric matrix is lstsq's minimum-norm solution.
 *
 * Matrices are row-major Float64Arrays of n·n values.
 */

export type SolverKind = 'cholesky' | 'lu' | 'lstsq';

export interface LinearSolver {
  readonly kind: SolverKind;
  readonly size: number;
  /** Returns x with A·x = b (or the minimum-norm least-squares x for 'lstsq'). */
  solve(b: Float64Array): Float64Array;
}

/** LAPACK's dlamch('E'): the rcond lstsq uses when given rcond = -1 (numpy's old default). */
const LAPACK_EPS = 2 ** -53;

/** Factors the symmetric matrix `a` (n×n, row-major; not modified) for repeated solves. */
export function factorSymmetric(a: Float64Array, n: number): LinearSolver {
  if (a.length !== n * n) throw new RangeError(`expected ${n}×${n} = ${n * n} values, got ${a.length}`);
  return cholesky(a, n) ?? luPartialPivot(a, n) ?? pseudoInverse(a, n);
}

/**
 * Cholesky–Banachiewicz, two rows against two rows at a time: the four dot products share their
 * loads, which makes it ~1.6× faster than one row at a time in V8 (1024²: ~120 ms against ~200).
 * Null when a pivot is not clearly > 0.
 */
export function cholesky(a: Float64Array, n: number): LinearSolver | null {
  const l = new Float64Array(n * n);
  // A pivot at rounding level means singular to working precision: leave it to LU, which decides
  // as numpy does (only an exactly zero pivot is singular there).
  const tiny = n * 2 ** -52;
  for (let i0 = 0; i0 < n; i0 += 2) {
    const i1 = i0 + 1;
    const two = i1 < n;
    const r0 = i0 * n;
    const r1 = i1 * n;
    // Off-diagonal entries of rows i0, i1 in columns j0, j1 (j1 < i0 as i0 is even).
    for (let j0 = 0; j0 < i0; j0 += 2) {
      const j1 = j0 + 1;
      const q0 = j0 * n;
      const q1 = j1 * n;
      let s00 = 0, s01 = 0, s10 = 0, s11 = 0;
      if (two) {
        for (let k = 0; k < j0; k++) {
          const a0 = l[r0 + k], a1 = l[r1 + k], b0 = l[q0 + k], b1 = l[q1 + k];
          s00 += a0 * b0; s01 += a0 * b1; s10 += a1 * b0; s11 += a1 * b1;
        }
      } else {
        for (let k = 0; k < j0; k++) {
          const a0 = l[r0 + k];
          s00 += a0 * l[q0 + k]; s01 += a0 * l[q1 + k];
        }
      }
      const d0 = l[q0 + j0], d1 = l[q1 + j1], c = l[q1 + j0];
      const x00 = (a[r0 + j0] - s00) / d0;
      l[r0 + j0] = x00;
      l[r0 + j1] = (a[r0 + j1] - s01 - x00 * c) / d1;
      if (two) {
        const x10 = (a[r1 + j0] - s10) / d0;
        l[r1 + j0] = x10;
        l[r1 + j1] = (a[r1 + j1] - s11 - x10 * c) / d1;
      }
    }
    // The 2×2 diagonal block.
    let s = 0;
    for (let k = 0; k < i0; k++) s += l[r0 + k] * l[r0 + k];
    s = a[r0 + i0] - s;
    if (!(s > tiny * a[r0 + i0])) return null;
    const d0 = Math.sqrt(s);
    l[r0 + i0] = d0;
    if (two) {
      let s10 = 0, s11 = 0;
      for (let k = 0; k < i0; k++) {
        const v = l[r1 + k];
        s10 += v * l[r0 + k]; s11 += v * v;
      }
      const x = (a[r1 + i0] - s10) / d0;
      l[r1 + i0] = x;
      const t = a[r1 + i1] - s11 - x * x;
      if (!(t > tiny * a[r1 + i1])) return null;
      l[r1 + i1] = Math.sqrt(t);
    }
  }
  return {
    kind: 'cholesky',
    size: n,
    solve(b) {
      checkRhs(b, n);
      const y = Float64Array.from(b);
      for (let i = 0; i < n; i++) {
        const ri = i * n;
        let s = y[i];
        for (let k = 0; k < i; k++) s -= l[ri + k] * y[k];
        y[i] = s / l[ri + i];
      }
      // Lᵀx = y, column by column so that L is still read along its rows.
      for (let i = n - 1; i >= 0; i--) {
        const ri = i * n;
        const xi = y[i] / l[ri + i];
        y[i] = xi;
        for (let k = 0; k < i; k++) y[k] -= l[ri + k] * xi;
      }
      return y;
    },
  };
}

/** LU with partial pivoting (LAPACK getrf's choice of pivot); null on an exactly zero pivot. */
export function luPartialPivot(a: Float64Array, n: number): LinearSolver | null {
  const lu = Float64Array.from(a);
  const piv = new Int32Array(n);
  for (let k = 0; k < n; k++) {
    let p = k;
    let max = Math.abs(lu[k * n + k]);
    for (let i = k + 1; i < n; i++) {
      const v = Math.abs(lu[i * n + k]);
      if (v > max) {
        max = v;
        p = i;
      }
    }
    piv[k] = p;
    // LAPACK's gesv reports singularity only for a pivot that is exactly zero.
    if (max === 0 || Number.isNaN(max)) return null;
    if (p !== k) {
      for (let j = 0; j < n; j++) {
        const t = lu[k * n + j];
        lu[k * n + j] = lu[p * n + j];
        lu[p * n + j] = t;
      }
    }
    const rk = k * n;
    const inv = 1 / lu[rk + k];
    for (let i = k + 1; i < n; i++) {
      const ri = i * n;
      const f = lu[ri + k] * inv;
      lu[ri + k] = f;
      if (f !== 0) for (let j = k + 1; j < n; j++) lu[ri + j] -= f * lu[rk + j];
    }
  }
  return {
    kind: 'lu',
    size: n,
    solve(b) {
      checkRhs(b, n);
      const x = Float64Array.from(b);
      for (let k = 0; k < n; k++) {
        const p = piv[k];
        if (p !== k) {
          const t = x[k];
          x[k] = x[p];
          x[p] = t;
        }
      }
      for (let i = 0; i < n; i++) {
        const ri = i * n;
        let s = x[i];
        for (let k = 0; k < i; k++) s -= lu[ri + k] * x[k];
        x[i] = s;
      }
      for (let i = n - 1; i >= 0; i--) {
        const ri = i * n;
        let s = x[i];
        for (let k = i + 1; k < n; k++) s -= lu[ri + k] * x[k];
        x[i] = s / lu[ri + i];
      }
      return x;
    },
  };
}

/**
 * Minimum-norm least squares through A = Q·Λ·Qᵀ: x = Σ over |λ| > eps·max|λ| of (qᵀb / λ)·q.
 * For a symmetric A the singular values are the |λ|, so this is lstsq's answer (rcond = -1).
 */
export function pseudoInverse(a: Float64Array, n: number): LinearSolver {
  const { values, vectors } = symmetricEigen(a, n);
  let maxAbs = 0;
  for (const v of values) maxAbs = Math.max(maxAbs, Math.abs(v));
  const cutoff = LAPACK_EPS * maxAbs;
  return {
    kind: 'lstsq',
    size: n,
    solve(b) {
      checkRhs(b, n);
      const x = new Float64Array(n);
      for (let k = 0; k < n; k++) {
        const lambda = values[k];
        if (!(Math.abs(lambda) > cutoff)) continue;
        let dot = 0;
        for (let i = 0; i < n; i++) dot += vectors[i * n + k] * b[i];
        const c = dot / lambda;
        for (let i = 0; i < n; i++) x[i] += c * vectors[i * n + k];
      }
      return x;
    },
  };
}

function checkRhs(b: Float64Array, n: number): void {
  if (b.length !== n) throw new RangeError(`right-hand side has ${b.length} values; the system has ${n}`);
}

/**
 * Eigenvalues and eigenvectors (columns of `vectors`, row-major) of a symmetric matrix:
 * Householder tridiagonalisation and the implicit QL algorithm, after JAMA's tred2/tql2
 * (public domain, itself from EISPACK). Only used on the rare singular fallback.
 */
export function symmetricEigen(a: Float64Array, n: number): { values: Float64Array; vectors: Float64Array } {
  const V = Float64Array.from(a);
  const d = new Float64Array(n);
  const e = new Float64Array(n);
  if (n === 0) return { values: d, vectors: V };
  // tred2
  for (let j = 0; j < n; j++) d[j] = V[(n - 1) * n + j];
  for (let i = n - 1; i > 0; i--) {
    let scale = 0;
    let h = 0;
    for (let k = 0; k < i; k++) scale += Math.abs(d[k]);
    if (scale === 0) {
      e[i] = d[i - 1];
      for (let j = 0; j < i; j++) {
        d[j] = V[(i - 1) * n + j];
        V[i * n + j] = 0;
        V[j * n + i] = 0;
      }
    } else {
      for (let k = 0; k < i; k++) {
        d[k] /= scale;
        h += d[k] * d[k];
      }
      let f = d[i - 1];
      let g = Math.sqrt(h);
      if (f > 0) g = -g;
      e[i] = scale * g;
      h -= f * g;
      d[i - 1] = f - g;
      for (let j = 0; j < i; j++) e[j] = 0;
      for (let j = 0; j < i; j++) {
        f = d[j];
        V[j * n + i] = f;
        g = e[j] + V[j * n + j] * f;
        for (let k = j + 1; k <= i - 1; k++) {
          g += V[k * n + j] * d[k];
          e[k] += V[k * n + j] * f;
        }
        e[j] = g;
      }
      f = 0;
      for (let j = 0; j < i; j++) {
        e[j] /= h;
        f += e[j] * d[j];
      }
      const hh = f / (h + h);
      for (let j = 0; j < i; j++) e[j] -= hh * d[j];
      for (let j = 0; j < i; j++) {
        f = d[j];
        g = e[j];
        for (let k = j; k <= i - 1; k++) V[k * n + j] -= f * e[k] + g * d[k];
        d[j] = V[(i - 1) * n + j];
        V[i * n + j] = 0;
      }
    }
    d[i] = h;
  }
  for (let i = 0; i < n - 1; i++) {
    V[(n - 1) * n + i] = V[i * n + i];
    V[i * n + i] = 1;
    const h = d[i + 1];
    if (h !== 0) {
      for (let k = 0; k <= i; k++) d[k] = V[k * n + i + 1] / h;
      for (let j = 0; j <= i; j++) {
        let g = 0;
        for (let k = 0; k <= i; k++) g += V[k * n + i + 1] * V[k * n + j];
        for (let k = 0; k <= i; k++) V[k * n + j] -= g * d[k];
      }
    }
    for (let k = 0; k <= i; k++) V[k * n + i + 1] = 0;
  }
  for (let j = 0; j < n; j++) {
    d[j] = V[(n - 1) * n + j];
    V[(n - 1) * n + j] = 0;
  }
  V[(n - 1) * n + n - 1] = 1;
  e[0] = 0;
  // tql2
  for (let i = 1; i < n; i++) e[i - 1] = e[i];
  e[n - 1] = 0;
  let f = 0;
  let tst1 = 0;
  const eps = 2 ** -52;
  for (let l = 0; l < n; l++) {
    tst1 = Math.max(tst1, Math.abs(d[l]) + Math.abs(e[l]));
    let m = l;
    while (m < n) {
      if (Math.abs(e[m]) <= eps * tst1) break;
      m++;
    }
    if (m > l) {
      do {
        let g = d[l];
        let p = (d[l + 1] - g) / (2 * e[l]);
        let r = Math.hypot(p, 1);
        if (p < 0) r = -r;
        d[l] = e[l] / (p + r);
        d[l + 1] = e[l] * (p + r);
        const dl1 = d[l + 1];
        let h = g - d[l];
        for (let i = l + 2; i < n; i++) d[i] -= h;
        f += h;
        p = d[m];
        let c = 1;
        let c2 = c;
        let c3 = c;
        const el1 = e[l + 1];
        let s = 0;
        let s2 = 0;
        for (let i = m - 1; i >= l; i--) {
          c3 = c2;
          c2 = c;
          s2 = s;
          g = c * e[i];
          h = c * p;
          r = Math.hypot(p, e[i]);
          e[i + 1] = s * r;
          s = e[i] / r;
          c = p / r;
          p = c * d[i] - s * g;
          d[i + 1] = h + s * (c * g + s * d[i]);
          for (let k = 0; k < n; k++) {
            h = V[k * n + i + 1];
            V[k * n + i + 1] = s * V[k * n + i] + c * h;
            V[k * n + i] = c * V[k * n + i] - s * h;
          }
        }
        p = (-s * s2 * c3 * el1 * e[l]) / dl1;
        e[l] = s * p;
        d[l] = c * p;
      } while (Math.abs(e[l]) > eps * tst1);
    }
    d[l] += f;
    e[l] = 0;
  }
  return { values: d, vectors: V };
}
