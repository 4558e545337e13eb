/** What a pool worker does with one job's bytes: decode, separate, encode each asked stem as WAV. */
import { decodeAudio, DEFAULT_MAX_BYTES, DEFAULT_MAX_SECONDS } from '../audio/decode';
import { encodeAudio } from '../audio/output';
import type { BackendHandle } from '../model/backends/types';
import { separate } from '../separate/separator';
import type { StemName } from '../separate/types';
import { FORMATS, type JobRequest } from './protocol';

export interface JobContext {
  signal: AbortSignal;
  onProgress(fraction: number): void;
}

/** Does one job: the WAV bytes of each stem asked for, in the order asked; throws with a reason for the requester. */
export type JobHandler = (bytes: Buffer, request: JobRequest, ctx: JobContext) => Promise<Array<[StemName, Buffer]>>;

export interface JobLimits {
  /** Longest song, in seconds; default 30 minutes (as the decoder). */
  maxSeconds?: number;
  /** Largest job, in bytes; default 512 MiB (as the decoder). */
  maxBytes?: number;
}

/** The separation as the CLI and the nodes do it, on `backend`. */
export function separateJobOn(backend: BackendHandle, limits: JobLimits = {}): JobHandler {
  const decodeLimits = { maxSeconds: limits.maxSeconds ?? DEFAULT_MAX_SECONDS, maxBytes: limits.maxBytes ?? DEFAULT_MAX_BYTES };
  return async (bytes, request, { signal, onProgress }) => {
    const audio = await decodeAudio(bytes, decodeLimits);
    const stems = await separate(audio, backend, { signal, onProgress, batchSize: backend.batchSize });
    const out: Array<[StemName, Buffer]> = [];
    for (const stem of request.stems) {
      out.push([stem, await encodeAudio(stems[stem], { bitDepth: FORMATS[request.format], sampleRate: request.rate, signal })]);
    }
    return out;
  };
}
