/**
 * A pool of worker_threads that runs the heavy per-song work off the main thread, so Node-RED's
 * event loop (the editor, every other flow of the home) keeps answering while songs are split.
 *
 * Two lanes, so live streams keep their latency while files are split (reserved capacity):
 *  - 'file': `fileWorkers` workers (default: one core fewer than the machine has), one task per
 *    worker at a time, later tasks wait in FIFO order. Background work: each runs at a lower CPU
 *    priority (thread-priority.ts), and splits a song's channels with a helper thread of its own
 *    (channel-split.ts). A cancelled or abandoned task has its worker terminated (its work is
 *    plain JavaScript and wasm, safe to stop anywhere; the helper goes with it), so the CPU is
 *    free again at once; a new worker starts on demand.
 *  - 'live': one worker for every live stream's chunks; tasks run at once, side by side (each is a
 *    few milliseconds of DSP plus an inference request), and hold state between tasks (the
 *    streams), so they are cancelled cooperatively, never by terminating the worker.
 *
 * A worker that dies (crash, out of memory, process.exit) fails only the tasks it was running,
 * with a WorkerCrashedError; the next task gets a fresh worker.
 *
 * Tasks may ask the main thread for things while they run (`onRequest`, e.g. a mask from the
 * shared inference engine); those requests get a signal that aborts when their task ends.
 */
import * as os from 'node:os';
import { Worker, type ResourceLimits } from 'node:worker_threads';
import { InvalidArgumentError } from '../errors';
import type { FromWorker, ToWorker } from './envelope';
import { TaskAbortedError, WorkerCrashedError, fromWire, toWire } from './wire-errors';

export type Lane = 'file' | 'live';

/** What a worker is told when it starts (its workerData). */
export interface WorkerStart {
  lane: Lane;
}

/** What a task's result or request answer carries, and which of its buffers move instead of being copied. */
export interface Transferring<T> {
  value: T;
  transfer?: ArrayBuffer[];
}

export interface RequestContext {
  lane: Lane;
  /** Aborted when the task that asked ends (done, failed, cancelled, or its worker died). */
  signal: AbortSignal;
}

export interface PoolOptions {
  /** The compiled worker script (it calls serveTasks from worker-host.ts). */
  script: string;
  /** Workers of the file lane; default max(1, os.availableParallelism() − 1). */
  fileWorkers?: number;
  /** Heap limits of each worker (a runaway task kills its worker, not the process). */
  resourceLimits?: ResourceLimits;
  /** Answers the requests tasks make of the main thread. */
  onRequest?(request: unknown, context: RequestContext): Promise<Transferring<unknown>>;
}

export interface TaskOptions {
  lane?: Lane;
  /** Buffers of the task to move to the worker (they become unusable here). */
  transfer?: ArrayBuffer[];
  /** Aborting it cancels the task: it rejects with a TaskAbortedError at once. */
  signal?: AbortSignal;
  /** Progress and other events the task emits. */
  onEvent?(event: unknown): void;
}

export interface PoolStats {
  /** Workers alive (both lanes). */
  workers: number;
  /** Tasks running in a worker. */
  running: number;
  /** Tasks waiting for a file worker. */
  queued: number;
  /** Requests of tasks the main thread is still answering. */
  requests: number;
}

interface Slot {
  worker: Worker;
  lane: Lane;
  tasks: Map<number, Task>;
  /** Set when the pool terminates this worker on purpose: its exit is not a crash. */
  retiring: boolean;
  /** Aborts the requests made on behalf of no task (a live stream's batched patches) when the worker goes. */
  requests: AbortController;
}

interface Task {
  id: number;
  task: unknown;
  options: TaskOptions;
  resolve(value: unknown): void;
  reject(err: Error): void;
  /** Aborts the main-thread requests of this task when it ends. */
  requests: AbortController;
  slot?: Slot;
  onAbort?: () => void;
}

export function defaultFileWorkers(): number {
  return Math.max(1, os.availableParallelism() - 1);
}

export class WorkerPool {
  readonly fileWorkers: number;
  private readonly fileSlots = new Set<Slot>();
  private liveSlot: Slot | undefined;
  private readonly waiting: Task[] = [];
  private nextId = 1;
  private pendingRequests = 0;
  private closed = false;

  constructor(private readonly options: PoolOptions) {
    this.fileWorkers = options.fileWorkers ?? defaultFileWorkers();
    if (!Number.isInteger(this.fileWorkers) || this.fileWorkers < 1 || this.fileWorkers > 256) {
      throw new InvalidArgumentError('BAD_POOL_SIZE', `fileWorkers must be an integer in 1..256, got ${String(options.fileWorkers)}`);
    }
  }

  stats(): PoolStats {
    const slots = [...this.fileSlots, ...(this.liveSlot ? [this.liveSlot] : [])];
    return {
      workers: slots.length,
      running: slots.reduce((n, s) => n + s.tasks.size, 0),
      queued: this.waiting.length,
      requests: this.pendingRequests,
    };
  }

  /** Whether nothing runs, waits or is being answered. */
  get idle(): boolean {
    const s = this.stats();
    return s.running === 0 && s.queued === 0 && s.requests === 0;
  }

  /** Runs `task` in a worker of its lane; resolves with its result. */
  run<R>(task: unknown, options: TaskOptions = {}): Promise<R> {
    if (this.closed) return Promise.reject(new Error('the worker pool is closed'));
    if (options.signal?.aborted) return Promise.reject(new TaskAbortedError());
    return new Promise<R>((resolve, reject) => {
      const t: Task = { id: this.nextId++, task, options, resolve: resolve as (v: unknown) => void, reject, requests: new AbortController() };
      if (options.signal) {
        t.onAbort = () => this.cancel(t);
        options.signal.addEventListener('abort', t.onAbort, { once: true });
      }
      if ((options.lane ?? 'file') === 'live') this.start(t, this.live());
      else {
        this.waiting.push(t);
        this.pump();
      }
    });
  }

  /** Terminates every worker; running and waiting tasks fail. The pool cannot be used afterwards. */
  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.waiting.splice(0)) this.finish(t, new Error('the worker pool was closed'));
    const slots = [...this.fileSlots, ...(this.liveSlot ? [this.liveSlot] : [])];
    await Promise.all(slots.map((s) => this.retire(s, new Error('the worker pool was closed'))));
  }

  private live(): Slot {
    this.liveSlot ??= this.spawn('live');
    return this.liveSlot;
  }

  private pump(): void {
    while (this.waiting.length > 0) {
      let slot = [...this.fileSlots].find((s) => s.tasks.size === 0 && !s.retiring);
      if (!slot && this.fileSlots.size < this.fileWorkers) slot = this.spawn('file');
      if (!slot) return;
      this.start(this.waiting.shift() as Task, slot);
    }
  }

  private start(t: Task, slot: Slot): void {
    t.slot = slot;
    slot.tasks.set(t.id, t);
    if (slot.tasks.size === 1) slot.worker.ref();
    const [transfer, task] = [t.options.transfer ?? [], t.task];
    try {
      slot.worker.postMessage({ kind: 'task', id: t.id, task } satisfies ToWorker, transfer);
    } catch (err) {
      this.finish(t, err instanceof Error ? err : new Error(String(err)));
    }
  }

  private spawn(lane: Lane): Slot {
    const worker = new Worker(this.options.script, { workerData: { lane } satisfies WorkerStart, ...(this.options.resourceLimits ? { resourceLimits: this.options.resourceLimits } : {}) });
    const slot: Slot = { worker, lane, tasks: new Map(), retiring: false, requests: new AbortController() };
    worker.unref(); // referenced only while it runs tasks (see start / finish)
    worker.on('message', (msg: FromWorker) => this.onMessage(slot, msg));
    worker.on('error', (err: Error) => this.onDeath(slot, (err as NodeJS.ErrnoException).code === 'ERR_WORKER_OUT_OF_MEMORY' ? 'out of memory' : err.message));
    worker.on('exit', (code: number) => this.onDeath(slot, `exit code ${code}`));
    if (lane === 'file') this.fileSlots.add(slot);
    return slot;
  }

  private onMessage(slot: Slot, msg: FromWorker): void {
    if (msg.kind === 'request' && msg.id === 0) {
      this.answer(slot, undefined, msg.rid, msg.request);
      return;
    }
    const t = slot.tasks.get(msg.id);
    if (!t) return; // cancelled meanwhile
    switch (msg.kind) {
      case 'done': this.finish(t, undefined, msg.value); break;
      case 'failed': this.finish(t, fromWire(msg.error)); break;
      case 'event':
        try {
          t.options.onEvent?.(msg.event);
        } catch {
          // A listener's bug must not fail the task.
        }
        break;
      case 'request': this.answer(slot, t, msg.rid, msg.request); break;
    }
  }

  /** Answers request `rid` of task `t` (or of no task in particular) unless the asker is gone by then. */
  private answer(slot: Slot, t: Task | undefined, rid: number, request: unknown): void {
    const handler = this.options.onRequest;
    const signal = (t ?? slot).requests.signal;
    const stillWanted = (): boolean => !signal.aborted && !slot.retiring;
    this.pendingRequests++;
    const asked = handler
      ? Promise.resolve().then(() => handler(request, { lane: slot.lane, signal }))
      : Promise.reject(new Error('this pool answers no requests'));
    asked.then(({ value, transfer }) => {
      if (stillWanted()) slot.worker.postMessage({ kind: 'reply', rid, ok: true, value } satisfies ToWorker, transfer ?? []);
    }, (err: unknown) => {
      if (stillWanted()) slot.worker.postMessage({ kind: 'reply', rid, ok: false, error: toWire(err) } satisfies ToWorker);
    }).catch(() => undefined).finally(() => {
      this.pendingRequests--;
    });
  }

  /** The caller went away: the task fails now; its worker stops working on it. */
  private cancel(t: Task): void {
    const queued = this.waiting.indexOf(t);
    if (queued >= 0) {
      this.waiting.splice(queued, 1);
      this.finish(t, new TaskAbortedError());
      return;
    }
    const slot = t.slot;
    if (!slot || slot.tasks.get(t.id) !== t) return;
    if (slot.lane === 'file') {
      void this.retire(slot, new TaskAbortedError());
      return;
    }
    this.finish(t, new TaskAbortedError());
    slot.worker.postMessage({ kind: 'cancel', id: t.id } satisfies ToWorker);
  }

  /** Settles a task (result or error) and frees its slot. */
  private finish(t: Task, err: Error | undefined, value?: unknown): void {
    const slot = t.slot;
    if (slot) {
      slot.tasks.delete(t.id);
      if (slot.tasks.size === 0) slot.worker.unref();
    }
    if (t.onAbort) t.options.signal?.removeEventListener('abort', t.onAbort);
    t.requests.abort();
    if (err) t.reject(err);
    else t.resolve(value);
    if (slot?.lane === 'file') this.pump();
  }

  /** Terminates a worker on purpose; its tasks fail with `reason`. */
  private async retire(slot: Slot, reason: Error): Promise<void> {
    if (slot.retiring) return;
    slot.retiring = true;
    slot.requests.abort();
    this.forget(slot);
    for (const t of [...slot.tasks.values()]) this.finish(t, reason);
    await slot.worker.terminate();
  }

  private onDeath(slot: Slot, detail: string): void {
    if (slot.retiring) return;
    slot.retiring = true;
    slot.requests.abort();
    this.forget(slot);
    for (const t of [...slot.tasks.values()]) this.finish(t, new WorkerCrashedError(detail));
    void slot.worker.terminate(); // after 'error' the thread may still be winding down
    this.pump();
  }

  private forget(slot: Slot): void {
    if (slot.lane === 'file') this.fileSlots.delete(slot);
    else if (this.liveSlot === slot) this.liveSlot = undefined;
  }
}
