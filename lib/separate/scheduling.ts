/**
 * How separation shares the event loop with its host (Node-RED keeps serving flows while a song is
 * separated): a handle that yields around every inference call (batch sizes per engine are the
 * backend's own, lib/model ENGINE_BATCH_SIZE). The numbers are the same; only responsiveness differs.
 */
import { yieldToEventLoop } from '../jobs/throttle';
import type { BackendHandle } from '../model/backends/types';

/**
 * The handle, with an event-loop turn (setImmediate) before and after every backend call:
 * tfjs-node computes on this thread and settles a call in microtasks only, so without it a whole
 * song would run without letting the host's timers and I/O in. Same numbers; dispose() is the handle's.
 */
export function yieldingBackend(backend: BackendHandle): BackendHandle {
  return {
    name: backend.name,
    description: backend.description,
    config: backend.config,
    framing: backend.framing,
    batchSize: backend.batchSize,
    parallelRuns: backend.parallelRuns,
    predictMask: async (input, batch, options) => {
      await yieldToEventLoop();
      const mask = await backend.predictMask(input, batch, options);
      // And one after: the separator's work on the result then runs in its own turn, not in the
      // same one as the inference (onnxruntime-node runs it on the main thread, in a setImmediate).
      await yieldToEventLoop();
      return mask;
    },
    dispose: () => backend.dispose(),
  };
}
