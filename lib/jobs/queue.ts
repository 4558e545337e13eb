/**
 * A first-in, first-out job queue with a fixed number of jobs running at once, and a close that
 * aborts what runs (through one AbortSignal) and hands back what waits. Plain TypeScript: the
 * Node-RED nodes queue their messages with it, anything else may too.
 */
import { setMaxListeners } from 'node:events';
import { InvalidArgumentError } from '../errors';

/** Runs one job. It should settle once the signal aborts (at its next check) and handle its own errors. */
export type JobRunner<T> = (item: T, signal: AbortSignal) => Promise<void>;

export interface CloseResult {
  /** Jobs that were running and were told to abort (they have settled when close resolves). */
  aborted: number;
  /** Jobs that were waiting and never started. */
  dropped: number;
}

export const MAX_CONCURRENCY = 64;

export class JobQueue<T> {
  private readonly waitingItems: T[] = [];
  private readonly active = new Set<Promise<void>>();
  private readonly controller = new AbortController();
  private closed = false;

  /**
   * @param concurrency jobs run at once, an integer in 1..MAX_CONCURRENCY
   * @param runner runs one job; a rejection is passed to `onError` (default: ignored) and the queue goes on
   * @param onChange called whenever a job starts or ends (to update a status)
   */
  constructor(
    readonly concurrency: number,
    private readonly runner: JobRunner<T>,
    private readonly onChange: () => void = () => {},
    private readonly onError: (err: unknown, item: T) => void = () => {},
  ) {
    if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > MAX_CONCURRENCY) {
      throw new InvalidArgumentError('BAD_CONCURRENCY', `concurrency must be an integer in 1..${MAX_CONCURRENCY}, got ${String(concurrency)}`);
    }
    // Every running job listens on the one signal (up to MAX_CONCURRENCY of them): not a leak.
    setMaxListeners(MAX_CONCURRENCY * 4, this.controller.signal);
  }

  /** Jobs running now. */
  get running(): number {
    return this.active.size;
  }

  /** Jobs waiting for a free slot. */
  get waiting(): number {
    return this.waitingItems.length;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Queues a job; false (and nothing queued) once the queue is closed. */
  push(item: T): boolean {
    if (this.closed) return false;
    this.waitingItems.push(item);
    this.pump();
    this.onChange();
    return true;
  }

  /**
   * Stops the queue: waiting jobs are handed to `drop` (in order) and never run, running jobs are
   * aborted through their signal; resolves once every running job has settled.
   */
  async close(drop: (item: T) => void = () => {}): Promise<CloseResult> {
    const dropped = this.closed ? [] : this.waitingItems.splice(0);
    this.closed = true;
    const aborted = this.active.size;
    this.controller.abort();
    for (const item of dropped) {
      try {
        drop(item);
      } catch (err) {
        this.onError(err, item);
      }
    }
    await Promise.allSettled([...this.active]);
    return { aborted, dropped: dropped.length };
  }

  private pump(): void {
    while (!this.closed && this.active.size < this.concurrency && this.waitingItems.length > 0) {
      const item = this.waitingItems.shift() as T;
      const job: Promise<void> = Promise.resolve()
        .then(() => this.runner(item, this.controller.signal))
        .catch((err: unknown) => this.onError(err, item))
        .finally(() => {
          this.active.delete(job);
          this.pump();
          this.onChange();
        });
      this.active.add(job);
    }
  }
}
