/** The model a node uses: one handle per node on the process-wide engine cache of lib/model. */
import { yieldToEventLoop } from '../../lib/jobs';
import { createBackend } from '../../lib/model/backends';
import type { BackendChoice, MaskBackend } from '../../lib/model/backends/types';
import { DEFAULT_MODEL, resolveModelDir } from '../../lib/model/locate';

/**
 * How the nodes run the separator: one patch per backend call. The engines run a call on the main
 * thread (onnxruntime-node defers run() to setImmediate, tfjs computes synchronously), so a call
 * is as long as Node-RED's event loop is blocked: one patch keeps that to one patch's inference.
 * On CPU a batch is no faster per patch, and the result is the same whatever the batch size.
 */
export const NODE_SEPARATE_OPTIONS = { batchSize: 1 } as const;

export interface ModelHandle {
  /** Resolves to the node's handle; rejects with the load error (missing model, backend unavailable). */
  backend: Promise<MaskBackend>;
  /** Disposes the handle (after a failed load: nothing to do). The engine goes with its last handle. */
  dispose(): Promise<void>;
}

/** `model`: a shipped model's name (models/<name>/) or a folder holding model.json. */
export function openModel(model: string, backend: BackendChoice): ModelHandle {
  const loading = (async () => yielding(await createBackend(resolveModelDir(model.trim() || DEFAULT_MODEL), { backend })))();
  loading.catch(() => {}); // the node reports it (status, each message)
  return {
    backend: loading,
    dispose: async () => {
      const handle = await loading.catch(() => undefined);
      await handle?.dispose();
    },
  };
}

/**
 * The handle, with an event-loop turn (setImmediate) before and after every backend call: tfjs
 * wasm/cpu settle a call in microtasks only, so without it a whole song would run without letting
 * Node-RED's timers and I/O in. Same numbers; dispose() is the handle's.
 */
function yielding(backend: MaskBackend): MaskBackend {
  return {
    name: backend.name,
    description: backend.description,
    config: backend.config,
    predictMask: async (input, batch) => {
      await yieldToEventLoop();
      const mask = await backend.predictMask(input, batch);
      // And one after: the separator's work on the result then runs in its own turn, not in the
      // same one as the inference (onnxruntime-node runs it on the main thread, in a setImmediate).
      await yieldToEventLoop();
      return mask;
    },
    dispose: () => backend.dispose(),
  };
}
