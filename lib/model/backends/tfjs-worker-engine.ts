/**
 * The tfjs 'wasm' and 'cpu' engines, hosted in a worker thread (tfjs-worker.ts). Both compute
 * synchronously on the thread that calls them, so on the main thread every patch would stall
 * Node-RED's event loop (tens to hundreds of milliseconds); in a worker the loop stays free, and
 * each worker has its own tfjs instance, so no other code switches its backend under it.
 * tfjs-node stays on the main thread (tfjs.ts): libtensorflow is a native addon loaded once per process.
 */
import * as path from 'node:path';
import type { ModelInfo, ModelWeights } from '../model-folder';
import type { TfjsWorkerInit } from './tfjs';
import { WorkerEngine } from './worker-engine';

/** The compiled worker script, next to this file (dist/lib/model/backends/tfjs-worker.js). */
export const TFJS_WORKER_SCRIPT = path.join(__dirname, 'tfjs-worker.js');

export class TfjsWorkerEngine extends WorkerEngine<TfjsWorkerInit> {
  declare readonly name: TfjsWorkerInit['name'];
  private info = '';

  private constructor(name: TfjsWorkerInit['name'], config: ModelInfo['config']) {
    super(name, TFJS_WORKER_SCRIPT, config, { engine: name, runtime: 'tfjs' });
  }

  get description(): string {
    return `${this.info}, worker thread`;
  }

  /**
   * Weights in memory are copied to the worker (the caller's stay usable); a model folder
   * (readModelInfo) is read by the worker, and a ModelError it meets there is thrown as it is.
   */
  static async create(name: TfjsWorkerInit['name'], model: ModelWeights | ModelInfo): Promise<TfjsWorkerEngine> {
    const engine = new TfjsWorkerEngine(name, model.config);
    const init: TfjsWorkerInit['model'] = 'weights' in model ? { config: model.config, weights: model.weights } : { dir: model.dir, config: model.config };
    engine.info = (await engine.start({ name, model: init })).info;
    return engine;
  }
}
