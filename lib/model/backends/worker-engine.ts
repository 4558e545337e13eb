/**
 * An inference engine whose computation lives in a worker_threads Worker (its script calls
 * hostEngine, engine-host.ts), so Node-RED's event loop stays free while patches are computed and
 * the caller's DSP overlaps with inference. Patches and masks move between the threads as
 * transferred buffers. onnxruntime (onnx.ts) and tfjs wasm/cpu (tfjs-worker-engine.ts) run this way.
 */
import { Worker } from 'node:worker_threads';
import { BackendUnavailableError, ModelError } from '../errors';
import type { ModelWeights } from '../model-folder';
import type { FromEngineWorker, ToEngineWorker } from './engine-protocol';
import { maskInputError } from './input';
import { ENGINE_BATCH_SIZE, type BackendName, type InferenceEngine } from './types';

/** A request without its id (call() numbers it); distributes over the union. */
type RequestBody<Init> = ToEngineWorker<Init> extends infer R ? (R extends ToEngineWorker<Init> ? Omit<R, 'id'> : never) : never;
type Reply<T extends FromEngineWorker['type']> = Extract<FromEngineWorker, { type: T }>;

interface Pending {
  resolve(reply: FromEngineWorker): void;
  reject(err: Error): void;
}

/** How the engine names itself in errors: `onnx engine is disposed`, `onnx worker crashed`, `onnxruntime: …`. */
export interface EngineLabels {
  engine: string;
  /** Prefix of the errors the runtime raises in the worker. */
  runtime: string;
}

export abstract class WorkerEngine<Init> implements InferenceEngine {
  readonly batchSize: number;
  abstract readonly description: string;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  /** Set once the engine cannot run any more: disposed, or its worker crashed. */
  private broken: Error | undefined;
  private closing: Promise<void> | undefined;
  protected readonly worker: Worker;

  protected constructor(
    readonly name: BackendName,
    script: string,
    readonly config: ModelWeights['config'],
    private readonly labels: EngineLabels,
  ) {
    this.batchSize = ENGINE_BATCH_SIZE[name];
    this.worker = new Worker(script);
    const { engine } = labels;
    this.worker.unref(); // referenced only while requests are in flight (see call())
    this.worker.on('message', (msg: FromEngineWorker) => this.onReply(msg));
    this.worker.on('messageerror', (err: Error) => this.fail(new Error(`${engine} worker sent an unreadable message: ${err.message}`)));
    this.worker.on('error', (err: Error) => this.fail(new Error(`${engine} worker crashed: ${err.message}`)));
    this.worker.on('exit', (code: number) => this.fail(new Error(`${engine} worker exited unexpectedly (exit code ${code})`)));
  }

  /** Why the engine cannot run any more although it was not disposed (its worker crashed), else undefined. */
  get failure(): Error | undefined {
    return this.closing ? undefined : this.broken;
  }

  /** Starts the engine in the worker; resolves with its answer (what it says about itself). On failure the worker is ended. */
  protected async start(init: Init, transfer: ArrayBuffer[] = []): Promise<Reply<'ready'>> {
    try {
      return await this.call<'ready'>({ type: 'init', init }, transfer);
    } catch (err) {
      await this.dispose();
      throw err;
    }
  }

  /**
   * Masks for `batch` patches, computed in the worker; calls are answered in the order they are
   * made, each batch in one go (the main thread is not blocked by it). `input` is copied before its
   * buffer is transferred, so the caller's array is untouched.
   */
  predictMask(input: Float32Array, batch: number): Promise<Float32Array> {
    if (this.broken) return Promise.reject(new Error(this.broken.message));
    const invalid = maskInputError(this.config, input, batch);
    if (invalid) return Promise.reject(invalid);
    const copy = input.slice();
    return this.call<'result'>({ type: 'run', input: copy, batch }, [copy.buffer]).then((r) => r.mask);
  }

  /**
   * Releases the engine and ends the worker. Requests still pending are rejected at once
   * ("disposed before the request completed"); later calls fail. Idempotent.
   *
   * The run in progress, if any, is waited for however long it takes: terminating a worker while
   * onnxruntime computes in it can abort the whole process natively. Only after the worker has
   * released its engine (nothing native runs any more) is it terminated.
   */
  dispose(): Promise<void> {
    this.closing ??= this.close();
    return this.closing;
  }

  private async close(): Promise<void> {
    const alive = !this.broken;
    this.fail(new Error(`${this.labels.engine} engine was disposed before the request completed`));
    this.broken = new Error(`${this.labels.engine} engine is disposed`);
    if (alive) {
      // The engine is released after the run in progress, if any; queued runs are skipped. A
      // worker that dies meanwhile rejects this call (fail()), and is not running anything then.
      await this.call<'released'>({ type: 'release' }).then(() => undefined, () => undefined);
    }
    await this.worker.terminate();
  }

  /** Sends a request; resolves with the worker's answer of the expected type, rejects on its error. */
  private call<T extends FromEngineWorker['type']>(body: RequestBody<Init>, transfer: ArrayBuffer[] = []): Promise<Reply<T>> {
    const id = this.nextId++;
    return new Promise<Reply<T>>((resolve, reject) => {
      if (this.pending.size === 0) this.worker.ref();
      this.pending.set(id, { resolve: (r) => resolve(r as Reply<T>), reject });
      try {
        this.worker.postMessage({ ...body, id } as ToEngineWorker<Init>, transfer);
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

  private onReply(msg: FromEngineWorker): void {
    const p = this.settle(msg.id);
    if (!p) return; // rejected already (dispose)
    if (msg.type !== 'error') p.resolve(msg);
    else if (msg.unavailable) p.reject(new BackendUnavailableError('BACKEND_UNAVAILABLE', msg.message));
    else if (msg.modelCode) p.reject(new ModelError(msg.modelCode, msg.message));
    else p.reject(new Error(`${this.labels.runtime}: ${msg.message}`));
  }

  /** Rejects every pending request with `err`; the first failure makes the engine unusable. */
  private fail(err: Error): void {
    if (!this.broken) this.broken = new Error(`${this.labels.engine} engine is unusable: ${err.message}`);
    const pending = [...this.pending.values()];
    this.pending.clear();
    this.worker.unref();
    for (const p of pending) p.reject(err);
  }
}
