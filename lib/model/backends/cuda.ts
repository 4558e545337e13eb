/**
 * The cuda engine: onnxruntime-node's session on its CUDA execution provider, in the onnx engine's
 * worker thread, behind a PatchCoalescer so concurrent songs and streams share large GPU batches.
 * Before anything is loaded, cuda-probe.ts checks every piece, so a machine without one hears which.
 */
import { BackendUnavailableError, ModelError } from '../errors';
import type { ModelInfo, ModelWeights } from '../model-folder';
import { PatchCoalescer } from './coalesce';
import { CudaHost, CudaProbe, cudaProbeMessage, linkProviderLibraries, probeCuda } from './cuda-probe';
import { OnnxEngine, ensureOnnxAvailable, loadOrt } from './onnx';
import type { InferenceEngine } from './types';

/** Patches in one merged GPU run at most: 2 × the cuda batch size (≈ 2 GB of activations at 512 × 128). */
export const CUDA_MAX_MERGED_PATCHES = 128;

function unavailable(message: string): BackendUnavailableError {
  return new BackendUnavailableError('BACKEND_UNAVAILABLE', `cuda backend: ${message}`);
}

/** Throws BackendUnavailableError naming every missing piece unless the cuda engine can start. */
export function ensureCudaAvailable(host?: CudaHost): CudaProbe {
  try {
    ensureOnnxAvailable();
  } catch (err) {
    throw unavailable((err as Error).message);
  }
  const probe = probeCuda(host);
  if (!probe.available) throw unavailable(cudaProbeMessage(probe));
  return probe;
}

/** An engine whose predictMask calls go through a PatchCoalescer. */
class CoalescingEngine implements InferenceEngine {
  private readonly coalescer: PatchCoalescer;
  readonly name: InferenceEngine['name'];
  readonly config: InferenceEngine['config'];
  readonly batchSize: number;

  constructor(private readonly engine: InferenceEngine, maxPatches: number) {
    this.name = engine.name;
    this.config = engine.config;
    this.batchSize = engine.batchSize;
    const { bins, frames, channelsIn } = engine.config;
    this.coalescer = new PatchCoalescer((input, batch) => engine.predictMask(input, batch), bins * frames * channelsIn, maxPatches);
  }

  get description(): string {
    return `${this.engine.description}, merged batches up to ${this.coalescer.maxPatches} patches`;
  }

  get failure(): Error | undefined {
    return this.engine.failure;
  }

  predictMask(input: Float32Array, batch: number): Promise<Float32Array> {
    return this.coalescer.submit(input, batch);
  }

  dispose(): Promise<void> {
    return this.engine.dispose();
  }
}

/** Wraps `engine` so calls made while it runs are merged into its next run (at most `maxPatches`). */
export function coalescing(engine: InferenceEngine, maxPatches: number): InferenceEngine {
  return new CoalescingEngine(engine, maxPatches);
}

/** Starts the cuda engine; every failure is a BackendUnavailableError saying what to fix. */
export async function createCudaEngine(model: ModelWeights | ModelInfo, threads = 1): Promise<InferenceEngine> {
  const probe = ensureCudaAvailable();
  try {
    linkProviderLibraries(probe);
  } catch (err) {
    throw unavailable((err as Error).message);
  }
  let engine: OnnxEngine;
  try {
    engine = await OnnxEngine.create(model, threads, undefined, 'cuda');
  } catch (err) {
    if (err instanceof BackendUnavailableError || err instanceof ModelError) throw err;
    const ort = loadOrt().env.versions?.node ?? '?';
    throw unavailable(`onnxruntime could not start its CUDA execution provider although every library was found (${(err as Error).message}). ` +
      `The provider libraries must come from onnxruntime ${ort}, the version of onnxruntime-node; run \`vocal-split info --backends\` for what was found where`);
  }
  return coalescing(engine, CUDA_MAX_MERGED_PATCHES);
}
