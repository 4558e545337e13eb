/**
 * Engines on the process-wide @tensorflow/tfjs instance: 'cpu' (pure JS), 'wasm'
 * (@tensorflow/tfjs-backend-wasm) and 'tfjs-node' (@tensorflow/tfjs-node[-gpu], optional, its tf
 * backend is called 'tensorflow'). tfjs has ONE active backend per process and moves tensors when
 * an op mixes backends, so each engine keeps its weights on its own tf backend and activates it
 * right before running ops, synchronously (see runOn).
 *
 * These engines compute on the calling thread: createBackend runs wasm and cpu in a worker thread
 * (tfjs-worker-engine.ts), and only tfjs-node here, on the main thread.
 */
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type * as TfWasm from '@tensorflow/tfjs-backend-wasm';
import { BackendUnavailableError } from '../errors';
import { FoldedUNet } from '../folded-unet';
import { UNet, assignWeights, buildUNet } from '../unet';
import type { ModelFolder, ModelWeights } from '../model-folder';
import { ENGINE_BATCH_SIZE, type BackendName, type InferenceEngine } from './types';

type TfBackendName = 'cpu' | 'wasm' | 'tensorflow';
type TfjsEngineName = Exclude<BackendName, 'onnx' | 'cuda'>;

/** What the wasm/cpu engine's worker (tfjs-worker.ts) starts from: the weights (copied), or a model folder it reads itself. */
export interface TfjsWorkerInit {
  name: 'wasm' | 'cpu';
  model: ModelWeights | ModelFolder;
}

function unavailable(message: string): BackendUnavailableError {
  return new BackendUnavailableError('BACKEND_UNAVAILABLE', message);
}

/**
 * Runs `fn` with `backend` as tf's active backend. `fn` must be synchronous: other async code may
 * switch the backend at any await, so we check after the last await and call `fn` in the same tick.
 */
async function runOn<T>(backend: TfBackendName, fn: () => T): Promise<T> {
  for (let attempt = 0; attempt < 100; attempt++) {
    if (tf.getBackend() === backend) return fn();
    if (!(await tf.setBackend(backend))) throw unavailable(`tfjs backend '${backend}' failed to initialise`);
  }
  throw new Error(`tfjs backend '${backend}' kept being switched away by concurrent code`);
}

let wasmReady: Promise<string> | undefined;

/** Registers and initialises tfjs-backend-wasm once; resolves to a description (SIMD or not). */
export function initWasm(): Promise<string> {
  wasmReady ??= (async (): Promise<string> => {
    let wasm: typeof TfWasm;
    try {
      wasm = require('@tensorflow/tfjs-backend-wasm') as typeof TfWasm;
    } catch (err) {
      throw unavailable(`@tensorflow/tfjs-backend-wasm cannot be loaded: ${(err as Error).message}`);
    }
    if (!tf.findBackendFactory('wasm')) {
      throw unavailable('@tensorflow/tfjs-backend-wasm registered itself with another copy of @tensorflow/tfjs-core (version mismatch?)');
    }
    // Under Node the .wasm files are read from disk: point at the package's dist folder by file
    // path (a URL prefix would go through fetch, which cannot read files).
    const dist = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm'));
    try {
      wasm.setWasmPaths(dist + path.sep);
    } catch {
      // Only throws once the wasm backend was initialised elsewhere in the process; use it as is.
    }
    const previous = tf.getBackend();
    if (!(await tf.setBackend('wasm'))) throw unavailable('tfjs-backend-wasm failed to initialise (see the warning above)');
    const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
    if (previous && previous !== 'wasm') await tf.setBackend(previous);
    return `tfjs-backend-wasm ${wasm.version_wasm} (${simd ? 'SIMD' : 'no SIMD'}, 1 thread)`;
  })();
  return wasmReady;
}

let tfjsNode: { pkg: string } | undefined;
let tfjsNodeError: string | undefined;

/**
 * Loads @tensorflow/tfjs-node-gpu or @tensorflow/tfjs-node (in that order) once. They register a
 * 'tensorflow' backend with the tfjs-core they import; it must be ours (same version, deduplicated
 * by npm), else their backend would live in a second tf instance we cannot use.
 */
export function loadTfjsNode(threads?: number): { pkg: string } {
  if (tfjsNode) return tfjsNode;
  if (tfjsNodeError !== undefined) throw unavailable(tfjsNodeError);
  const reasons: string[] = [];
  for (const pkg of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']) {
    try {
      require.resolve(pkg);
    } catch {
      reasons.push(`${pkg} is not installed`);
      continue;
    }
    // libtensorflow reads its thread pool sizes from the environment when it starts.
    if (threads !== undefined && process.env.TF_NUM_INTRAOP_THREADS === undefined) {
      process.env.TF_NUM_INTRAOP_THREADS = String(threads);
    }
    try {
      require(pkg);
    } catch (err) {
      reasons.push(`${pkg} failed to load: ${(err as Error).message}`);
      continue;
    }
    if (!tf.findBackendFactory('tensorflow')) {
      reasons.push(`${pkg} uses another copy of @tensorflow/tfjs-core than this package (tfjs ${tf.version.tfjs}); install a matching version`);
      continue;
    }
    tfjsNode = { pkg };
    return tfjsNode;
  }
  tfjsNodeError = reasons.join('; ');
  throw unavailable(tfjsNodeError);
}

/** A mask network living on one tf backend. */
interface MaskNet { predict(x: tf.Tensor4D): tf.Tensor4D; dispose(): void }

/** The layers model's mask head: the reference, used by cpu and tfjs-node (whose native deconv is fast). */
function layersNet(model: ModelWeights): MaskNet {
  const unet: UNet = buildUNet(model.config);
  try {
    assignWeights(unet, model.weights);
  } catch (err) {
    unet.dispose();
    throw err;
  }
  return { predict: (x) => unet.maskModel.predict(x) as tf.Tensor4D, dispose: () => unet.dispose() };
}

/** The U-Net mask head on one tf backend. */
export class TfjsEngine implements InferenceEngine {
  private net: MaskNet | undefined;
  readonly batchSize: number;

  private constructor(
    readonly name: TfjsEngineName,
    private readonly tfBackend: TfBackendName,
    net: MaskNet,
    readonly config: ModelWeights['config'],
    readonly description: string,
  ) {
    this.net = net;
    this.batchSize = ENGINE_BATCH_SIZE[name];
  }

  static async create(name: TfjsEngineName, model: ModelWeights, threads?: number): Promise<TfjsEngine> {
    let tfBackend: TfBackendName;
    let description: string;
    if (name === 'wasm') {
      description = await initWasm();
      tfBackend = 'wasm';
    } else if (name === 'tfjs-node') {
      const { pkg } = loadTfjsNode(threads);
      description = `${pkg} (libtensorflow)`;
      tfBackend = 'tensorflow';
    } else {
      description = `tfjs ${tf.version.tfjs} cpu (pure JS)`;
      tfBackend = 'cpu';
    }
    // wasm: the folded sub-pixel graph (≈ 4× faster there, see folded-unet.ts); others: the layers model.
    const net = await runOn(tfBackend, (): MaskNet => (name === 'wasm' ? FoldedUNet.create(model.config, model.weights) : layersNet(model)));
    if (name === 'wasm') description += ', folded sub-pixel graph';
    return new TfjsEngine(name, tfBackend, net, model.config, description);
  }

  async predictMask(input: Float32Array, batch: number): Promise<Float32Array> {
    const { bins, frames, channelsIn } = this.config;
    const per = bins * frames * channelsIn;
    const out = new Float32Array(batch * per);
    // cpu and wasm block their thread while they compute: one patch at a time, yielding in
    // between, keeps that thread's event loop turning. libtensorflow gains from whole batches.
    const step = this.tfBackend === 'tensorflow' ? batch : 1;
    for (let b = 0; b < batch; b += step) {
      const n = Math.min(step, batch - b);
      const result = await runOn(this.tfBackend, () => {
        const net = this.net;
        if (!net) throw new Error(`${this.name} engine is disposed`);
        return tf.tidy(() => net.predict(tf.tensor4d(input.subarray(b * per, (b + n) * per), [n, bins, frames, channelsIn])));
      });
      try {
        out.set(await result.data(), b * per);
      } finally {
        result.dispose();
      }
      if (b + n < batch) await new Promise<void>((resolve) => setImmediate(resolve));
    }
    return out;
  }

  async dispose(): Promise<void> {
    const net = this.net;
    this.net = undefined;
    // Tensors are freed by whichever backend holds them; no need to activate it.
    net?.dispose();
  }
}
