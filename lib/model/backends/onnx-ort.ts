/**
 * What the onnx engine (onnx.ts, main thread) and its worker (onnx-worker.ts) share: the lazily
 * loaded onnxruntime-node module, typed locally for the few members used (it is an optional
 * dependency, so this compiles and runs without it), and what the worker starts its session from.
 */
import type { ModelFolder } from '../model-folder';
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

/**
 * What the onnx worker starts its session from: the serialised graph (its buffer is transferred),
 * or a model folder the worker reads and serialises itself, expecting `config` (what the main thread
 * read in its model.json).
 */
export interface OnnxInit {
  model: Uint8Array | ModelFolder;
  /** With a model folder: send the graph built from it back with the 'ready' answer (for the other sessions of one engine). */
  returnGraph?: boolean;
  options: OrtSessionOptions;
  /** The graph's input and output names, and the patch shape [bins, frames, channelsIn]. */
  inputName: string;
  outputName: string;
  dims: [bins: number, frames: number, channelsIn: number];
}
