/**
 * Audio from a message, as the decode and vocal-split nodes take it: bytes, or a file path inside
 * the node's folder (lib/paths), each refused past the node's size and duration limits before any
 * decoding; audio { sampleRate, channels } is checked against the duration limit too. The decoded
 * size (frames × channels, as float32) may be what Max length of 48 kHz stereo would take, no more:
 * a short 8-channel 192 kHz file costs as much memory as a long stereo one.
 */
import { decodedBytesFor } from '../../lib/audio/decode';
import type { AudioData } from '../../lib/audio/types';
import { findAudioProblem } from '../../lib/audio/validate';
import { AudioDecodeError } from '../../lib/errors';
import { resolveInside } from '../../lib/paths';
import { isAudioData, isBytes } from '../../lib/payloads';

export interface InputLimits {
  maxSeconds: number;
  maxMegabytes: number;
  /** Folder that file paths in messages must be inside; '' = no paths accepted. */
  folder: string;
}

/** What a job's worker reads its audio from, with the limits it decodes under. */
export interface PayloadSource {
  input: Uint8Array | string | AudioData;
  decode: { maxSeconds: number; maxBytes: number; maxDecodedBytes: number };
}

/**
 * Where the audio in `payload` is, checked as far as the main thread can without decoding: bytes
 * within Max size, a path inside the folder, audio within Max length. Undefined if it is none of
 * bytes, a path or audio (the node names what came). Decoding happens in the worker pool.
 */
export async function sourceOfPayload(payload: unknown, limits: InputLimits, acceptAudio: boolean): Promise<PayloadSource | undefined> {
  const decode = { maxSeconds: limits.maxSeconds, maxBytes: Math.floor(limits.maxMegabytes * 2 ** 20), maxDecodedBytes: decodedBytesFor(limits.maxSeconds) };
  if (isBytes(payload)) {
    // Refused before the bytes are copied for the worker.
    if (payload.length > decode.maxBytes) {
      throw new AudioDecodeError('TOO_LARGE', `input is ${payload.length} bytes, over the ${decode.maxBytes}-byte limit (maxBytes)`);
    }
    return { input: payload, decode };
  }
  if (typeof payload === 'string' && payload.length > 0) return { input: await resolveInside(limits.folder, payload), decode };
  if (acceptAudio && isAudioData(payload)) {
    const problem = findAudioProblem(payload);
    if (problem) throw new Error(problem.message);
    const seconds = payload.channels[0].length / payload.sampleRate;
    if (seconds > limits.maxSeconds) {
      throw new AudioDecodeError('TOO_LARGE', `audio is ${seconds.toFixed(1)} s long, over the ${limits.maxSeconds} s limit (Max length)`);
    }
    return { input: payload, decode };
  }
  return undefined;
}
