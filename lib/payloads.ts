/**
 * Recognising the typed payloads that travel between the nodes (each node's help names them):
 * audio (AudioData), spectrogram (Spectrogram), mask (Mask). These are shape guards for
 * telling a wrong payload from a damaged one and for naming what came instead; the library
 * functions that take a payload still check it in full.
 */
import type { AudioData } from './audio/types';
import type { Spectrogram } from './dsp/types';
import type { Mask } from './separate/types';

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && !ArrayBuffer.isView(value);
}

/** { sampleRate, channels: [...] }, without re/im (a spectrogram also has a sampleRate). */
export function isAudioData(value: unknown): value is AudioData {
  return isObject(value) && typeof value.sampleRate === 'number' && Array.isArray(value.channels);
}

/** { fftSize, hop, re: [...], im: [...] }. */
export function isSpectrogram(value: unknown): value is Spectrogram {
  return isObject(value) && typeof value.fftSize === 'number' && typeof value.hop === 'number' && Array.isArray(value.re) && Array.isArray(value.im);
}

/** { fftSize, hop, vocals: [...] }. */
export function isMask(value: unknown): value is Mask {
  return isObject(value) && typeof value.fftSize === 'number' && typeof value.hop === 'number' && Array.isArray(value.vocals);
}

/** Bytes: a Buffer or any Uint8Array. */
export function isBytes(value: unknown): value is Uint8Array {
  return value instanceof Uint8Array;
}

/**
 * A short, language-neutral name for what a payload is, for error messages: `audio`,
 * `spectrogram`, `mask`, `Buffer (12 bytes)`, `string`, `number`, `array`, `null`, `object {a, b}`.
 */
export function describePayload(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (isMask(value)) return 'mask';
  if (isSpectrogram(value)) return 'spectrogram';
  if (isAudioData(value)) return 'audio';
  if (Buffer.isBuffer(value)) return `Buffer (${value.length} bytes)`;
  if (ArrayBuffer.isView(value)) return `${value.constructor.name} (${value.byteLength} bytes)`;
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'string') return value.length === 0 ? 'empty string' : 'string';
  if (typeof value === 'object') {
    const keys = Object.keys(value).slice(0, 4);
    return keys.length ? `object {${keys.join(', ')}}` : 'object {}';
  }
  return typeof value;
}
