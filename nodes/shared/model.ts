/** The model a node uses: one handle per node on the process-wide engine cache of lib/model. */
import type { Node, NodeAPI, NodeMessageInFlow } from 'node-red';
import { createBackend, slowBackendReason } from '../../lib/model/backends';
import type { BackendChoice, BackendHandle } from '../../lib/model/backends/types';
import { DEFAULT_MODEL, resolveModelDir } from '../../lib/model/locate';
import { yieldingBackend } from '../../lib/separate/scheduling';
import { serve, type JobContext, type Outputs } from './serve';
import { COMMON } from './common-strings';

export interface ModelHandle {
  /** Resolves to the node's handle; rejects with the load error (missing model, backend unavailable). */
  backend: Promise<BackendHandle>;
  /** Disposes the handle (after a failed load: nothing to do). The engine goes with its last handle. */
  dispose(): Promise<void>;
}

/** `model`: a shipped model's name (models/<name>/) or a folder holding model.json. */
export function openModel(model: string, backend: BackendChoice): ModelHandle {
  const loading = (async () => yieldingBackend(await createBackend(resolveModelDir(model.trim() || DEFAULT_MODEL), { backend })))();
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
  /** The backend's batch size with the job's signal and progress, for separate() / computeMask(). */
  separateOptions: { batchSize: number; signal: AbortSignal; onProgress(fraction: number): void };
}

export interface ServeModelOptions {
  /** The node's model setting (see openModel). */
  model: string;
  backend: BackendChoice;
  concurrency: number;
  /** Messages that may wait (see serve); default serve's. */
  queueLimit?: number;
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
    queueLimit: options.queueLimit,
    ready: model.backend.then((b) => {
      backendName = b.name;
      // 'auto' without onnxruntime-node (an offline install drops it) works, several times slower: say so.
      const reason = slowBackendReason(options.backend, b.name);
      if (reason) {
        slow = true;
        node.warn(RED._(`${COMMON}.log.slowBackend`, { backend: b.name, reason }));
      }
    }),
    idleStatus: () => {
      const name = slow ? RED._(`${COMMON}.status.slowBackend`, { backend: backendName }) : backendName;
      return { fill: slow ? 'yellow' : 'green', shape: 'ring', text: options.idleText?.(name) ?? name };
    },
    async work(msg, { signal, progress }) {
      const backend = await model.backend;
      const separateOptions = { batchSize: backend.batchSize, signal, onProgress: progress };
      return options.work(msg, { signal, progress, backend, separateOptions });
    },
    onClose: async () => {
      await options.onClose?.();
      await model.dispose();
    },
  });
}
