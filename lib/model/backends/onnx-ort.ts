/**
 * What the onnx engine (onnx.ts, main thread) and its worker (onnx-worker.ts) share: the lazily
 * loaded onnxruntime-node module, typed locally for the few members used (it is an optional
 * dependency, so this compiles and runs without it), and the messages between the two threads.
 */
import { BackendUnavailableError } from '../errors';

export interface OrtTensor { readonly data: unknown; readonly dims: readonly number[]; readonly type: string }
export interface OrtSessionOptions {
  intraOpNumThreads?: number;
  interOpNumThreads?: number;
  executionMode?: 'sequential' | 'parallel';
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
  executionProviders?: string[];
}
export interface OrtSession {
  run(feeds: Record<string, OrtTensor>): Promise<Record<string, OrtTensor>>;
  release(): Promise<void>;
}
export interface OrtModule {
  InferenceSession: { create(model: Uint8Array, options?: OrtSessionOptions): Promise<OrtSession> };
  Tensor: new (type: 'float32', data: Float32Array, dims: readonly number[]) => OrtTensor;
  env: { versions?: { node?: string; common?: string } };
}

let ortModule: OrtModule | undefined;
let ortError: string | undefined;

/** The onnxruntime-node module (loaded once per thread), or a BackendUnavailableError saying why not. */
export function loadOrt(): OrtModule {
  if (ortModule) return ortModule;
  if (ortError === undefined) {
    try {
      ortModule = require('onnxruntime-node') as OrtModule;
      return ortModule;
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      ortError = e.code === 'MODULE_NOT_FOUND' && /onnxruntime-node/.test(e.message)
        ? 'onnxruntime-node is not installed (npm install onnxruntime-node --onnxruntime-node-install=skip)'
        : `onnxruntime-node failed to load: ${e.message}`;
    }
  }
  throw new BackendUnavailableError('BACKEND_UNAVAILABLE', ortError);
}

/** Main thread → worker. Every request has an `id`; the worker answers each one, in order. */
export type ToWorker =
  /** Create the session from the serialised model (its buffer is transferred). */
  | {
    type: 'init'; id: number; model: Uint8Array; options: OrtSessionOptions;
    /** The graph's input and output names, and the patch shape [bins, frames, channelsIn]. */
    inputName: string; outputName: string; dims: [bins: number, frames: number, channelsIn: number];
  }
  /** Masks for `batch` NHWC patches; `input` (batch × bins × frames × channelsIn) is transferred. */
  | { type: 'run'; id: number; input: Float32Array; batch: number }
  /** Release the session after the run in progress; runs still queued are answered with an error. */
  | { type: 'release'; id: number };

/** Worker → main thread: the answer to request `id`. */
export type FromWorker =
  | { type: 'ready'; id: number; version: string }
  | { type: 'result'; id: number; mask: Float32Array }
  | { type: 'released'; id: number }
  /** `unavailable`: onnxruntime-node cannot load in the worker (→ BackendUnavailableError). */
  | { type: 'error'; id: number; message: string; unavailable?: boolean };
