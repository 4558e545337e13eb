/**
 * The worker side of a WorkerPool: receives tasks, runs them with a handler (several may be in
 * flight at once; the live lane interleaves them at their awaits), answers each with its result or
 * its error, and lets a task ask the main thread for things (`ctx.request`).
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { FromWorker, ToWorker } from './envelope';
import type { Transferring, WorkerStart } from './pool';
import { lowerThisThreadPriority } from './thread-priority';
import { fromWire, toWire } from './wire-errors';

/** Whether this worker is one of the pool's file-lane workers (its workerData, from pool.ts). */
export const IS_FILE_LANE = (workerData as WorkerStart | undefined)?.lane === 'file';

export interface TaskContext {
  /** Aborted when the main thread cancels this task. */
  signal: AbortSignal;
  /** Sends an event (progress) to the task's caller. */
  emit(event: unknown): void;
  /** Asks the main thread; resolves with its answer. */
  request<T>(request: unknown, transfer?: ArrayBuffer[]): Promise<T>;
}

export type TaskHandler = (task: unknown, ctx: TaskContext) => Promise<Transferring<unknown>>;

/** Asks the main thread on behalf of no task in particular (set once serveTasks runs). */
export let requestMain: <T>(request: unknown, transfer?: ArrayBuffer[]) => Promise<T> = () => Promise.reject(new Error('serveTasks has not started'));

export function serveTasks(handle: TaskHandler): void {
  if (!parentPort) throw new Error('this script must run as a worker_threads Worker (see lib/workers/pool.ts)');
  const port = parentPort;
  if (IS_FILE_LANE) lowerThisThreadPriority();
  const running = new Map<number, AbortController>();
  const asked = new Map<number, { id: number; resolve(value: unknown): void; reject(err: Error): void }>();
  let nextRid = 1;
  const send = (msg: FromWorker, transfer: ArrayBuffer[] = []): void => port.postMessage(msg, transfer);
  const ask = <T>(id: number, request: unknown, transfer: ArrayBuffer[] = []): Promise<T> => new Promise<T>((resolve, reject) => {
    const rid = nextRid++;
    asked.set(rid, { id, resolve: resolve as (v: unknown) => void, reject });
    send({ kind: 'request', id, rid, request }, transfer);
  });
  requestMain = (request, transfer) => ask(0, request, transfer);

  port.on('message', (msg: ToWorker) => {
    switch (msg.kind) {
      case 'task': {
        const controller = new AbortController();
        running.set(msg.id, controller);
        const ctx: TaskContext = {
          signal: controller.signal,
          emit: (event) => send({ kind: 'event', id: msg.id, event }),
          request: (request, transfer) => ask(msg.id, request, transfer),
        };
        Promise.resolve().then(() => handle(msg.task, ctx)).then(({ value, transfer }) => {
          if (running.delete(msg.id)) send({ kind: 'done', id: msg.id, value }, transfer);
        }, (err: unknown) => {
          if (running.delete(msg.id)) send({ kind: 'failed', id: msg.id, error: toWire(err) });
        });
        break;
      }
      case 'cancel':
        running.get(msg.id)?.abort();
        running.delete(msg.id);
        // The main thread no longer answers this task's requests: fail them so the task ends here too.
        for (const [rid, p] of asked) {
          if (p.id !== msg.id) continue;
          asked.delete(rid);
          p.reject(new Error('cancelled'));
        }
        break;
      case 'reply': {
        const p = asked.get(msg.rid);
        asked.delete(msg.rid);
        if (!p) break;
        if (msg.ok) p.resolve(msg.value);
        else p.reject(fromWire(msg.error));
        break;
      }
    }
  });
}

/** `a` itself if it is all of its buffer (so the buffer can move), else a copy that is. */
export function owned<T extends Float32Array | Uint8Array>(a: T): T {
  if (a.byteOffset === 0 && a.byteLength === a.buffer.byteLength && a.buffer instanceof ArrayBuffer) return a;
  return (a instanceof Float32Array ? new Float32Array(a) : new Uint8Array(a)) as T;
}

/** The buffers of `arrays` that can move to another thread as they are (each array is all of its buffer), without repeats. */
export function transferable(arrays: ArrayBufferView[]): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  for (const a of arrays) {
    if (a.buffer instanceof ArrayBuffer && a.byteOffset === 0 && a.byteLength === a.buffer.byteLength) out.add(a.buffer);
  }
  return [...out];
}
