/**
 * The onnx engine as several sessions side by side, each an OnnxEngine (its own worker thread) with
 * one intra-op thread. A batch goes to the session with the fewest runs in hand, so on a machine of
 * n cores up to n batches are computed at once, and a live stream's patch never waits behind more
 * than one batch (the scheduler keeps a session free for live streams while they run).
 */
import { buildUNetOnnx } from '../onnx/graph';
import type { ModelInfo, ModelWeights } from '../model-folder';
import { OnnxEngine } from './onnx';
import type { InferenceEngine } from './types';

export class OnnxReplicas implements InferenceEngine {
  readonly name = 'onnx' as const;
  readonly config: ModelInfo['config'];
  readonly batchSize: number;
  readonly parallelRuns: number;
  /** Runs handed to each session and not answered yet. */
  private readonly load: number[];

  private constructor(private readonly sessions: OnnxEngine[]) {
    this.config = sessions[0].config;
    this.batchSize = sessions[0].batchSize;
    this.parallelRuns = sessions.length;
    this.load = sessions.map(() => 0);
  }

  /**
   * Starts `count` sessions of one thread each; if any cannot start, the others are disposed and its
   * error is thrown. The graph is serialised once (hundreds of milliseconds of CPU) and each session's
   * worker gets a copy: for a model folder, the first session's worker reads and serialises it and
   * sends the graph back (the main thread only copies it); for weights in memory, it is made here.
   */
  static async create(model: ModelWeights | ModelInfo, count: number, executionProviders?: string[]): Promise<OnnxReplicas> {
    const first: OnnxEngine[] = [];
    let bytes: Uint8Array;
    if ('weights' in model) {
      bytes = buildUNetOnnx(model.config, model.weights);
    } else {
      const started = await OnnxEngine.createReturningGraph(model, 1, executionProviders);
      first.push(started.engine);
      bytes = started.graph;
    }
    const rest = count - first.length;
    const started = await Promise.allSettled(Array.from({ length: rest }, (_, i) =>
      OnnxEngine.create(model, 1, executionProviders, 'onnx', i === rest - 1 ? bytes : bytes.slice())));
    const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    const sessions = [...first, ...started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []))];
    if (failed) {
      await Promise.all(sessions.map((s) => s.dispose()));
      throw failed.reason;
    }
    return new OnnxReplicas(sessions);
  }

  get description(): string {
    return this.sessions[0].describe(this.sessions.length);
  }

  /** Why the engine cannot run any more (a session's worker crashed), else undefined. */
  get failure(): Error | undefined {
    return this.sessions.find((s) => s.failure)?.failure;
  }

  predictMask(input: Float32Array, batch: number): Promise<Float32Array> {
    let pick = 0;
    for (let i = 1; i < this.load.length; i++) if (this.load[i] < this.load[pick]) pick = i;
    this.load[pick]++;
    const run = this.sessions[pick].predictMask(input, batch);
    const done = (): void => { this.load[pick]--; };
    run.then(done, done);
    return run;
  }

  async dispose(): Promise<void> {
    await Promise.all(this.sessions.map((s) => s.dispose()));
  }
}
