/**
 * onnxruntime-node engine. onnxruntime-node runs a session on the calling thread (its async run()
 * only defers the work to setImmediate), so the session lives in a worker_threads Worker
 * (onnx-worker.ts): the main thread builds the ONNX bytes, hands them over, and exchanges
 * patches and masks with the worker by transferring their buffers. The event loop stays free while
 * a patch is computed, and the caller's DSP overlaps with inference.
 *
 * onnxruntime-node is an optional dependency, required lazily (see onnx-ort.ts).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { BackendUnavailableError } from '../errors';
import { buildUNetOnnx, ONNX_INPUT, ONNX_OUTPUT } from '../onnx/graph';
import type { ModelWeights } from '../weights-io';
import { maskInputError } from './input';
import { FromWorker, OrtSessionOptions, ToWorker, loadOrt } from './onnx-ort';
import { ENGINE_BATCH_SIZE, type InferenceEngine } from './types';

export { loadOrt } from './onnx-ort';

/** The compiled worker script, next to this file (dist/lib/model/backends/onnx-worker.js). */
export const ONNX_WORKER_SCRIPT = path.join(__dirname, 'onnx-worker.js');

/** Throws BackendUnavailableError unless the onnx engine can start here (package and worker script). */
export function ensureOnnxAvailable(): void {
  loadOrt();
  if (!fs.existsSync(ONNX_WORKER_SCRIPT)) {
    throw new BackendUnavailableError('BACKEND_UNAVAILABLE', `the onnx worker script is missing: ${ONNX_WORKER_SCRIPT} (run the build)`);
  }
}

/** A request without its id (call() numbers it); distributes over the union. */
type RequestBody = ToWorker extends infer R ? (R extends ToWorker ? Omit<R, 'id'> : never) : never;
type Reply<T extends FromWorker['type']> = Extract<FromWorker, { type: T }>;

interface Pending {
  resolve(reply: FromWorker): void;
  reject(err: Error): void;
}

/** The engines onnxruntime-node runs: on the CPU, or with the CUDA execution provider. */
export type OnnxEngineName = 'onnx' | 'cuda';

export class OnnxEngine implements InferenceEngine {
  readonly batchSize: number;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private version = '?';
  /** Set once the engine cannot run any more: disposed, or its worker crashed. */
  private broken: Error | undefined;
  private closing: Promise<void> | undefined;

  private constructor(
    readonly name: OnnxEngineName,
    private readonly worker: Worker,
    readonly config: ModelWeights['config'],
    private readonly providers: readonly string[],
    private readonly threads: number | undefined,
  ) {
    this.batchSize = ENGINE_BATCH_SIZE[name];
    worker.unref(); // referenced only while requests are in flight (see call())
    worker.on('message', (msg: FromWorker) => this.onReply(msg));
    worker.on('messageerror', (err: Error) => this.fail(new Error(`onnx worker sent an unreadable message: ${err.message}`)));
    worker.on('error', (err: Error) => this.fail(new Error(`onnx worker crashed: ${err.message}`)));
    worker.on('exit', (code: number) => this.fail(new Error(`onnx worker exited unexpectedly (exit code ${code})`)));
  }

  get description(): string {
    const t = this.threads;
    return `onnxruntime-node ${this.version} (${this.providers.join(', ')}, ${t ?? 'default'} thread${t === 1 ? '' : 's'}, worker thread)`;
  }

  /** Why the engine cannot run any more although it was not disposed (its worker crashed), else undefined. */
  get failure(): Error | undefined {
    return this.closing ? undefined : this.broken;
  }

  /**
   * `name` 'cuda' runs the session on the CUDA execution provider (ops it lacks stay on the CPU);
   * the caller checks beforehand that its libraries are there (cuda.ts).
   */
  static async create(model: ModelWeights, threads?: number, executionProviders?: string[], name: OnnxEngineName = 'onnx'): Promise<OnnxEngine> {
    ensureOnnxAvailable();
    const bytes = buildUNetOnnx(model.config, model.weights);
    const providers = name === 'cuda' ? ['cuda', 'cpu'] : executionProviders && executionProviders.length ? [...executionProviders] : ['cpu'];
    const options: OrtSessionOptions = {
      // The U-Net is a chain: parallelism comes from within each op, not between ops.
      executionMode: 'sequential',
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
      executionProviders: providers,
      ...(threads !== undefined ? { intraOpNumThreads: threads } : {}),
    };
    const { bins, frames, channelsIn } = model.config;
    const engine = new OnnxEngine(name, new Worker(ONNX_WORKER_SCRIPT), model.config, providers, threads);
    try {
      const ready = await engine.call<'ready'>({
        type: 'init', model: bytes, options, inputName: ONNX_INPUT, outputName: ONNX_OUTPUT, dims: [bins, frames, channelsIn],
      }, [bytes.buffer as ArrayBuffer]);
      engine.version = ready.version;
    } catch (err) {
      await engine.dispose();
      throw err;
    }
    return engine;
  }

  /**
   * Masks for `batch` patches, computed in the worker; calls are answered in the order they are
   * made. The whole batch goes in one session run (the main thread is not blocked by it). `input`
   * is copied before its buffer is transferred, so the caller's array is untouched.
   */
  predictMask(input: Float32Array, batch: number): Promise<Float32Array> {
    if (this.broken) return Promise.reject(new Error(this.broken.message));
    const invalid = maskInputError(this.config, input, batch);
    if (invalid) return Promise.reject(invalid);
    const copy = input.slice();
    return this.call<'result'>({ type: 'run', input: copy, batch }, [copy.buffer]).then((r) => r.mask);
  }

  /**
   * Releases the session and ends the worker. Requests still pending are rejected at once
   * ("disposed before the request completed"); later calls fail. Idempotent.
   *
   * The run in progress, if any, is waited for however long it takes: terminating a worker while
   * onnxruntime computes in it can abort the whole process natively. Only after the worker has
   * released its session (nothing native runs any more) is it terminated.
   */
  dispose(): Promise<void> {
    this.closing ??= this.close();
    return this.closing;
  }

  private async close(): Promise<void> {
    const alive = !this.broken;
    this.fail(new Error('onnx engine was disposed before the request completed'));
    this.broken = new Error('onnx engine is disposed');
    if (alive) {
      // The session is released after the run in progress, if any; queued runs are skipped. A
      // worker that dies meanwhile rejects this call (fail()), and is not running anything then.
      await this.call<'released'>({ type: 'release' }).then(() => undefined, () => undefined);
    }
    await this.worker.terminate();
  }

  /** Sends a request; resolves with the worker's answer of the expected type, rejects on its error. */
  private call<T extends FromWorker['type']>(body: RequestBody, transfer: ArrayBuffer[] = []): Promise<Reply<T>> {
    const id = this.nextId++;
    return new Promise<Reply<T>>((resolve, reject) => {
      if (this.pending.size === 0) this.worker.ref();
      this.pending.set(id, { resolve: (r) => resolve(r as Reply<T>), reject });
      try {
        this.worker.postMessage({ ...body, id } as ToWorker, transfer);
      } catch (err) {
        this.settle(id)?.reject(err instanceof Error ? err : new Error(String(err)));
      }
    });
  }

  private settle(id: number): Pending | undefined {
    const p = this.pending.get(id);
    this.pending.delete(id);
    if (this.pending.size === 0) this.worker.unref();
    return p;
  }

  private onReply(msg: FromWorker): void {
    const p = this.settle(msg.id);
    if (!p) return; // rejected already (dispose)
    if (msg.type !== 'error') p.resolve(msg);
    else if (msg.unavailable) p.reject(new BackendUnavailableError('BACKEND_UNAVAILABLE', msg.message));
    else p.reject(new Error(`onnxruntime: ${msg.message}`));
  }

  /** Rejects every pending request with `err`; the first failure makes the engine unusable. */
  private fail(err: Error): void {
    if (!this.broken) this.broken = new Error(`onnx engine is unusable: ${err.message}`);
    const pending = [...this.pending.values()];
    this.pending.clear();
    this.worker.unref();
    for (const p of pending) p.reject(err);
  }
}
