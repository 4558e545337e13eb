/** Shared by the audio specs: fixture paths, known-signal generators, and honest measurements. */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Repository root (the specs run from dist/test/). */
export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
export const FIXTURES = path.resolve(REPO_ROOT, 'test', 'fixtures', 'audio');
/** The 17 MIR-1K test clips kept in the repository (test/fixtures/mir1k-sample, see its SOURCES.txt). */
export const MIR1K_SAMPLE = path.resolve(REPO_ROOT, 'test', 'fixtures', 'mir1k-sample');

export function fixture(name: string): Buffer {
  return fs.readFileSync(path.join(FIXTURES, name));
}

/** Whether a command-line tool runs (sox, ffmpeg): specs that need one skip without it. */
export function hasTool(cmd: string): boolean {
  const r = spawnSync(cmd, [cmd === 'sox' ? '--version' : '-version'], { stdio: 'ignore' });
  return r.status === 0;
}

/** Runs a tool and returns its stdout; throws with its stderr if it fails. */
export function runTool(cmd: string, args: string[]): Buffer {
  const r = spawnSync(cmd, args, { maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr?.toString() ?? r.error?.message}`);
  return r.stdout;
}

/** A tool's stderr when it runs successfully: empty means it had no warnings. */
export function toolWarnings(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr?.toString() ?? r.error?.message}`);
  return r.stderr.toString();
}

/** x[n] = amp * sin(2π f n / rate + phase), computed in double precision. */
export function sine(rate: number, length: number, freq: number, amp: number, phase = 0): Float32Array {
  const x = new Float32Array(length);
  for (let n = 0; n < length; n++) x[n] = amp * Math.sin((2 * Math.PI * freq * n) / rate + phase);
  return x;
}

export interface SineFit {
  /** Fitted amplitude. */
  amp: number;
  /** Phase relative to a sine starting at 0 at sample 0 (radians, in (-π, π]). */
  phase: number;
  /** Energy of x minus the fitted sine, relative to the sine's energy, in dB: noise + spurs + aliases. */
  residualDb: number;
}

/**
 * Least-squares fit of a·cos + b·sin at a known frequency over x[from, to). Whatever the fit
 * leaves is everything that is not that sine, so residualDb is an honest "everything else" figure.
 */
export function fitSine(x: Float32Array, rate: number, freq: number, from = 0, to = x.length): SineFit {
  let cc = 0, ss = 0, cs = 0, xc = 0, xs = 0;
  const w = (2 * Math.PI * freq) / rate;
  for (let n = from; n < to; n++) {
    const c = Math.cos(w * n), s = Math.sin(w * n);
    cc += c * c; ss += s * s; cs += c * s; xc += x[n] * c; xs += x[n] * s;
  }
  const det = cc * ss - cs * cs;
  const a = (xc * ss - xs * cs) / det;
  const b = (xs * cc - xc * cs) / det;
  let residual = 0, signal = 0;
  for (let n = from; n < to; n++) {
    const y = a * Math.cos(w * n) + b * Math.sin(w * n);
    residual += (x[n] - y) ** 2;
    signal += y * y;
  }
  return { amp: Math.hypot(a, b), phase: Math.atan2(a, b), residualDb: 10 * Math.log10(residual / signal) };
}

export function rms(x: Float32Array, from = 0, to = x.length): number {
  let s = 0;
  for (let n = from; n < to; n++) s += x[n] * x[n];
  return Math.sqrt(s / (to - from));
}

export function db(ratio: number): number {
  return 20 * Math.log10(ratio);
}

/** Frequency from rising zero crossings (between the first and the last), an estimate independent of fitSine. */
export function zeroCrossingFrequency(x: Float32Array, rate: number, from = 0, to = x.length): number {
  let first = -1, last = -1, count = 0;
  for (let n = from + 1; n < to; n++) {
    if (x[n - 1] < 0 && x[n] >= 0) {
      const t = n - 1 + x[n - 1] / (x[n - 1] - x[n]); // linear interpolation of the crossing
      if (first < 0) first = t; else count++;
      last = t;
    }
  }
  return (count * rate) / (last - first);
}

/** Deterministic PRNG (LCG), so fuzz cases are the same on every run. */
export function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32;
}

/** Milliseconds an async call takes, with its outcome (value or error). */
export async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value?: T; error?: unknown }> {
  const t0 = performance.now();
  try {
    const value = await fn();
    return { ms: performance.now() - t0, value };
  } catch (error) {
    return { ms: performance.now() - t0, error };
  }
}
