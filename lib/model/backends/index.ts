/**
 * createBackend: one BackendHandle over the engine of your choice ('auto' = fastest available here).
 * Engines are cached per (model, engine, threads): a model is loaded once per process however many
 * nodes use it; each createBackend returns a handle, and the engine is freed with its last handle.
 */
import * as os from 'node:os';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { InvalidArgumentError } from '../../errors';
import { BackendUnavailableError, ModelError } from '../errors';
import { DEFAULT_FRAMING, type ModelFraming, validateModelFraming } from '../signal-framing';
import { ModelInfo, ModelWeights, readModel, readModelInfo } from '../model-folder';
import { createCudaEngine, ensureCudaAvailable } from './cuda';
import { maskInputError } from './input';
import { OnnxEngine, ensureOnnxAvailable } from './onnx';
import { OnnxReplicas } from './onnx-replicas';
import { InferenceScheduler } from './scheduler';
import { TfjsEngine, initWasm, loadTfjsNode } from './tfjs';
import { TfjsWorkerEngine } from './tfjs-worker-engine';
import {
  AUTO_ORDER, BACKEND_NAMES, BackendChoice, BackendName, BackendOptions, BackendProbe, BackendHandle, InferenceEngine, PredictOptions,
} from './types';

export * from './types';

interface CacheEntry {
  engine: Promise<InferenceEngine>;
  refs: number;
  started?: InferenceEngine;
  /** One queue per engine, shared by all its handles, so live streams go first whichever node asks. */
  scheduler?: InferenceScheduler;
  /** The model's framing (model.json's stft), handed to every handle. */
  framing: ModelFraming;
}
const cache = new Map<string, CacheEntry>();
const objectIds = new WeakMap<object, number>();
let nextObjectId = 1;

/** Checks that an engine can start here, without loading any model. */
async function ensureAvailable(name: BackendName, threads?: number): Promise<void> {
  switch (name) {
    case 'cuda': ensureCudaAvailable(); return;
    case 'onnx': ensureOnnxAvailable(); return;
    case 'tfjs-node': loadTfjsNode(threads); return;
    case 'wasm': await initWasm(); return;
    case 'cpu':
      if (!tf.findBackendFactory('cpu')) throw new BackendUnavailableError('BACKEND_UNAVAILABLE', 'tfjs cpu backend is not registered');
  }
}

/** Which engines can run on this machine, with the reason for each one that cannot. */
export async function probeBackends(): Promise<BackendProbe[]> {
  const out: BackendProbe[] = [];
  for (const name of BACKEND_NAMES) {
    try {
      await ensureAvailable(name);
      out.push({ name, available: true });
    } catch (err) {
      out.push({ name, available: false, reason: (err as Error).message });
    }
  }
  return out;
}

/**
 * Why 'auto' runs on a slower engine than onnx: the reason onnxruntime-node cannot load here (an
 * install that dropped the optional dependency, e.g. offline), so that callers can say it. Undefined
 * when onnx runs, when the engine was chosen by name, or when onnx loads but failed for another reason.
 */
export function slowBackendReason(choice: BackendChoice, running: BackendName): string | undefined {
  if (choice !== 'auto' || running === 'onnx') return undefined;
  try {
    ensureOnnxAvailable();
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

/** Engines alive in the cache (for tests and diagnostics). */
export function cachedEngineCount(): number {
  return cache.size;
}

class CachedEngineHandle implements BackendHandle {
  private disposed = false;
  private readonly pending = new Set<Promise<unknown>>();
  readonly name: BackendName;
  readonly description: string;
  readonly config: InferenceEngine['config'];
  readonly batchSize: number;
  readonly parallelRuns: number;

  private readonly scheduler: InferenceScheduler;
  readonly framing: ModelFraming;

  constructor(private readonly key: string, private readonly entry: CacheEntry, private readonly engine: InferenceEngine) {
    this.scheduler = entry.scheduler ??= new InferenceScheduler(engine);
    this.name = engine.name;
    this.description = engine.description;
    this.config = engine.config;
    this.batchSize = engine.batchSize;
    this.parallelRuns = engine.parallelRuns ?? 1;
    this.framing = entry.framing;
  }

  predictMask(input: Float32Array, batch: number, options?: PredictOptions): Promise<Float32Array> {
    if (this.disposed) return Promise.reject(new Error(`${this.name} backend handle is disposed`));
    const invalid = maskInputError(this.config, input, batch);
    if (invalid) return Promise.reject(invalid);
    const p = this.scheduler.predictMask(input, batch, options);
    this.pending.add(p);
    const forget = (): void => { this.pending.delete(p); };
    p.then(forget, forget);
    return p;
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await Promise.allSettled([...this.pending]);
    await release(this.key, this.entry);
  }
}

async function release(key: string, entry: CacheEntry): Promise<void> {
  entry.refs--;
  if (entry.refs > 0) return;
  if (cache.get(key) === entry) cache.delete(key);
  const engine = await entry.engine.catch(() => undefined);
  await engine?.dispose();
}

type Source = string | ModelWeights;

async function sourceKey(source: Source): Promise<string> {
  if (typeof source === 'string') {
    const jsonPath = path.join(path.resolve(source), 'model.json');
    // The file's identity and mtime are part of the key, so a retrained model is reloaded.
    const st = await fs.promises.stat(jsonPath).catch(() => undefined);
    const real = await fs.promises.realpath(jsonPath).catch(() => jsonPath);
    return `dir:${real}:${st ? `${st.mtimeMs}:${st.size}` : 'missing'}`;
  }
  let id = objectIds.get(source);
  if (id === undefined) {
    id = nextObjectId++;
    objectIds.set(source, id);
  }
  return `obj:${id}`;
}

/**
 * How many onnx sessions run side by side when no thread count is asked for: one per core, at most
 * 4. Sessions of one intra-op thread each use the CPU better than one session of several threads
 * (bench/model_bench on 2 cores: 20.5 ms of CPU per patch against 27): patches are independent, so there is
 * no waiting on a straggler thread when the separator's own work takes a core for a while.
 */
export function onnxSessions(): number {
  return Math.min(4, os.availableParallelism());
}

/** What an engine starts from: weights in memory, or a model folder its worker threads read (all but tfjs-node). */
type EngineModel = ModelWeights | ModelInfo;

/** Whether `name` starts from a model folder itself (its worker threads read the weights): all but tfjs-node, which runs on the main thread. */
function readsFolderItself(name: BackendName): boolean {
  return name !== 'tfjs-node';
}

function weightsOf(model: EngineModel, name: BackendName): ModelWeights {
  if (!('weights' in model)) throw new Error(`internal: the ${name} engine needs the weights read (readModel)`);
  return model;
}

async function startEngine(name: BackendName, model: EngineModel, options: BackendOptions): Promise<InferenceEngine> {
  switch (name) {
    case 'cuda': return createCudaEngine(model, options.threads);
    case 'onnx': return options.threads !== undefined
      ? OnnxEngine.create(model, options.threads, options.executionProviders)
      : OnnxReplicas.create(model, onnxSessions(), options.executionProviders);
    // wasm and cpu compute synchronously: in a worker thread, so the event loop stays free.
    case 'wasm':
    case 'cpu': return TfjsWorkerEngine.create(name, model);
    case 'tfjs-node': return TfjsEngine.create(name, weightsOf(model, name), options.threads);
  }
}

/** What makes two engines of one backend different (beyond the model): their threads and providers. */
function engineKey(name: BackendName, options: BackendOptions): string {
  if (name === 'onnx') return `${options.threads ?? `${onnxSessions()}x1`}:${(options.executionProviders ?? ['cpu']).join(',')}`;
  if (name === 'cuda') return String(options.threads ?? 1);
  return '';
}

/**
 * A mask backend for a model folder (models/<name>/ with model.json) or for weights already in
 * memory (readModel() output, randomWeights(), ...).
 * - backend 'auto' (default) tries AUTO_ORDER (cuda, onnx, tfjs-node, wasm, cpu) and takes the first
 *   engine that starts; the handle's `name` says which. A forced name that cannot run throws BackendUnavailableError with the reason.
 * - Model errors (missing file, bad weight) are thrown as ModelError naming the file, never masked
 *   by falling back to another engine.
 * Call dispose() on the handle when done.
 */
export async function createBackend(source: Source, options: BackendOptions = {}): Promise<BackendHandle> {
  const choice = options.backend ?? 'auto';
  if (choice !== 'auto' && !BACKEND_NAMES.includes(choice)) {
    throw new InvalidArgumentError('INVALID_BACKEND', `unknown backend '${String(choice)}' (expected auto, ${BACKEND_NAMES.join(', ')})`);
  }
  if (options.threads !== undefined && (!Number.isInteger(options.threads) || options.threads < 1)) {
    throw new InvalidArgumentError('INVALID_THREADS', `threads must be a positive integer, got ${options.threads}`);
  }
  const baseKey = await sourceKey(source);
  // A folder is read on the main thread only as far as an engine needs: model.json and the weight
  // files' sizes for the engines in worker threads (they read the weights there, so a deploy does not
  // pause the event loop for the fp16 decoding and the graph); all of it for tfjs-node.
  let weights: Promise<ModelWeights> | undefined;
  let info: Promise<ModelInfo> | undefined;
  const getModel = (name: BackendName): Promise<EngineModel> => {
    if (typeof source !== 'string') return Promise.resolve(source);
    return readsFolderItself(name) ? (info ??= readModelInfo(source)) : (weights ??= readModel(source));
  };

  const candidates = choice === 'auto' ? AUTO_ORDER : [choice];
  const reasons: string[] = [];
  for (const name of candidates) {
    try {
      await ensureAvailable(name, options.threads);
    } catch (err) {
      if (choice !== 'auto') throw err;
      reasons.push(`${name}: ${(err as Error).message}`);
      continue;
    }
    const key = `${baseKey}|${name}|${engineKey(name, options)}`;
    let entry = cache.get(key);
    if (entry?.started?.failure) {
      // Its engine can no longer run (the onnx worker crashed): start a fresh one. The handles
      // still on the old entry get the failure on each call and free it when disposed.
      cache.delete(key);
      entry = undefined;
    }
    if (!entry) {
      // Load the model first: its errors must surface as they are, not as "engine unavailable".
      const m = await getModel(name);
      entry = cache.get(key); // another caller may have started it meanwhile
      if (!entry) {
        const framing = validateModelFraming(m.framing ?? DEFAULT_FRAMING, m.config, 'framing');
        const created: CacheEntry = { engine: startEngine(name, m, options), framing, refs: 0 };
        created.engine.then((e) => { created.started = e; }, () => { if (cache.get(key) === created) cache.delete(key); });
        cache.set(key, created);
        entry = created;
      }
    }
    entry.refs++;
    try {
      return new CachedEngineHandle(key, entry, await entry.engine);
    } catch (err) {
      entry.refs--;
      if (err instanceof ModelError || choice !== 'auto') throw err;
      reasons.push(`${name}: ${(err as Error).message}`);
    }
  }
  throw new BackendUnavailableError('BACKEND_UNAVAILABLE', `no inference backend could start: ${reasons.join('; ')}`);
}
