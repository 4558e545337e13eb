/**
 * The main thread's side of the audio workers: decode, separate, encode, the chain nodes' steps
 * (stft, mask, istft) and live streams as promises, with the songs' buffers moved to and from the workers. One pool per process
 * (`sharedAudioPool()`) serves every node and the CLI; its workers ask the backends registered here
 * for masks, so inference stays one shared engine with live streams served first.
 */
import * as path from 'node:path';
import type { DecodeOptions } from '../audio/decode';
import type { WavBitDepth } from '../audio/encode';
import type { AudioData } from '../audio/types';
import { findAudioProblem } from '../audio/validate';
import { checkSpectrogram } from '../dsp/check';
import type { Spectrogram, StftParams } from '../dsp/types';
import { InvalidArgumentError } from '../errors';
import { yieldToEventLoop } from '../jobs/throttle';
import type { BackendHandle } from '../model/backends/types';
import type { Mask } from '../separate/types';
import type { StreamLatency } from '../stream/latency';
import type { AudioSource, AudioTask, PredictRequest, ProgressEvent, RemoteModel, SkippedEvent, SeparateResult, StemOutput, StemPayload, StreamChunkResult, StreamFormatSpec } from './audio-protocol';
import { WorkerPool, type PoolOptions, type PoolStats, type RequestContext, type Transferring } from './pool';
import { transferable } from './worker-host';
import { TaskAbortedError } from './wire-errors';

/** The compiled worker script, next to this file. */
export const AUDIO_WORKER_SCRIPT = path.join(__dirname, 'audio-worker.js');

export interface JobOptions {
  /** Aborting it cancels the job: it rejects at once and its worker stops. */
  signal?: AbortSignal;
  onProgress?(fraction: number): void;
  /** Damage the decoder skipped, said for people (an MP3 with a bad middle decodes the rest). */
  onSkipped?(message: string): void;
}

export interface SeparateJobOptions extends JobOptions {
  /** Patches per inference call; default the backend's batch size. */
  batchSize?: number;
  output: StemOutput;
  /** Decoding limits for bytes and files. */
  limits?: DecodeOptions;
}

export type Stem = Buffer | AudioData;

export interface AudioPoolStats extends PoolStats {
  /** Live streams open in the workers. */
  streams: number;
  /** Backends registered for the workers' requests. */
  backends: number;
}

/** Bytes copied per event-loop turn by the copies below: 16 MB, a few milliseconds. */
const COPY_SLICE_BYTES = 1 << 24;

/**
 * A copy of `a` that owns its buffer (the worker gets it; the caller's message keeps its own), made a
 * slice at a time with event-loop turns in between: a 10-minute WAV is 100 MB, ~30 ms to copy at once.
 */
async function copiedInSlices<T extends Uint8Array | Float32Array>(a: T, signal?: AbortSignal): Promise<T> {
  const from = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const to = new Uint8Array(a.byteLength);
  for (let i = 0; i < to.length; i += COPY_SLICE_BYTES) {
    if (signal?.aborted) throw new TaskAbortedError();
    to.set(from.subarray(i, i + COPY_SLICE_BYTES), i);
    if (i + COPY_SLICE_BYTES < to.length) await yieldToEventLoop();
  }
  return (a instanceof Float32Array ? new Float32Array(to.buffer) : to) as T;
}

async function copiesInSlices(arrays: Float32Array[], signal?: AbortSignal): Promise<Float32Array[]> {
  const copies: Float32Array[] = [];
  for (const a of arrays) copies.push(await copiedInSlices(a, signal));
  return copies;
}

/** The audio `source` of a job, copied (bytes, samples) so the caller's message keeps its payload. */
export async function sourceOf(input: Uint8Array | string | AudioData, signal?: AbortSignal): Promise<AudioSource> {
  if (typeof input === 'string') return { kind: 'file', path: input };
  if (input instanceof Uint8Array) return { kind: 'bytes', bytes: await copiedInSlices(input, signal) };
  return { kind: 'audio', audio: { sampleRate: input.sampleRate, channels: await copiesInSlices(input.channels, signal) } };
}

/** A copy of a checked spectrogram whose buffers can move to a worker. */
async function copiedSpectrogram(spec: Spectrogram, signal?: AbortSignal): Promise<Spectrogram> {
  checkSpectrogram(spec);
  const { fftSize, hop, sampleRate, length, frames, bins } = spec;
  return { fftSize, hop, sampleRate, length, frames, bins, re: await copiesInSlices(spec.re, signal), im: await copiesInSlices(spec.im, signal) };
}

function sourceBuffers(source: AudioSource): ArrayBuffer[] {
  if (source.kind === 'bytes') return transferable([source.bytes]);
  return source.kind === 'audio' ? transferable(source.audio.channels) : [];
}

function stemOf(payload: StemPayload): Stem {
  return payload.kind === 'wav' ? Buffer.from(payload.bytes.buffer, payload.bytes.byteOffset, payload.bytes.byteLength) : payload.audio;
}

export class AudioPool {
  private readonly pool: WorkerPool;
  private readonly models = new Map<number, { backend: BackendHandle; refs: number }>();
  private readonly keys = new WeakMap<BackendHandle, number>();
  private nextKey = 1;
  private nextStream = 1;
  private openStreams = 0;

  constructor(options: Partial<PoolOptions> = {}) {
    this.pool = new WorkerPool({ script: AUDIO_WORKER_SCRIPT, ...options, onRequest: (r, c) => this.predict(r as PredictRequest, c) });
  }

  get fileWorkers(): number {
    return this.pool.fileWorkers;
  }

  stats(): AudioPoolStats {
    return { ...this.pool.stats(), streams: this.openStreams, backends: this.models.size };
  }

  /** Nothing running, waiting or asked for, no stream open. */
  get idle(): boolean {
    return this.pool.idle && this.openStreams === 0;
  }

  async decode(input: Uint8Array | string, limits: DecodeOptions = {}, options: JobOptions = {}): Promise<AudioData> {
    const source = await sourceOf(input, options.signal);
    return this.run<AudioData>({ type: 'decode', source, limits }, sourceBuffers(source), options);
  }

  async encode(audio: AudioData, output: StemOutput, options: JobOptions = {}): Promise<Stem> {
    // The shape here (it decides what can be copied); the samples' finiteness in the worker.
    const problem = findAudioProblem(audio, false);
    if (problem) throw new InvalidArgumentError(problem.code, `encode: ${problem.message}`);
    const source = await sourceOf(audio, options.signal) as Extract<AudioSource, { kind: 'audio' }>;
    return stemOf(await this.run<StemPayload>({ type: 'encode', audio: source.audio, output }, sourceBuffers(source), options));
  }

  /** Both stems of a song: decoded (bytes, file) or taken as samples, separated and shaped in a worker. */
  async separate(input: Uint8Array | string | AudioData, backend: BackendHandle, options: SeparateJobOptions): Promise<{ vocals: Stem; accompaniment: Stem }> {
    const source = await sourceOf(input, options.signal);
    const result = await this.withModel(backend, (model) => this.run<SeparateResult>({
      type: 'separate', source, limits: options.limits ?? {}, model, batchSize: options.batchSize ?? backend.batchSize, output: options.output,
    }, sourceBuffers(source), options));
    return { vocals: stemOf(result.vocals), accompaniment: stemOf(result.accompaniment) };
  }

  /** The stft node's step: the spectrogram of `audio` (copied), resampled first to `sampleRate` if given. */
  async stft(audio: AudioData, params: StftParams, options: JobOptions & { sampleRate?: number } = {}): Promise<Spectrogram> {
    // The shape here (it decides what can be copied); the samples' finiteness in the worker.
    const problem = findAudioProblem(audio, false);
    if (problem) throw new InvalidArgumentError(problem.code, problem.message);
    const channels = await copiesInSlices(audio.channels, options.signal);
    return this.run<Spectrogram>({ type: 'stft', audio: { sampleRate: audio.sampleRate, channels }, params, sampleRate: options.sampleRate }, transferable(channels), options);
  }

  /** The unet-mask node's step: the vocals' mask of `spec` (copied), its patches inferred by `backend`. */
  async computeMask(spec: Spectrogram, backend: BackendHandle, options: JobOptions & { batchSize?: number } = {}): Promise<Mask> {
    const copy = await copiedSpectrogram(spec, options.signal);
    return this.withModel(backend, (model) => this.run<Mask>({
      type: 'mask', spec: copy, model, batchSize: options.batchSize ?? backend.batchSize,
    }, transferable([...copy.re, ...copy.im]), options));
  }

  /** The istft node's step: the audio of `spec` (copied), resampled afterwards to `sampleRate` if given. */
  async istft(spec: Spectrogram, options: JobOptions & { sampleRate?: number } = {}): Promise<AudioData> {
    const copy = await copiedSpectrogram(spec, options.signal);
    return this.run<AudioData>({ type: 'istft', spec: copy, sampleRate: options.sampleRate }, transferable([...copy.re, ...copy.im]), options);
  }

  /** The CLI's job: `input` → two WAV files; resolves with the song's length in seconds. */
  separateFiles(input: string, outputs: { vocals: string; accompaniment: string }, backend: BackendHandle, options: JobOptions & { bitDepth: WavBitDepth; batchSize?: number }): Promise<number> {
    return this.withModel(backend, (model) => this.run<number>({
      type: 'separate-files', input, outputs, model, batchSize: options.batchSize ?? backend.batchSize, bitDepth: options.bitDepth,
    }, [], options));
  }

  /** A live stream whose state lives in the live lane's worker. */
  async openStream(format: StreamFormatSpec, latency: StreamLatency, backend: BackendHandle): Promise<PooledStream> {
    const id = this.nextStream++;
    const model = this.register(backend);
    this.openStreams++;
    let latencySeconds: number;
    try {
      latencySeconds = await this.pool.run<number>({ type: 'stream-open', stream: id, format, latency, model } satisfies AudioTask, { lane: 'live' });
    } catch (err) {
      this.openStreams--;
      this.unregister(backend);
      throw err;
    }
    return new PooledStream(this, id, format, latencySeconds, () => {
      this.openStreams--;
      this.unregister(backend);
    });
  }

  /** Runs a live-lane task of a stream (see PooledStream). */
  streamTask<R>(task: AudioTask, transfer: ArrayBuffer[] = [], signal?: AbortSignal): Promise<R> {
    return this.pool.run<R>(task, { lane: 'live', transfer, signal });
  }

  close(): Promise<void> {
    return this.pool.close();
  }

  private run<R>(task: AudioTask, transfer: ArrayBuffer[], options: JobOptions): Promise<R> {
    return this.pool.run<R>(task, {
      transfer,
      signal: options.signal,
      onEvent: (event) => {
        if ('skipped' in (event as object)) options.onSkipped?.((event as SkippedEvent).skipped);
        else options.onProgress?.((event as ProgressEvent).progress);
      },
    });
  }

  private async withModel<R>(backend: BackendHandle, work: (model: RemoteModel) => Promise<R>): Promise<R> {
    const model = this.register(backend);
    try {
      return await work(model);
    } finally {
      this.unregister(backend);
    }
  }

  private register(backend: BackendHandle): RemoteModel {
    let key = this.keys.get(backend);
    if (key === undefined || !this.models.has(key)) {
      key = this.nextKey++;
      this.keys.set(backend, key);
      this.models.set(key, { backend, refs: 0 });
    }
    (this.models.get(key) as { refs: number }).refs++;
    return { key, name: backend.name, description: backend.description, config: backend.config, framing: backend.framing, batchSize: backend.batchSize, parallelRuns: backend.parallelRuns ?? 1 };
  }

  private unregister(backend: BackendHandle): void {
    const key = this.keys.get(backend);
    const entry = key === undefined ? undefined : this.models.get(key);
    if (!entry || --entry.refs > 0) return;
    this.models.delete(key as number);
  }

  /** A worker's batch of patches → the registered backend, live streams first. */
  private async predict(request: PredictRequest, context: RequestContext): Promise<Transferring<Float32Array>> {
    const entry = this.models.get(request.model);
    if (!entry) throw new Error('the model of this job is no longer loaded (its node was closed)');
    const mask = await entry.backend.predictMask(request.input, request.batch, { priority: context.lane, signal: context.signal });
    return { value: mask, transfer: transferable([mask]) };
  }
}

/** A live stream held by the live lane's worker: push chunks, end it, or drop it (dispose). */
export class PooledStream {
  private disposed = false;

  constructor(private readonly pool: AudioPool, private readonly id: number, readonly format: StreamFormatSpec,
    readonly latencySeconds: number, private readonly onDispose: () => void) {}

  /** The samples of both stems now final. The chunk's arrays are copied (the message keeps them). */
  push(chunk: Float32Array[], signal?: AbortSignal): Promise<StreamChunkResult> {
    const copy = chunk.map((c) => c.slice());
    return this.pool.streamTask<StreamChunkResult>({ type: 'stream-push', stream: this.id, chunk: copy }, transferable(copy), signal);
  }

  /** The rest of both stems; the stream is gone afterwards. */
  async end(signal?: AbortSignal): Promise<StreamChunkResult> {
    return this.pool.streamTask<StreamChunkResult>({ type: 'stream-end', stream: this.id }, [], signal);
  }

  /** Frees the stream's state in the worker. Idempotent. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.onDispose();
    this.pool.streamTask({ type: 'stream-close', stream: this.id }).catch(() => undefined);
  }
}

let shared: AudioPool | undefined;

/** The process's audio pool, started on first use (its workers start when jobs need them). */
export function sharedAudioPool(): AudioPool {
  shared ??= new AudioPool();
  return shared;
}
