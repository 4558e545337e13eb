/**
 * readModel (and buildUNetOnnx) in a worker thread of its own, for callers on Node-RED's event loop:
 * a deploy loads the model without pausing the user's other flows. Same result and same errors
 * (ModelError with its code and message) as readModel on the calling thread.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { ModelError } from './errors';
import type { ModelLoadReply, ModelLoadRequest } from './model-load-protocol';
import type { LoadedModel } from './weights-io';

/** The compiled worker script, next to this file (dist/lib/model/model-load-worker.js). */
const LOAD_WORKER_SCRIPT = path.join(__dirname, 'model-load-worker.js');

export interface ModelReadOffThread {
  model: LoadedModel;
  /** Copies of the serialised ONNX graph, as many as asked for (each buffer may move on to a session's worker). */
  onnxBytes: Uint8Array[];
}

export function readModelOffThread(dir: string, options: { onnxCopies?: number } = {}): Promise<ModelReadOffThread> {
  if (!fs.existsSync(LOAD_WORKER_SCRIPT)) {
    return Promise.reject(new Error(`the model loader's worker script is missing: ${LOAD_WORKER_SCRIPT} (run the build)`));
  }
  const request: ModelLoadRequest = { dir: path.resolve(dir), onnxCopies: Math.max(0, Math.floor(options.onnxCopies ?? 0)) };
  return new Promise((resolve, reject) => {
    const worker = new Worker(LOAD_WORKER_SCRIPT, { workerData: request });
    let settled = false;
    worker.once('message', (reply: ModelLoadReply) => {
      settled = true;
      if (reply.ok) resolve({ model: reply.model, onnxBytes: reply.onnxBytes });
      else reject(reply.name === 'ModelError' && reply.code ? new ModelError(reply.code, reply.message) : new Error(reply.message));
    });
    worker.once('error', (err: Error) => {
      settled = true;
      reject(new Error(`the model loader's worker crashed reading ${request.dir}: ${err.message}`));
    });
    worker.once('exit', (code: number) => {
      if (!settled) reject(new Error(`the model loader's worker exited (code ${code}) before reading ${request.dir}`));
    });
  });
}
