/** Reading and checking node settings at runtime (the editor checks the same in its validate functions). */
import { MAX_CONCURRENCY } from '../../lib/jobs';
import { BACKEND_NAMES, type BackendChoice } from '../../lib/model/backends/types';

/** A setting as a number: '' or missing gives `fallback`, anything not numeric gives NaN. */
export function numberSetting(value: unknown, fallback: number): number {
  if (value === undefined || value === null || value === '') return fallback;
  return typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
}

export function isIntegerIn(value: number, min: number, max: number): boolean {
  return Number.isInteger(value) && value >= min && value <= max;
}

export function isPowerOfTwo(value: number): boolean {
  return Number.isInteger(value) && value > 0 && (value & (value - 1)) === 0;
}

export { MAX_CONCURRENCY };

export function concurrencySetting(value: unknown): number | undefined {
  const n = numberSetting(value, 1);
  return isIntegerIn(n, 1, MAX_CONCURRENCY) ? n : undefined;
}

export const BACKEND_CHOICES: readonly BackendChoice[] = ['auto', ...BACKEND_NAMES];

export function backendSetting(value: unknown): BackendChoice | undefined {
  const v = value === undefined || value === '' ? 'auto' : value;
  return BACKEND_CHOICES.find((b) => b === v);
}

/** Messages that may wait in a node's queue (more are refused: BusyError QUEUE_FULL); default 16. */
export const DEFAULT_QUEUE_LIMIT = 16;

export function queueLimitSetting(value: unknown): number | undefined {
  const n = numberSetting(value, DEFAULT_QUEUE_LIMIT);
  return isIntegerIn(n, 1, 10000) ? n : undefined;
}

/** WAV sample formats: 16/24-bit PCM or 32-bit float. */
export function bitDepthSetting(value: unknown): 16 | 24 | 32 | undefined {
  const n = numberSetting(value, 16);
  return n === 16 || n === 24 || n === 32 ? n : undefined;
}

/** An output sample rate: '' / 0 keeps the audio's own (undefined), else an integer in 1..192000; NaN if bad. */
export function rateSetting(value: unknown): number | undefined {
  const n = numberSetting(value, 0);
  if (n === 0) return undefined;
  return isIntegerIn(n, 1, 192000) ? n : NaN;
}

/** Longest input a decoding node accepts, in seconds: more than 0, at most a day; default 1800. */
export function maxSecondsSetting(value: unknown): number | undefined {
  const n = numberSetting(value, 1800);
  return n > 0 && n <= 24 * 3600 ? n : undefined;
}

/** Largest input a decoding node accepts, in megabytes (MiB): more than 0, at most 4096; default 512. */
export function maxMegabytesSetting(value: unknown): number | undefined {
  const n = numberSetting(value, 512);
  return n > 0 && n <= 4096 ? n : undefined;
}
