/**
 * One queue in front of a mask engine: calls made while it is busy are sent together as its next
 * run, up to a cap of patches. On a GPU that is what makes several songs and live streams share one
 * large batch; for live streams it also means fewer, larger calls on any engine (lib/stream's batcher).
 */
import { InvalidArgumentError } from '../../errors';

type RunMasks = (input: Float32Array, batch: number) => Promise<Float32Array>;

interface Request {
  input: Float32Array;
  batch: number;
  signal?: AbortSignal;
  resolve(mask: Float32Array): void;
  reject(err: unknown): void;
}

export class PatchCoalescer {
  private readonly queue: Request[] = [];
  private running = false;

  /**
   * `run` computes the masks of `batch` patches of `patchSize` values each; one run at a time.
   * `maxPatches` caps a merged run (a single call larger than the cap still runs, alone).
   */
  constructor(private readonly run: RunMasks, readonly patchSize: number, readonly maxPatches: number) {
    if (!Number.isInteger(maxPatches) || maxPatches < 1) throw new InvalidArgumentError('BAD_BATCH', `maxPatches must be a positive integer, got ${maxPatches}`);
  }

  /**
   * The masks of `batch` patches (`input` holds batch × patchSize values), from the next run that has
   * room. A call whose `signal` aborts before its run starts is dropped (rejected), so a closed
   * stream costs no more inference.
   */
  submit(input: Float32Array, batch: number, signal?: AbortSignal): Promise<Float32Array> {
    if (input.length !== batch * this.patchSize) {
      return Promise.reject(new InvalidArgumentError('INVALID_INPUT', `expected ${batch} patches of ${this.patchSize} values, got ${input.length} values`));
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ input, batch, resolve, reject, signal });
      if (!this.running) void this.pump();
    });
  }

  /** Calls waiting for a run (for tests and diagnostics). */
  get waiting(): number {
    return this.queue.length;
  }

  private takeRun(): Request[] {
    const taken = [this.queue.shift() as Request];
    let patches = taken[0].batch;
    while (this.queue.length > 0 && patches + this.queue[0].batch <= this.maxPatches) {
      const next = this.queue.shift() as Request;
      patches += next.batch;
      taken.push(next);
    }
    return taken;
  }

  private async pump(): Promise<void> {
    this.running = true;
    try {
      while (this.queue.length > 0) {
        const head = this.queue[0];
        if (head.signal?.aborted) {
          this.queue.shift();
          head.reject(new Error('the request was cancelled'));
          continue;
        }
        const run = this.takeRun();
        const patches = run.reduce((n, r) => n + r.batch, 0);
        let input = run[0].input;
        if (run.length > 1) {
          input = new Float32Array(patches * this.patchSize);
          let at = 0;
          for (const r of run) {
            input.set(r.input, at);
            at += r.input.length;
          }
        }
        try {
          const masks = await this.run(input, patches);
          if (run.length === 1) {
            run[0].resolve(masks);
          } else {
            // Copies, not views: each caller owns its array (and may transfer its buffer).
            let at = 0;
            for (const r of run) {
              r.resolve(masks.slice(at, at + r.input.length));
              at += r.input.length;
            }
          }
        } catch (err) {
          for (const r of run) r.reject(err);
        }
      }
    } finally {
      this.running = false;
    }
  }
}
