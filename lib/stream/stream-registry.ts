/**
 * The live streams of one node, by key (msg.topic by default): each key's work runs in arrival
 * order, different keys run at the same time, and a stream that has been silent for `idleMs` is
 * dropped with its state, so a source that stops without saying so does not hold memory forever.
 *
 * A key's work is one queue whatever happens to its stream: when a chunk fails (or cannot be read),
 * the stream is disposed at that point of the queue and the key's next chunk, already queued or
 * not, starts a new one. So no work ever runs on a disposed stream, and the outputs of two streams
 * of one key never interleave.
 *
 * At most `maxStreams` keys are open at once (a live stream, or work queued for one): a chunk of a
 * new key beyond that is refused (BusyError TOO_MANY_STREAMS) before anything is queued or
 * allocated for it.
 */
import { BusyError } from '../errors';

export interface Disposable {
  dispose(): void;
}

interface Entry<S> {
  /** The key's queue: settles when its last queued step has. */
  chain: Promise<unknown>;
  /** The live stream, created by the first step that needs it. */
  stream?: S;
  /** Steps queued or running. */
  busy: number;
  timer?: NodeJS.Timeout;
}

/** Thrown to work queued when the registry closed (node closing). */
export class StreamClosedError extends Error {
  constructor(key: string) {
    super(`stream '${key}' was closed`);
  }
}

export class StreamRegistry<S extends Disposable> {
  private readonly entries = new Map<string, Entry<S>>();
  private closed = false;

  constructor(private readonly options: {
    idleMs: number;
    onIdle?(key: string): void;
    /** Keys open at once; default unlimited. */
    maxStreams?: number;
    /** The error for a refused key; default a BusyError in English. */
    tooMany?(key: string, maxStreams: number): Error;
  }) {}

  /** Keys with a live stream. */
  get size(): number {
    return this.keys().length;
  }

  keys(): string[] {
    return [...this.entries].filter(([, e]) => e.stream !== undefined).map(([key]) => key);
  }

  /**
   * Runs `work` on the stream of `key` after the work already queued for it, creating the stream
   * with `create` if there is none. If `work` throws, the stream is disposed (a damaged chunk leaves
   * its signal unusable), the error goes to this caller only, and the next chunk starts a new
   * stream. With `last`, the stream is disposed after `work` (the stream ended).
   */
  run<R>(key: string, create: () => Promise<S>, work: (stream: S) => Promise<R>, options: { last?: boolean } = {}): Promise<R> {
    const max = this.options.maxStreams ?? Infinity;
    if (!this.entries.has(key) && this.entries.size >= max) {
      return Promise.reject(this.options.tooMany?.(key, max) ?? new BusyError('TOO_MANY_STREAMS', `${max} live streams are open already, the most this node takes`));
    }
    return this.enqueue(key, async (e) => {
      if (this.closed) throw new StreamClosedError(key);
      e.stream ??= await create();
      const stream = e.stream;
      let result: R;
      try {
        result = await work(stream);
      } catch (err) {
        this.disposeStream(e);
        throw err;
      }
      if (options.last) this.disposeStream(e);
      return result;
    });
  }

  /**
   * Reads a message's chunk with `parse`; if that throws, the stream of `key` is disposed after the
   * work already queued for it (a stream with a hole in it is not worth continuing: its next chunk
   * starts a new one).
   */
  parseFor<T>(key: string, parse: () => T): T {
    try {
      return parse();
    } catch (err) {
      this.discard(key);
      throw err;
    }
  }

  /** Disposes the stream of `key` once the work queued for it is done (its next chunk starts a new one). */
  discard(key: string): void {
    if (!this.entries.has(key)) return;
    void this.enqueue(key, async (e) => this.disposeStream(e)).catch(() => undefined);
  }

  /** Every stream, after its queued work has been refused (node closing). */
  async closeAll(): Promise<void> {
    this.closed = true;
    const all = [...this.entries.values()];
    await Promise.allSettled(all.map((e) => e.chain));
    for (const e of all) {
      if (e.timer) clearTimeout(e.timer);
      this.disposeStream(e);
    }
    this.entries.clear();
  }

  /** Appends a step to the key's queue; the entry goes once its queue is empty and it holds no stream. */
  private enqueue<R>(key: string, step: (e: Entry<S>) => Promise<R>): Promise<R> {
    let e = this.entries.get(key);
    if (!e) {
      e = { chain: Promise.resolve(), busy: 0 };
      this.entries.set(key, e);
    }
    const entry = e;
    entry.busy++;
    if (entry.timer) clearTimeout(entry.timer);
    entry.timer = undefined;
    const result = entry.chain.then(() => step(entry));
    entry.chain = result.then(() => undefined, () => undefined).finally(() => {
      entry.busy--;
      if (entry.busy > 0 || this.entries.get(key) !== entry) return;
      if (entry.stream === undefined) this.entries.delete(key);
      else if (!this.closed) this.arm(key, entry);
    });
    return result;
  }

  private arm(key: string, e: Entry<S>): void {
    e.timer = setTimeout(() => {
      if (this.entries.get(key) !== e || e.busy > 0) return;
      this.entries.delete(key);
      this.disposeStream(e);
      this.options.onIdle?.(key);
    }, this.options.idleMs);
    e.timer.unref();
  }

  private disposeStream(e: Entry<S>): void {
    const stream = e.stream;
    e.stream = undefined;
    stream?.dispose();
  }
}
