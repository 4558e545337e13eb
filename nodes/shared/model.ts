/** The model a node uses: one handle per node on the process-wide engine cache of lib/model. */
import type { Node, NodeAPI, NodeMessageInFlow } from 'node-red';
import { yieldToEventLoop } from '../../lib/jobs';
import { createBackend, slowBackendReason } from '../../lib/model/backends';
import type { BackendChoice, BackendHandle } from '../../lib/model/backends/types';
import { DEFAULT_MODEL, resolveModelDir } from '../../lib/model/locate';
import { serve, type JobContext, type Outputs } from './serve';

/**
 * How the nodes batch patches: the backend's own batch size (lib/model's ENGINE_BATCH_SIZE says why
 * each). Results are the same whatever the batch.
 */
export function nodeSeparateOptions(backend: BackendHandle): { batchSize: number } {
  return { batchSize: backend.batchSize };
}

export interface ModelHandle {
  /** Resolves to the node's handle; rejects with the load error (missing model, backend unavailable). */
  backend: Promise<BackendHandle>;
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

/** What a model node's work gets besides its message: the loaded backend and the separator options. */
export interface ModelJobContext extends JobContext {
  backend: BackendHandle;
  /** nodeSeparateOptions(backend) with the job's signal and progress, for separate() / computeMask(). */
  separateOptions: { batchSize: number; signal: AbortSignal; onProgress(fraction: number): void };
}

export interface ServeModelOptions {
  /** The node's model setting (see openModel). */
  model: string;
  backend: BackendChoice;
  concurrency: number;
  work(msg: NodeMessageInFlow, ctx: ModelJobContext): Promise<Outputs>;
  /** Runs on close, before the model handle is disposed (drop live streams, ...). */
  onClose?(): Promise<void>;
  /** Status while nothing runs; default the backend's name. */
  idleText?(backendName: string): string;
}

/**
 * serve() for a node that runs the model: opens the model, waits for it before the first job, shows
 * the backend's name as the idle status, hands each job the backend, and disposes the handle on close.
 */
export function serveModel(RED: NodeAPI, node: Node, options: ServeModelOptions): void {
  const model = openModel(options.model, options.backend);
  let backendName = '';
  let slow = false;
  serve(RED, node, {
    concurrency: options.concurrency,
    ready: model.backend.then((b) => {
      backendName = b.name;
      // 'auto' without onnxruntime-node (an offline install drops it) works, several times slower: say so.
      const reason = slowBackendReason(options.backend, b.name);
      if (reason) {
        slow = true;
        node.warn(RED._('common.log.slowBackend', { backend: b.name, reason }));
      }
    }),
    idleStatus: () => {
      const name = slow ? RED._('common.status.slowBackend', { backend: backendName }) : backendName;
      return { fill: slow ? 'yellow' : 'green', shape: 'ring', text: options.idleText?.(name) ?? name };
    },
    async work(msg, { signal, progress }) {
      const backend = await model.backend;
      const separateOptions = { ...nodeSeparateOptions(backend), signal, onProgress: progress };
      return options.work(msg, { signal, progress, backend, separateOptions });
    },
    onClose: async () => {
      await options.onClose?.();
      await model.dispose();
    },
  });
}

/**
 * The handle, with an event-loop turn (setImmediate) before and after every backend call: tfjs
 * wasm/cpu settle a call in microtasks only, so without it a whole song would run without letting
 * Node-RED's timers and I/O in. Same numbers; dispose() is the handle's.
 */
function yielding(backend: BackendHandle): BackendHandle {
  return {
    name: backend.name,
    description: backend.description,
    config: backend.config,
    batchSize: backend.batchSize,
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
