import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BssEval, bssEvalSources, permutations } from '../lib/eval/bss-eval';
import { cholesky, factorSymmetric, luPartialPivot, pseudoInverse, symmetricEigen } from '../lib/eval/linalg';
import { FIXTURES } from './support/paths';

/** One term of a fixture recipe: signal[n] += gain · (fir * source)[n − delay]. */
interface Term {
  source: string;
  gain?: number;
  fir?: number[];
  delay?: number;
}

interface FixtureCase {
  name: string;
  computePermutation: boolean;
  references: Term[][];
  estimates: Term[][];
  expected: { sdr: number[]; sir: number[]; sar: number[]; perm: number[] };
}

interface Fixture {
  length: number;
  sources: Record<string, string>;
  cases: FixtureCase[];
}

const DIR = path.join(FIXTURES, 'bss-eval');
/** DATA.md: the TypeScript BSS Eval must agree with mir_eval to 0.01 dB. */
const TOLERANCE_DB = 0.01;
/**
 * Ratios whose denominator is zero in exact arithmetic (a mixture has no artifacts) come out of
 * mir_eval as 200–300 dB of rounding noise; both sides must only agree that they are that high.
 */
const ROUNDING_NOISE_DB = 150;

function int16(b64: string): Float64Array {
  const bytes = Buffer.from(b64, 'base64');
  const out = new Float64Array(bytes.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = bytes.readInt16LE(2 * i);
  return out;
}

/** The interpreter of training/make_bss_fixture.py's `build` (integer arithmetic: exact on both sides). */
function build(recipe: Term[], sources: Record<string, Float64Array>, length: number): Float64Array {
  const out = new Float64Array(length);
  for (const t of recipe) {
    const x = sources[t.source];
    const fir = t.fir ?? [1];
    const gain = t.gain ?? 1;
    const delay = t.delay ?? 0;
    for (let n = delay; n < length; n++) {
      const m = n - delay;
      let y = 0;
      for (let k = 0; k < fir.length && k <= m; k++) y += fir[k] * x[m - k];
      out[n] += y * gain;
    }
  }
  return out;
}

function load(file: string): { fixture: Fixture; sources: Record<string, Float64Array> } {
  const fixture = JSON.parse(fs.readFileSync(path.join(DIR, file), 'utf8')) as Fixture;
  const sources: Record<string, Float64Array> = {};
  for (const [k, v] of Object.entries(fixture.sources)) sources[k] = int16(v);
  return { fixture, sources };
}

/** Largest |ours − mir_eval| per metric over every fixture case, printed once at the end. */
const maxDiff: Record<'sdr' | 'sir' | 'sar', number> = { sdr: 0, sir: 0, sar: 0 };

describe('BSS Eval v3 (lib/eval/bss-eval) against mir_eval', function () {
  after(function () {
    if (process.env.BSS_EVAL_REPORT) console.log(`max |TS − mir_eval| (dB): ${JSON.stringify(maxDiff)}`);
  });

  for (const file of ['synthetic.json', 'mir1k-real.json']) {
    const { fixture, sources } = load(file);
    for (const c of fixture.cases) {
      it(`${file}: ${c.name} agrees within ${TOLERANCE_DB} dB, same permutation`, function () {
        const refs = c.references.map((r) => build(r, sources, fixture.length));
        const ests = c.estimates.map((e) => build(e, sources, fixture.length));
        const got = bssEvalSources(refs, ests, { computePermutation: c.computePermutation });
        assert.deepEqual(got.perm, c.expected.perm, 'permutation');
        for (const metric of ['sdr', 'sir', 'sar'] as const) {
          c.expected[metric].forEach((want, j) => {
            const have = got[metric][j];
            if (want > ROUNDING_NOISE_DB) {
              assert.ok(have > ROUNDING_NOISE_DB, `${metric}[${j}]: mir_eval ${want} (rounding noise), ours ${have}`);
              return;
            }
            const diff = Math.abs(have - want);
            maxDiff[metric] = Math.max(maxDiff[metric], diff);
            assert.ok(diff <= TOLERANCE_DB, `${metric}[${j}]: ours ${have}, mir_eval ${want} (|diff| ${diff.toExponential(2)} dB)`);
          });
        }
      });
    }
  }

  it('reuses one BssEval for several estimate sets (as the MIR-1K protocol does) with the same results', function () {
    const { fixture, sources } = load('mir1k-real.json');
    const [first, , mixture] = fixture.cases;
    const refs = first.references.map((r) => build(r, sources, fixture.length));
    const bss = new BssEval(refs);
    assert.equal(bss.solverKinds.all, 'cholesky');
    for (const c of [first, mixture]) {
      const got = bss.evaluate(c.estimates.map((e) => build(e, sources, fixture.length)), { computePermutation: c.computePermutation });
      c.expected.sdr.forEach((want, j) => assert.ok(Math.abs(got.sdr[j] - want) <= TOLERANCE_DB, `${c.name} sdr[${j}]`));
    }
  });

  it('gives a very high SDR to a perfect estimate, and finds the order of swapped perfect estimates', function () {
    const { fixture, sources } = load('synthetic.json');
    const refs = [sources.voice, sources.music];
    const got = bssEvalSources(refs, refs);
    assert.deepEqual(got.perm, [0, 1]);
    for (const v of [...got.sdr, ...got.sir, ...got.sar]) assert.ok(v > 100, `perfect estimate scores ${v} dB`);
    const swapped = bssEvalSources(refs, [sources.music, Float32Array.from(sources.voice)]);
    assert.deepEqual(swapped.perm, [1, 0]);
    assert.ok(Math.min(...swapped.sdr) > 100);
    assert.equal(fixture.length, refs[0].length);
    // One source: nothing can interfere (SIR = ∞, as mir_eval), so SDR = SAR.
    const one = bssEvalSources([sources.voice], [sources.voice.map((v, i) => v + 0.2 * sources.noise[i])]);
    assert.equal(one.sir[0], Infinity);
    assert.ok(Math.abs(one.sdr[0] - one.sar[0]) < 1e-9 && one.sdr[0] > 10 && one.sdr[0] < 40, `SDR ${one.sdr[0]}`);
  });

  it('throws a clear error on mis-sized, silent or non-finite inputs, and returns empty results for empty ones', function () {
    const a = new Float64Array(1000).map((_, i) => Math.sin(i / 7));
    const b = new Float64Array(1000).map((_, i) => Math.cos(i / 3));
    assert.throws(() => bssEvalSources([a, b], [a]), /same shape.*references 2 × 1000\/1000, estimates 1 × 1000/);
    assert.throws(() => bssEvalSources([a, b], [a, b.subarray(0, 999)]), /same shape.*estimates 2 × 1000\/999/);
    assert.throws(() => bssEvalSources([a, b.subarray(1)], [a, b]), /same shape/);
    assert.throws(() => bssEvalSources([a, new Float64Array(1000)], [a, b]), /reference source 1 is all zeros/);
    assert.throws(() => bssEvalSources([a, b], [new Float32Array(1000), b]), /estimated source 0 is all zeros/);
    const nan = Float64Array.from(b);
    nan[17] = NaN;
    assert.throws(() => bssEvalSources([a, b], [a, nan]), /estimated source 1 has a non-finite sample at 17/);
    assert.throws(() => new BssEval([a, b]).evaluate([a, b, a]), /same shape/);
    assert.throws(() => new BssEval([a, b.subarray(3)]), /equally long signals, got lengths 1000\/997/);
    assert.deepEqual(bssEvalSources([], []), { sdr: [], sir: [], sar: [], perm: [] });
  });

  it('lists permutations in itertools order', function () {
    assert.deepEqual([...permutations(3)], [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]]);
    assert.deepEqual([...permutations(1)], [[0]]);
  });
});

describe('BSS Eval linear solves (lib/eval/linalg)', function () {
  it('falls back to lstsq where np.linalg.solve raises LinAlgError, with numpy\'s answer', function () {
    const { systems } = JSON.parse(fs.readFileSync(path.join(DIR, 'singular-systems.json'), 'utf8')) as {
      systems: Array<{ n: number; matrix: number[]; rhs: number[]; lstsq: number[] }>;
    };
    for (const s of systems) {
      const a = Float64Array.from(s.matrix);
      assert.equal(cholesky(a, s.n), null, 'Cholesky refuses a singular matrix');
      assert.equal(luPartialPivot(a, s.n), null, 'LU meets an exactly zero pivot');
      const solver = factorSymmetric(a, s.n);
      assert.equal(solver.kind, 'lstsq');
      const x = solver.solve(Float64Array.from(s.rhs));
      s.lstsq.forEach((want, i) => assert.ok(Math.abs(x[i] - want) < 1e-10 * (1 + Math.abs(want)), `x[${i}] = ${x[i]}, numpy ${want}`));
    }
  });

  it('Cholesky, LU and the pseudo-inverse agree on a positive definite system; eigenvectors reconstruct the matrix', function () {
    const n = 40;
    const b = new Float64Array(n * n).map((_, i) => Math.sin(i * 1.3) + (i % (n + 1) === 0 ? 3 : 0));
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += b[i * n + k] * b[j * n + k];
      a[i * n + j] = s;
    }
    const rhs = new Float64Array(n).map((_, i) => i - 7);
    const x1 = cholesky(a, n)!.solve(rhs);
    const x2 = luPartialPivot(a, n)!.solve(rhs);
    const x3 = pseudoInverse(a, n).solve(rhs);
    for (let i = 0; i < n; i++) {
      assert.ok(Math.abs(x1[i] - x2[i]) < 1e-8 * (1 + Math.abs(x2[i])));
      assert.ok(Math.abs(x1[i] - x3[i]) < 1e-8 * (1 + Math.abs(x2[i])));
    }
    const { values, vectors } = symmetricEigen(a, n);
    let err = 0;
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += vectors[i * n + k] * values[k] * vectors[j * n + k];
      err = Math.max(err, Math.abs(s - a[i * n + j]));
    }
    assert.ok(err < 1e-9 * Math.max(...values), `|QΛQᵀ − A| = ${err}`);
  });
});
