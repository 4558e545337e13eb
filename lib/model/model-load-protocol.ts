/** What read-model-off-thread.ts and its worker (model-load-worker.ts) send each other. */
import type { LoadedModel } from './weights-io';

export interface ModelLoadRequest {
  /** The model folder (model.json and its weight files). */
  dir: string;
  /** Copies of the serialised ONNX graph to send back, one per onnx session to start (0: none). */
  onnxCopies: number;
}

export type ModelLoadReply =
  | { ok: true; model: LoadedModel; onnxBytes: Uint8Array[] }
  /** The error, rebuilt on the main thread with its class (ModelError) and code. */
  | { ok: false; name: string; code?: string; message: string };
