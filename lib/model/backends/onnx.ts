/**
 * onnxruntime-node engine. onnxruntime-node runs a session on the calling thread (its async run()
 * only defers the work to setImmediate), so the session lives in a worker_threads Worker
 * (onnx-worker.ts, hosted as worker-engine.ts says). Given a model folder, the worker reads its
 * weights and builds the ONNX graph itself, so loading a model (at every deploy) does not pause the
 * main thread; given weights in memory, the main thread builds the graph and hands it over.
 * Its dispose() never terminates the worker in the middle of a run (see WorkerEngine).
 *
 * onnxruntime-node is an optional dependency, required lazily (see onnx-ort.ts).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BackendUnavailableError } from '../errors';
import { buildUNetOnnx, ONNX_INPUT, ONNX_OUTPUT } from '../onnx/graph';
import type { ModelInfo, ModelWeights } from '../model-folder';
import { OnnxInit, OrtSessionOptions, loadOrt } from './onnx-ort';
import { WorkerEngine } from './worker-engine';

export { loadOrt } from './onnx-ort';

/** The compiled worker script, next to this file (dist/lib/model/backends/onnx-worker.js). */
export const ONNX_WORKER_SCRIPT = path.join(__dirname, 'onnx-worker.js');

/** Throws BackendUnavailableError unless the onnx engine can start here (package and worker script). */
export function ensureOnnxAvailable(): void {
  loadOrt();
  if (!fs.existsSync(ONNX_WORKER_SCRIPT)) {
    throw new BackendUnavailableError('BACKEND_UNAVAILABLE', `the onnx worker script is missing: ${ONNX_WORKER_SCRIPT} (run the build)`);
  }
}

/** The engines onnxruntime-node runs: on the CPU, or with the CUDA execution provider. */
export type OnnxEngineName = 'onnx' | 'cuda';

export class OnnxEngine extends WorkerEngine<OnnxInit> {
  declare readonly name: OnnxEngineName;
  private version = '?';

  private constructor(name: OnnxEngineName, config: ModelInfo['config'], private readonly providers: readonly string[], private readonly threads: number | undefined) {
    super(name, ONNX_WORKER_SCRIPT, config, { engine: 'onnx', runtime: 'onnxruntime' });
  }

  get description(): string {
    return this.describe(1);
  }

  /** This engine's description for `sessions` like it, side by side (onnx-replicas.ts). */
  describe(sessions: number): string {
    const t = this.threads;
    const threads = `${t ?? 'default'} thread${t === 1 ? '' : 's'}`;
    const where = sessions === 1 ? `${threads}, worker thread` : `${sessions} sessions of ${threads}, each in its worker thread`;
    return `onnxruntime-node ${this.version} (${this.providers.join(', ')}, ${where})`;
  }

  /**
   * `model`: weights in memory, or a model folder (readModelInfo) whose weights the worker reads; a
   * ModelError the worker meets there is thrown as it is.
   * `name` 'cuda' runs the session on the CUDA execution provider (ops it lacks stay on the CPU);
   * the caller checks beforehand that its libraries are there (cuda.ts).
   */
  static async create(model: ModelWeights | ModelInfo, threads?: number, executionProviders?: string[], name: OnnxEngineName = 'onnx', onnxBytes?: Uint8Array): Promise<OnnxEngine> {
    return (await OnnxEngine.launch(model, threads, executionProviders, name, onnxBytes, false)).engine;
  }

  /**
   * One session of a model folder whose worker also sends back the graph it built, so that other
   * sessions of the model start from copies of it instead of reading and converting the folder again.
   */
  static async createReturningGraph(model: ModelInfo, threads?: number, executionProviders?: string[]): Promise<{ engine: OnnxEngine; graph: Uint8Array }> {
    const { engine, graph } = await OnnxEngine.launch(model, threads, executionProviders, 'onnx', undefined, true);
    if (!graph) {
      await engine.dispose();
      throw new Error('the onnx worker did not send back the graph it built');
    }
    return { engine, graph };
  }

  private static async launch(model: ModelWeights | ModelInfo, threads: number | undefined, executionProviders: string[] | undefined, name: OnnxEngineName,
    onnxBytes: Uint8Array | undefined, returnGraph: boolean): Promise<{ engine: OnnxEngine; graph?: Uint8Array }> {
    ensureOnnxAvailable();
    // `onnxBytes`: the model already serialised (its buffer moves to the worker), for several sessions of one model.
    const graph: OnnxInit['model'] = onnxBytes ?? ('weights' in model ? buildUNetOnnx(model.config, model.weights) : { dir: model.dir, config: model.config });
    const providers = name === 'cuda' ? ['cuda', 'cpu'] : executionProviders && executionProviders.length ? [...executionProviders] : ['cpu'];
    const options: OrtSessionOptions = {
      // The U-Net is a chain: parallelism comes from within each op, not between ops.
      executionMode: 'sequential',
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
      executionProviders: providers,
      ...(threads !== undefined ? { intraOpNumThreads: threads } : {}),
    };
    const { bins, frames, channelsIn } = model.config;
    const engine = new OnnxEngine(name, model.config, providers, threads);
    const transfer = graph instanceof Uint8Array ? [graph.buffer as ArrayBuffer] : [];
    const ready = await engine.start({ model: graph, returnGraph, options, inputName: ONNX_INPUT, outputName: ONNX_OUTPUT, dims: [bins, frames, channelsIn] }, transfer);
    engine.version = ready.info;
    return { engine, graph: ready.graph };
  }
}
