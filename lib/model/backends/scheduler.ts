/**
 * The order in which one inference engine serves its callers. Live streams go first: a patch of a
 * stream waits at most for the runs already handed to the engine, never behind the queue of a
 * whole song's batches. A request whose caller went away (its signal aborted) leaves the queue at
 * once, so the engine is idle again after the run in progress.
 *
 * The engine gets at most `maxInFlight` runs at a time: 2 for the engines in a worker thread (onnx,
 * wasm, cpu: one computing, one waiting there so the worker never idles), 16 for cuda (its coalescer
 * merges what waits into one GPU batch), 1 for tfjs-node (it computes on the calling thread).
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

const IN_FLIGHT: Partial<Record<InferenceEngine['name'], number>> = { onnx: 2, wasm: 2, cpu: 2, cuda: 16 };

export class InferenceScheduler {
  private readonly live: Request[] = [];
  private readonly file: Request[] = [];
  private inFlight = 0;

  constructor(private readonly engine: InferenceEngine, private readonly maxInFlight = IN_FLIGHT[engine.name] ?? 1) {}

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
      this.pump();
    });
  }

  private pump(): void {
    while (this.inFlight < this.maxInFlight) {
      const r = this.live.shift() ?? this.file.shift();
      if (!r) return;
      if (r.onAbort) r.signal?.removeEventListener('abort', r.onAbort);
      this.inFlight++;
      let run: Promise<Float32Array>;
      try {
        run = this.engine.predictMask(r.input, r.batch);
      } catch (err) {
        run = Promise.reject(err);
      }
      run.then(r.resolve, r.reject).finally(() => {
        this.inFlight--;
        this.pump();
      });
    }
  }
}
