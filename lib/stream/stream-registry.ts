/**
 * The live streams of one node, by key (msg.topic by default): each key's work runs in arrival
 * order, different keys run at the same time, and a stream that has been silent for `idleMs` is
 * dropped with its state, so a source that stops without saying so does not hold memory forever.
 */
export interface Disposable {
  dispose(): void;
}

interface Entry<S> {
  stream: Promise<S>;
  chain: Promise<unknown>;
  timer?: NodeJS.Timeout;
  busy: number;
}

export class StreamRegistry<S extends Disposable> {
  private readonly entries = new Map<string, Entry<S>>();

  constructor(private readonly options: { idleMs: number; onIdle?(key: string): void }) {}

  get size(): number {
    return this.entries.size;
  }

  keys(): string[] {
    return [...this.entries.keys()];
  }

  /**
   * Runs `work` on the stream of `key` after the work already queued for it, creating the stream
   * with `create` if there is none. If `work` throws, the stream is dropped (a damaged chunk leaves
   * its signal unusable) and the error goes to this caller only.
   */
  run<R>(key: string, create: () => Promise<S>, work: (stream: S) => Promise<R>, options: { last?: boolean } = {}): Promise<R> {
    let entry = this.entries.get(key);
    if (!entry) {
      const stream = create();
      stream.catch(() => undefined);
      entry = { stream, chain: Promise.resolve(), busy: 0 };
      this.entries.set(key, entry);
    }
    const e = entry;
    e.busy++;
    if (e.timer) clearTimeout(e.timer);
    e.timer = undefined;
    const result = e.chain.then(async () => work(await e.stream));
    e.chain = result.then(() => {
      if (options.last) this.drop(key, e);
    }, () => {
      this.drop(key, e);
    }).finally(() => {
      e.busy--;
      if (e.busy === 0 && this.entries.get(key) === e) this.arm(key, e);
    });
    return result;
  }

  /**
   * Reads a message's chunk with `parse`; if that throws, the stream of `key` is dropped too (a
   * stream with a hole in it is not worth continuing: its next chunk starts a new one).
   */
  parseFor<T>(key: string, parse: () => T): T {
    try {
      return parse();
    } catch (err) {
      this.discard(key);
      throw err;
    }
  }

  /** Drops the stream of `key`, if any (its next chunk starts a new one). */
  discard(key: string): void {
    const e = this.entries.get(key);
    if (e) this.drop(key, e);
  }

  /** Drops every stream (node closing). */
  async closeAll(): Promise<void> {
    const all = [...this.entries.entries()];
    for (const [key, e] of all) this.drop(key, e);
    await Promise.allSettled(all.map(([, e]) => e.chain));
  }

  private arm(key: string, e: Entry<S>): void {
    e.timer = setTimeout(() => {
      if (this.entries.get(key) !== e || e.busy > 0) return;
      this.drop(key, e);
      this.options.onIdle?.(key);
    }, this.options.idleMs);
    e.timer.unref();
  }

  private drop(key: string, e: Entry<S>): void {
    if (e.timer) clearTimeout(e.timer);
    if (this.entries.get(key) === e) this.entries.delete(key);
    e.stream.then((s) => s.dispose(), () => undefined);
  }
}
