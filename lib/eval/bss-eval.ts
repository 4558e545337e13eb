/**
 * BSS Eval v3 `bss_eval_sources`, as mir_eval.separation.bss_eval_sources (mir_eval 0.7) computes
 * it, in Float64: each estimate is split into the reference it is matched with, filtered by a
 * 512-tap time-invariant filter (s_target), the other references, each filtered likewise
 * (e_interf), and the rest (e_artif); SDR, SIR and SAR are energy ratios of those parts in dB.
 *
 * mir_eval's `_project` solves G·c = D, where G holds the inner products of the references delayed
 * by 0..511 samples (cross-correlations by FFT) and D those of the estimate with the delayed
 * references, then filters the references with c. We compute the same quantities the same way, but:
 *  - G depends on the references only, so it is built and factored once (`BssEval`) and reused for
 *    every estimate of a clip (the model's, the mixture's, the ideal mask's);
 *  - the projection on all references depends on the estimate only, not on which reference it is
 *    matched with, so it is computed once per estimate rather than once per (estimate, reference);
 *  - two real inverse FFTs (cross-correlations) are packed into one complex one.
 * None of these change the result beyond rounding (checked against mir_eval: test/eval_bss_spec.ts).
 * The singular-matrix fallback is mir_eval's: see ./linalg.ts.
 */
import FFT from 'fft.js';
import { InvalidArgumentError } from '../errors';
import { factorSymmetric, type LinearSolver, type SolverKind } from './linalg';

/** Samples of one signal; converted to Float64 before any arithmetic. */
export type Signal = ArrayLike<number>;

export interface BssEvalOptions {
  /**
   * Try every matching of estimates to references and keep the one with the best mean SIR
   * (mir_eval's default, true). With false, estimate j is scored against reference j.
   */
  computePermutation?: boolean;
}

export interface BssEvalResult {
  /** Per reference source j, in dB, for the estimate matched with it. */
  sdr: number[];
  sir: number[];
  sar: number[];
  /** perm[j] is the estimate matched with reference j (0, 1, ... without permutation). */
  perm: number[];
}

/** bss_eval_sources's filter length: distortions by filters up to 512 taps count as the target. */
export const FILTER_LENGTH = 512;
/** mir_eval.separation.MAX_SOURCES. */
export const MAX_SOURCES = 100;

/** mir_eval.separation.bss_eval_sources(references, estimates, compute_permutation). */
export function bssEvalSources(references: readonly Signal[], estimates: readonly Signal[], options: BssEvalOptions = {}): BssEvalResult {
  checkShapes(references, estimates);
  if (references.length === 0 || references[0].length === 0) return { sdr: [], sir: [], sar: [], perm: [] };
  return new BssEval(references).evaluate(estimates, options);
}

/** What one estimate projects to: its Float64 copy, its spectrum, its projection on all references. */
interface EstimateParts {
  samples: Float64Array;
  /** Correlations with each reference delayed by 0..FILTER_LENGTH−1, concatenated (mir_eval's D). */
  d: Float64Array;
  /** Projection on the span of every delayed reference, nsampl + FILTER_LENGTH − 1 samples. */
  projAll: Float64Array;
}

/**
 * The references of one clip, prepared once: their spectra and the factored Gram matrices of the
 * whole set and of each reference alone. `evaluate` then scores any number of estimate sets.
 */
export class BssEval {
  readonly sources: number;
  readonly length: number;
  /** How the systems were solved ('cholesky' normally; see ./linalg.ts): full set, then each reference. */
  readonly solverKinds: { all: SolverKind; single: SolverKind[] };
  private readonly refs: Float64Array[];
  private readonly nfft: number;
  private readonly fft: FFT;
  private readonly refSpectra: number[][];
  private readonly solveAll: LinearSolver;
  private readonly solveSingle: LinearSolver[];
  // Scratch arrays of nfft complex values (fft.js prefers plain arrays).
  private readonly bufA: number[];
  private readonly bufB: number[];
  private readonly bufC: number[];

  constructor(references: readonly Signal[]) {
    if (!Array.isArray(references) || references.some((r) => r?.length !== references[0].length)) {
      throw new InvalidArgumentError('BSS_SHAPE', `reference sources must be an array of equally long signals, got lengths ${Array.isArray(references) ? references.map((r) => r?.length).join('/') : typeof references}`);
    }
    if (references.length > MAX_SOURCES) throw new InvalidArgumentError('BSS_SHAPE', `at most ${MAX_SOURCES} sources (mir_eval's MAX_SOURCES), got ${references.length}`);
    checkSignals(references, 'reference');
    if (references.length === 0 || references[0].length === 0) {
      throw new InvalidArgumentError('BSS_EMPTY', 'bss_eval needs at least one reference source with at least one sample');
    }
    const nsrc = references.length;
    const nsampl = references[0].length;
    const F = FILTER_LENGTH;
    this.sources = nsrc;
    this.length = nsampl;
    this.refs = references.map((r) => Float64Array.from(r));
    this.nfft = 2 ** Math.ceil(Math.log2(nsampl + F - 1));
    this.fft = new FFT(this.nfft);
    this.bufA = this.fft.createComplexArray() as number[];
    this.bufB = this.fft.createComplexArray() as number[];
    this.bufC = this.fft.createComplexArray() as number[];
    this.refSpectra = this.refs.map((r) => this.forward(r));

    // G[i·F + a][j·F + b] = <ref_i delayed by a, ref_j delayed by b> = xcorr_ij[b − a], with
    // xcorr_ij[m] = Σ_n ref_i[n + m]·ref_j[n] = real(ifft(S_i·conj S_j))[m mod nfft].
    const n = nsrc * F;
    const g = new Float64Array(n * n);
    const pairs: Array<[number, number]> = [];
    for (let i = 0; i < nsrc; i++) for (let j = i; j < nsrc; j++) pairs.push([i, j]);
    for (let p = 0; p < pairs.length; p += 2) {
      const [i1, j1] = pairs[p];
      const second = pairs[p + 1];
      const [x1, x2] = this.inverseCorrelations(this.refSpectra[i1], this.refSpectra[j1], second ? this.refSpectra[second[0]] : null, second ? this.refSpectra[second[1]] : null);
      this.fillGramBlock(g, n, i1, j1, x1);
      if (second && x2) this.fillGramBlock(g, n, second[0], second[1], x2);
    }
    this.solveAll = factorSymmetric(g, n);
    this.solveSingle = [];
    const block = new Float64Array(F * F);
    for (let j = 0; j < nsrc; j++) {
      for (let a = 0; a < F; a++) block.set(g.subarray((j * F + a) * n + j * F, (j * F + a) * n + j * F + F), a * F);
      this.solveSingle.push(factorSymmetric(block, F));
    }
    this.solverKinds = { all: this.solveAll.kind, single: this.solveSingle.map((s) => s.kind) };
  }

  /** Scores `estimates` (as many as references, same length) like bss_eval_sources. */
  evaluate(estimates: readonly Signal[], options: BssEvalOptions = {}): BssEvalResult {
    checkShapes(this.refs, estimates);
    checkSignals(estimates, 'estimated');
    const nsrc = this.sources;
    const computePermutation = options.computePermutation ?? true;
    // The same array given twice (e.g. [mixture, mixture]) is projected once.
    const parts = new Map<Signal, EstimateParts>();
    const partsOf = (e: Signal): EstimateParts => {
      let p = parts.get(e);
      if (!p) {
        p = this.project(e);
        parts.set(e, p);
      }
      return p;
    };
    if (!computePermutation) {
      const sdr: number[] = [], sir: number[] = [], sar: number[] = [];
      for (let j = 0; j < nsrc; j++) {
        const c = this.criteria(partsOf(estimates[j]), j);
        sdr.push(c.sdr); sir.push(c.sir); sar.push(c.sar);
      }
      return { sdr, sir, sar, perm: Array.from({ length: nsrc }, (_, j) => j) };
    }
    // crit[jest][jtrue], then the permutation with the best mean SIR (the first such, as np.argmax).
    const crit = estimates.map((e) => {
      const p = partsOf(e);
      return Array.from({ length: nsrc }, (_, jtrue) => this.criteria(p, jtrue));
    });
    let best: number[] = [];
    let bestSir = -Infinity;
    for (const perm of permutations(nsrc)) {
      let sum = 0;
      for (let j = 0; j < nsrc; j++) sum += crit[perm[j]][j].sir;
      const mean = sum / nsrc;
      if (best.length === 0 || mean > bestSir) {
        best = perm;
        bestSir = mean;
      }
    }
    return {
      sdr: best.map((e, j) => crit[e][j].sdr),
      sir: best.map((e, j) => crit[e][j].sir),
      sar: best.map((e, j) => crit[e][j].sar),
      perm: best,
    };
  }

  /** mir_eval's _project(reference_sources, estimate) and the correlations it needs. */
  private project(estimate: Signal): EstimateParts {
    const F = FILTER_LENGTH;
    const nsrc = this.sources;
    const samples = Float64Array.from(estimate);
    const spectrum = this.forward(samples);
    // D[i·F + k] = <ref_i delayed by k, estimate> = real(ifft(S_i·conj E))[−k mod nfft].
    const d = new Float64Array(nsrc * F);
    for (let i = 0; i < nsrc; i += 2) {
      const [x1, x2] = this.inverseCorrelations(this.refSpectra[i], spectrum, i + 1 < nsrc ? this.refSpectra[i + 1] : null, i + 1 < nsrc ? spectrum : null);
      this.fillCorrelation(d, i, x1);
      if (x2) this.fillCorrelation(d, i + 1, x2);
    }
    const c = this.solveAll.solve(d);
    const filters = Array.from({ length: nsrc }, (_, i) => c.subarray(i * F, (i + 1) * F));
    const projAll = this.filterReferences(filters.map((f, i) => ({ filter: f, ref: i })));
    return { samples, d, projAll };
  }

  /** _bss_decomp_mtifilt + _bss_source_crit for estimate `p` matched with reference j. */
  private criteria(p: EstimateParts, j: number): { sdr: number; sir: number; sar: number } {
    const F = FILTER_LENGTH;
    const nsampl = this.length;
    const len = nsampl + F - 1;
    const cj = this.solveSingle[j].solve(p.d.subarray(j * F, (j + 1) * F));
    const projJ = this.filterReferences([{ filter: cj, ref: j }]);
    const ref = this.refs[j];
    const est = p.samples;
    const all = p.projAll;
    // Written out as mir_eval does, so rounding follows the same path.
    let filt2 = 0, distortion2 = 0, interf2 = 0, targetInterf2 = 0, artif2 = 0;
    for (let n = 0; n < len; n++) {
      const sTrue = n < nsampl ? ref[n] : 0;
      const eSpat = projJ[n] - sTrue;
      const eInterf = all[n] - sTrue - eSpat;
      let eArtif = -sTrue - eSpat - eInterf;
      if (n < nsampl) eArtif += est[n];
      const sFilt = sTrue + eSpat;
      filt2 += sFilt * sFilt;
      const ia = eInterf + eArtif;
      distortion2 += ia * ia;
      interf2 += eInterf * eInterf;
      const fi = sFilt + eInterf;
      targetInterf2 += fi * fi;
      artif2 += eArtif * eArtif;
    }
    return { sdr: safeDb(filt2, distortion2), sir: safeDb(filt2, interf2), sar: safeDb(targetInterf2, artif2) };
  }

  /** Σ_i filter_i * ref_i (full linear convolutions, nsampl + F − 1 samples), by FFT. */
  private filterReferences(terms: Array<{ filter: Float64Array; ref: number }>): Float64Array {
    const N = this.nfft;
    const acc = this.bufC;
    acc.fill(0);
    for (const { filter, ref } of terms) {
      const fs = this.forward(filter, this.bufB);
      const rs = this.refSpectra[ref];
      for (let k = 0; k < 2 * N; k += 2) {
        acc[k] += fs[k] * rs[k] - fs[k + 1] * rs[k + 1];
        acc[k + 1] += fs[k] * rs[k + 1] + fs[k + 1] * rs[k];
      }
    }
    const out = this.bufA;
    this.fft.inverseTransform(out, acc);
    // nfft ≥ nsampl + F − 1, so the circular convolution is the linear one.
    const proj = new Float64Array(this.length + FILTER_LENGTH - 1);
    for (let n = 0; n < proj.length; n++) proj[n] = out[2 * n];
    return proj;
  }

  /** real(ifft(X1·conj Y1)) and, packed in the same inverse FFT, real(ifft(X2·conj Y2)). */
  private inverseCorrelations(x1: number[], y1: number[], x2: number[] | null, y2: number[] | null): [Float64Array, Float64Array | null] {
    const N = this.nfft;
    const spec = this.bufB;
    for (let k = 0; k < 2 * N; k += 2) {
      // X·conj Y
      let re = x1[k] * y1[k] + x1[k + 1] * y1[k + 1];
      let im = x1[k + 1] * y1[k] - x1[k] * y1[k + 1];
      if (x2 && y2) {
        const re2 = x2[k] * y2[k] + x2[k + 1] * y2[k + 1];
        const im2 = x2[k + 1] * y2[k] - x2[k] * y2[k + 1];
        re -= im2;
        im += re2;
      }
      spec[k] = re;
      spec[k + 1] = im;
    }
    const out = this.bufA;
    this.fft.inverseTransform(out, spec);
    const a = new Float64Array(N);
    for (let n = 0; n < N; n++) a[n] = out[2 * n];
    if (!x2) return [a, null];
    const b = new Float64Array(N);
    for (let n = 0; n < N; n++) b[n] = out[2 * n + 1];
    return [a, b];
  }

  /** Block (i, j) of G from xcorr_ij, and its transpose as block (j, i). */
  private fillGramBlock(g: Float64Array, n: number, i: number, j: number, xcorr: Float64Array): void {
    const F = FILTER_LENGTH;
    const N = this.nfft;
    for (let a = 0; a < F; a++) {
      const row = (i * F + a) * n + j * F;
      for (let b = 0; b < F; b++) {
        const v = xcorr[(b - a + N) % N];
        g[row + b] = v;
        g[(j * F + b) * n + i * F + a] = v;
      }
    }
  }

  /** D block of reference i: xcorr[0], xcorr[−1], ..., xcorr[−(F−1)] (mir_eval's ssef[0], ssef[-1:-flen:-1]). */
  private fillCorrelation(d: Float64Array, i: number, xcorr: Float64Array): void {
    const F = FILTER_LENGTH;
    const N = this.nfft;
    d[i * F] = xcorr[0];
    for (let k = 1; k < F; k++) d[i * F + k] = xcorr[N - k];
  }

  /** Full complex spectrum (interleaved) of x zero-padded to nfft, into `out` or a new array. */
  private forward(x: Float64Array, out: number[] = this.fft.createComplexArray() as number[]): number[] {
    const N = this.nfft;
    const input = this.bufA;
    // realTransform reads the first N entries as real samples.
    for (let n = 0; n < x.length; n++) input[n] = x[n];
    input.fill(0, x.length, N);
    this.fft.realTransform(out, input);
    this.fft.completeSpectrum(out);
    return out;
  }
}

/** mir_eval's _safe_db: +Inf when nothing is in the denominator. */
function safeDb(num: number, den: number): number {
  if (den === 0) return Infinity;
  return 10 * Math.log10(num / den);
}

/** All permutations of 0..n−1 in itertools.permutations order (lexicographic). */
export function* permutations(n: number): Generator<number[]> {
  const perm = Array.from({ length: n }, (_, i) => i);
  for (;;) {
    yield perm.slice();
    let i = n - 2;
    while (i >= 0 && perm[i] > perm[i + 1]) i--;
    if (i < 0) return;
    let j = n - 1;
    while (perm[j] < perm[i]) j--;
    [perm[i], perm[j]] = [perm[j], perm[i]];
    for (let a = i + 1, b = n - 1; a < b; a++, b--) [perm[a], perm[b]] = [perm[b], perm[a]];
  }
}

/** mir_eval's validate(): same shape, at most MAX_SOURCES. */
function checkShapes(references: readonly Signal[], estimates: readonly Signal[]): void {
  if (!Array.isArray(references) || !Array.isArray(estimates)) {
    throw new InvalidArgumentError('BSS_SHAPE', 'references and estimates must be arrays of signals (one per source)');
  }
  const shape = (s: readonly Signal[]): string => `${s.length} × ${s.length ? s.map((x) => x?.length).join('/') : 0}`;
  const len = references.length ? references[0]?.length : 0;
  if (references.length !== estimates.length || [...references, ...estimates].some((x) => x?.length !== len)) {
    throw new InvalidArgumentError('BSS_SHAPE',
      `estimates and references must have the same shape (sources × samples): references ${shape(references)}, estimates ${shape(estimates)}`);
  }
  if (references.length > MAX_SOURCES) {
    throw new InvalidArgumentError('BSS_SHAPE', `at most ${MAX_SOURCES} sources (mir_eval's MAX_SOURCES), got ${references.length}`);
  }
}

/** Finite samples, and no all-zero source (mir_eval: it makes the decomposition ambiguous). */
function checkSignals(signals: readonly Signal[], what: 'reference' | 'estimated'): void {
  signals.forEach((s, j) => {
    let silent = true;
    for (let n = 0; n < s.length; n++) {
      const v = s[n];
      if (!Number.isFinite(v)) throw new InvalidArgumentError('BSS_NOT_FINITE', `${what} source ${j} has a non-finite sample at ${n}`);
      if (v !== 0) silent = false;
    }
    if (silent && s.length > 0) {
      throw new InvalidArgumentError('BSS_SILENT_SOURCE', `${what} source ${j} is all zeros: every ${what} source must be non-silent`);
    }
  });
}
