/**
 * A short-lived worker thread (started by read-model-off-thread.ts as
 * dist/lib/model/model-load-worker.js) that reads a model folder and, when asked, serialises its
 * ONNX graph: both take hundreds of milliseconds of CPU (decoding fp16 weights, permuting kernels),
 * which would stall Node-RED's event loop at every deploy. The weights and the graph come back as
 * transferred buffers, so the main thread copies nothing.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { VocalSplitError } from '../errors';
import { buildUNetOnnx } from './onnx/graph';
import { readModel } from './weights-io';
import type { ModelLoadReply, ModelLoadRequest } from './model-load-protocol';

async function load(request: ModelLoadRequest): Promise<ModelLoadReply> {
  try {
    const model = await readModel(request.dir);
    const onnxBytes: Uint8Array[] = [];
    if (request.onnxCopies > 0) {
      const bytes = buildUNetOnnx(model.config, model.weights);
      // Copied here, not on the main thread: each session's worker takes one (tens of MB each).
      for (let i = 1; i < request.onnxCopies; i++) onnxBytes.push(bytes.slice());
      onnxBytes.push(bytes);
    }
    return { ok: true, model, onnxBytes };
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    return { ok: false, name: e.name, code: e instanceof VocalSplitError ? e.code : undefined, message: e.message };
  }
}

void load(workerData as ModelLoadRequest).then((reply) => {
  const transfer: ArrayBuffer[] = [];
  if (reply.ok) {
    for (const w of reply.model.weights.values()) transfer.push(w.data.buffer as ArrayBuffer);
    for (const b of reply.onnxBytes) transfer.push(b.buffer as ArrayBuffer);
  }
  parentPort?.postMessage(reply, transfer);
});
