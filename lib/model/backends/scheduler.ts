/**
 * The order in which one inference engine serves its callers. Live streams go first: a patch of a
 * stream waits at most for the runs already handed to the engine, never behind the queue of a
 * whole song's batches. A request whose caller went away (its signal aborted) leaves the queue at
 * once, so the engine is idle again after the run in progress.
 *
 * The engine gets at most `maxInFlight` runs at a time: for onnx one per session plus one waiting
 * (so no session idles between runs), 2 for wasm and cpu (one computing in their worker thread, one
 * waiting there), 16 for cuda (its coalescer merges what waits into one GPU batch), 1 for tfjs-node
 * (it computes on the calling thread).
 *
 * Reserved capacity: an engine of several sessions keeps one of them for live streams while they
 * run (a live request seen within LIVE_WINDOW_MS): files then get at most parallelRuns − 1 runs at
 * a time, so a stream's patch starts at once instead of behind a file's batch.
 */
import { VocalSplitError } from '../../errors';
import type { InferenceEngine, PredictOptions } from './types';

interface Request {
  input: Float32Array;
  batch: number;
  resolve(mask: Float32Array): void;
  reject(err: unknown): void;
  signal?: AbortSignal;
  onAbort?: () => void;
}

/** How long after a live request its streams count as running (they ask several times a second). */
export const LIVE_WINDOW_MS = 1000;

function defaultInFlight(engine: InferenceEngine): number {
  if (engine.name === 'cuda') return 16;
  if (engine.name === 'onnx') return (engine.parallelRuns ?? 1) + 1;
  // wasm and cpu compute in their worker thread: one computing, one waiting there.
  if (engine.name === 'wasm' || engine.name === 'cpu') return 2;
  return 1;
}

export class InferenceScheduler {
  private readonly live: Request[] = [];
  private readonly file: Request[] = [];
  private inFlight = 0;
  private fileInFlight = 0;
  private lastLive = -Infinity;
  private liveTimer: NodeJS.Timeout | undefined;

  constructor(private readonly engine: InferenceEngine, private readonly maxInFlight = defaultInFlight(engine), private readonly liveWindowMs = LIVE_WINDOW_MS) {}

  /** Requests queued or running. */
  get pending(): number {
    return this.live.length + this.file.length + this.inFlight;
  }

  predictMask(input: Float32Array, batch: number, options: PredictOptions = {}): Promise<Float32Array> {
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(new VocalSplitError('ABORTED', 'the inference request was cancelled'));
    return new Promise<Float32Array>((resolve, reject) => {
      const queue = options.priority === 'live' ? this.live : this.file;
      const r: Request = { input, batch, resolve, reject, signal };
      if (signal) {
        r.onAbort = () => {
          const i = queue.indexOf(r);
          if (i < 0) return; // running: it finishes, and its caller ignores the result
          queue.splice(i, 1);
          reject(new VocalSplitError('ABORTED', 'the inference request was cancelled'));
        };
        signal.addEventListener('abort', r.onAbort, { once: true });
      }
      queue.push(r);
      if (queue === this.live) this.lastLive = performance.now();
      this.pump();
    });
  }

  /** Runs files may have at a time: all but one of the engine's parallel runs while live streams run. */
  private fileLimit(): number {
    const runs = this.engine.parallelRuns ?? 1;
    if (runs < 2) return this.maxInFlight;
    const quiet = performance.now() - this.lastLive;
    if (quiet >= this.liveWindowMs) return this.maxInFlight;
    // Look again when the window closes, so waiting file runs are not left until the next request.
    if (!this.liveTimer && this.file.length > 0) {
      this.liveTimer = setTimeout(() => { this.liveTimer = undefined; this.pump(); }, this.liveWindowMs - quiet + 1);
      this.liveTimer.unref();
    }
    return runs - 1;
  }

  private pump(): void {
    while (this.inFlight < this.maxInFlight) {
      const fromLive = this.live.length > 0;
      if (!fromLive && (this.file.length === 0 || this.fileInFlight >= this.fileLimit())) return;
      const r = (fromLive ? this.live.shift() : this.file.shift()) as Request;
      if (r.onAbort) r.signal?.removeEventListener('abort', r.onAbort);
      this.inFlight++;
      if (!fromLive) this.fileInFlight++;
      let run: Promise<Float32Array>;
      try {
        run = this.engine.predictMask(r.input, r.batch);
      } catch (err) {
        run = Promise.reject(err);
      }
      run.then(r.resolve, r.reject).finally(() => {
        this.inFlight--;
        if (!fromLive) this.fileInFlight--;
        this.pump();
      });
    }
  }
}
