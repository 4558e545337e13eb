import type { UNetConfig } from '../config';
import type { ModelFraming } from '../signal-framing';

/**
 * The inference engines, fastest first in `AUTO_ORDER`. 'cuda' is onnxruntime-node with its CUDA
 * execution provider (NVIDIA GPU); 'onnx' the same runtime on the CPU.
 */
export type BackendName = 'cuda' | 'onnx' | 'tfjs-node' | 'wasm' | 'cpu';
export type BackendChoice = 'auto' | BackendName;

export const BACKEND_NAMES: readonly BackendName[] = ['cuda', 'onnx', 'tfjs-node', 'wasm', 'cpu'];
/** What `backend: 'auto'` tries, in order; cpu (pure JS, ~4× slower than wasm) only as a last resort. */
export const AUTO_ORDER: readonly BackendName[] = ['cuda', 'onnx', 'tfjs-node', 'wasm', 'cpu'];

/**
 * Patches per predictMask call that suit each engine. cuda: the GPU is only busy with many patches
 * at once (a 3-minute stereo song is ~190 patches). onnx: a worker thread, 4 is a little faster per
 * patch. tfjs-node computes on the main thread: one patch per call keeps each event-loop pause
 * short. wasm/cpu (a worker thread each) compute a patch at a time anyway: one per call lets a
 * live stream's patch in after at most the patches already sent.
 */
export const ENGINE_BATCH_SIZE: Readonly<Record<BackendName, number>> = { cuda: 64, onnx: 4, 'tfjs-node': 1, wasm: 1, cpu: 1 };

/** Who is waiting for a mask: a live stream ('live', served first) or a file ('file', the default). */
export type InferencePriority = 'live' | 'file';

export interface PredictOptions {
  priority?: InferencePriority;
  /** Aborting it takes the request out of the engine's queue if it has not started (it rejects). */
  signal?: AbortSignal;
}

/**
 * A caller's handle on a shared InferenceEngine (createBackend hands one out per caller): runs the
 * U-Net's mask head on patches, the same interface for every engine.
 */
export interface BackendHandle {
  readonly name: BackendName;
  /** For people (node status, logs): engine, version, threads. */
  readonly description: string;
  readonly config: UNetConfig;
  /** How many patches one predictMask call should carry on this engine (callers may send fewer or more). */
  readonly batchSize: number;
  /** How many predictMask calls the engine computes at the same time (default 1): a caller keeps one more than that queued. */
  readonly parallelRuns?: number;
  /** The sample rate and STFT the model was trained on (its model.json's `stft`): callers frame audio with it. */
  readonly framing: ModelFraming;
  /**
   * Masks in [0,1] for `batch` patches. `input` is NHWC [batch, bins, frames, channelsIn], already
   * normalised by the caller (each patch and channel divided by its own max + 1e-8); the result has
   * the same layout and length. `input` is not modified and may be reused once the promise settles.
   * Requests of one engine are served live streams first (see scheduler.ts).
   */
  predictMask(input: Float32Array, batch: number, options?: PredictOptions): Promise<Float32Array>;
  /** Drops this handle; the shared engine instance is freed when its last handle is disposed. Idempotent. */
  dispose(): Promise<void>;
}

export interface BackendOptions {
  /** 'auto' (default): the fastest that works here, in AUTO_ORDER. A name forces that engine or fails. */
  backend?: BackendChoice;
  /**
   * Intra-op threads. onnx: set, one session with that many threads in the engine's worker thread;
   * unset, onnxSessions() sessions side by side, each in its own worker thread with one intra-op thread
   * (see onnx-replicas.ts). cuda: CPU threads for the few ops left on the CPU (default 1).
   * tfjs-node: process-wide, only honoured if set before tfjs-node is first loaded. wasm/cpu: ignored
   * (tfjs-wasm runs single-threaded under Node).
   */
  threads?: number;
  /** onnx only: execution providers, default ['cpu'] ('cuda' is the backend of that name, not an option here). */
  executionProviders?: string[];
}

/**
 * One loaded model on one engine (onnxruntime, tfjs-node, wasm, cpu): what a backend implementation
 * provides. The cache in index.ts shares it between callers, each through its own BackendHandle.
 */
export interface InferenceEngine {
  readonly name: BackendName;
  readonly description: string;
  readonly config: UNetConfig;
  readonly batchSize: number;
  /** Runs computed at the same time (onnx: its sessions); default 1. */
  readonly parallelRuns?: number;
  predictMask(input: Float32Array, batch: number): Promise<Float32Array>;
  dispose(): Promise<void>;
  /**
   * Set once the engine can no longer run for a reason other than dispose() (the onnx engine's
   * worker crashed); createBackend then starts a fresh engine instead of handing out this one.
   */
  readonly failure?: Error;
}

export interface BackendProbe {
  name: BackendName;
  available: boolean;
  /** Why not, when unavailable (package not installed, native load failed, ...). */
  reason?: string;
}
