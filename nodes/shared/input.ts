/**
 * Audio from a message, as the decode and vocal-split nodes take it: bytes, or a file path inside
 * the node's folder (lib/paths), each refused past the node's size and duration limits before any
 * decoding; audio { sampleRate, channels } is checked against the duration limit too.
 */
import { decodeAudio, decodeAudioFile } from '../../lib/audio/decode';
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

/** The audio in `payload`, or undefined if it is none of bytes, a path or audio (the node names what came). */
export async function audioFromPayload(payload: unknown, limits: InputLimits, acceptAudio: boolean): Promise<AudioData | undefined> {
  const options = { maxSeconds: limits.maxSeconds, maxBytes: Math.floor(limits.maxMegabytes * 2 ** 20) };
  if (isBytes(payload)) return decodeAudio(payload, options);
  if (typeof payload === 'string' && payload.length > 0) return decodeAudioFile(await resolveInside(limits.folder, payload), options);
  if (acceptAudio && isAudioData(payload)) {
    const problem = findAudioProblem(payload);
    if (problem) throw new Error(problem.message);
    const seconds = payload.channels[0].length / payload.sampleRate;
    if (seconds > limits.maxSeconds) {
      throw new AudioDecodeError('TOO_LARGE', `audio is ${seconds.toFixed(1)} s long, over the ${limits.maxSeconds} s limit (Max length)`);
    }
    return payload;
  }
  return undefined;
}
