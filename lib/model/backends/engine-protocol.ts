/**
 * What an inference engine hosted in a worker thread (worker-engine.ts, main thread) and its worker
 * (engine-host.ts) say to each other. Every request has an `id`; the worker answers each one, in
 * the order they arrive.
 */

export type ToEngineWorker<Init> =
  /** Start the engine from `init` (its buffers may be transferred). */
  | { type: 'init'; id: number; init: Init }
  /** Masks for `batch` NHWC patches; `input` (batch × bins × frames × channelsIn) is transferred. */
  | { type: 'run'; id: number; input: Float32Array; batch: number }
  /** Release the engine after the run in progress; runs still queued are answered with an error. */
  | { type: 'release'; id: number };

export type FromEngineWorker =
  /**
   * `info`: what the engine says about itself (onnxruntime's version, tfjs's backend); `graph`: the
   * serialised model the worker built from a model folder, when the init asked for it back.
   */
  | { type: 'ready'; id: number; info: string; graph?: Uint8Array }
  | { type: 'result'; id: number; mask: Float32Array }
  | { type: 'released'; id: number }
  /**
   * `unavailable`: the engine cannot load in the worker (→ BackendUnavailableError); `modelCode`: the
   * model folder the worker read is at fault (→ ModelError with that code).
   */
  | { type: 'error'; id: number; message: string; unavailable?: boolean; modelCode?: string };
