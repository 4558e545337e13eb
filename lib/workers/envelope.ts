/**
 * The messages between a WorkerPool (main thread) and the workers it starts (worker-host.ts).
 * Tasks, their results and the requests a task makes of the main thread are opaque here: the
 * audio layer (audio-protocol.ts) gives them their types.
 */

/** What an error looks like on the wire: its class name, stable code (VocalSplitError) and message. */
export interface WireError {
  name: string;
  code?: string;
  message: string;
}

export type ToWorker =
  /** Run `task`; answer with done / failed carrying the same id. */
  | { kind: 'task'; id: number; task: unknown }
  /** Stop task `id` at its next check (live-lane tasks; a file-lane worker is terminated instead). */
  | { kind: 'cancel'; id: number }
  /** The main thread's answer to request `rid`. */
  | { kind: 'reply'; rid: number; ok: true; value: unknown }
  | { kind: 'reply'; rid: number; ok: false; error: WireError };

export type FromWorker =
  | { kind: 'done'; id: number; value: unknown }
  | { kind: 'failed'; id: number; error: WireError }
  /** Progress and the like, for the task's caller. */
  | { kind: 'event'; id: number; event: unknown }
  /** Task `id` asks the main thread for something (a mask from the inference engine). */
  | { kind: 'request'; id: number; rid: number; request: unknown };
