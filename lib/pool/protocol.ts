/**
 * The job protocol of the worker pool (README, "Worker pool"), in one place so the worker, the
 * requester and any other MQTT 5 client agree on it:
 *   job    → the jobs topic, QoS 1: the song's bytes, responseTopic, correlationData, and optional
 *            user properties stems / format / rate;
 *   answer → the response topic, QoS 1, the job's correlationData: one message per stem (WAV bytes,
 *            user property stem), or one failure (empty payload, user property error).
 *   progress (optional, QoS 0): empty payload, user property progress = a fraction "0.25".
 */
import type { WavBitDepth } from '../audio/encode';
import type { StemName } from '../separate/types';

export const DEFAULT_JOBS_TOPIC = 'vocal-split/jobs';
export const DEFAULT_GROUP = 'vocal-split';

export const STEM_NAMES: readonly StemName[] = ['vocals', 'accompaniment'];

export const FORMATS = { wav16: 16, wav24: 24, wav32f: 32 } as const satisfies Record<string, WavBitDepth>;
export type StemFormat = keyof typeof FORMATS;

/** Highest output rate a job may ask for (as the nodes' Rate setting). */
export const MAX_RATE = 192000;

export interface JobRequest {
  /** Stems to send back, in this order. */
  stems: StemName[];
  format: StemFormat;
  /** Output sample rate; undefined keeps the song's own. */
  rate?: number;
}

/** MQTT 5 user properties as mqtt.js hands them over (a repeated key comes as an array). */
export type UserProperties = Record<string, string | string[]>;

/** A user property's value; the last one when the key is repeated. */
export function userProperty(props: UserProperties | undefined, key: string): string | undefined {
  const v = props?.[key];
  return Array.isArray(v) ? v[v.length - 1] : v;
}

/** The user properties a requester sends for `request` (defaults left out). */
export function jobProperties(request: Partial<JobRequest>): UserProperties {
  const props: UserProperties = {};
  if (request.stems) props.stems = request.stems.join(',');
  if (request.format) props.format = request.format;
  if (request.rate !== undefined) props.rate = String(request.rate);
  return props;
}

/** The job's request from its user properties, or a reason it cannot be done (sent back as the error). */
export function parseJobProperties(props: UserProperties | undefined): JobRequest | { error: string } {
  const one = (key: string): string | undefined => userProperty(props, key);
  const stemsText = one('stems');
  let stems: StemName[] = [...STEM_NAMES];
  if (stemsText !== undefined && stemsText !== 'both') {
    const names = stemsText.split(',').map((s) => s.trim());
    const bad = names.find((s) => !(STEM_NAMES as readonly string[]).includes(s));
    if (bad !== undefined || names.length === 0) {
      return { error: `bad user property stems '${stemsText.slice(0, 40)}': use vocals, accompaniment or both` };
    }
    stems = STEM_NAMES.filter((s) => names.includes(s));
  }
  const formatText = one('format') ?? 'wav16';
  if (!Object.hasOwn(FORMATS, formatText)) {
    return { error: `bad user property format '${formatText.slice(0, 40)}': use ${Object.keys(FORMATS).join(', ')}` };
  }
  const rateText = one('rate');
  let rate: number | undefined;
  if (rateText !== undefined && rateText !== '' && rateText !== '0') {
    rate = Number(rateText);
    if (!Number.isInteger(rate) || rate < 1 || rate > MAX_RATE) {
      return { error: `bad user property rate '${rateText.slice(0, 40)}': use an integer from 1 to ${MAX_RATE} Hz` };
    }
  }
  return { stems, format: formatText as StemFormat, rate };
}

/** One message on a response topic, as the requester reads it. */
export type Answer =
  | { kind: 'stem'; stem: StemName; wav: Buffer }
  | { kind: 'error'; reason: string }
  | { kind: 'progress'; fraction: number }
  | { kind: 'unknown' };

export function parseAnswer(payload: Buffer, props: UserProperties | undefined): Answer {
  const one = (key: string): string | undefined => userProperty(props, key);
  const error = one('error');
  if (error !== undefined) return { kind: 'error', reason: error };
  const stem = one('stem');
  if (stem !== undefined && (STEM_NAMES as readonly string[]).includes(stem)) return { kind: 'stem', stem: stem as StemName, wav: payload };
  const progress = Number(one('progress'));
  if (one('progress') !== undefined && progress >= 0 && progress <= 1) return { kind: 'progress', fraction: progress };
  return { kind: 'unknown' };
}
