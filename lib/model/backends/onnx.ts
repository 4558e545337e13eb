/**
 * onnxruntime-node engine. The package is an optional dependency: it is required lazily, and only
 * the few API members used here are typed locally, so this compiles and runs without it.
 */
import { BackendUnavailableError } from '../errors';
import { buildUNetOnnx, ONNX_INPUT, ONNX_OUTPUT } from '../onnx/graph';
import type { ModelWeights } from '../weights-io';
import type { MaskEngine } from './types';

interface OrtTensor { readonly data: unknown; readonly dims: readonly number[]; readonly type: string }
interface OrtSessionOptions {
  intraOpNumThreads?: number;
  interOpNumThreads?: number;
  executionMode?: 'sequential' | 'parallel';
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
  executionProviders?: readonly string[];
}
interface OrtSession {
  run(feeds: Record<string, OrtTensor>): Promise<Record<string, OrtTensor>>;
  release(): Promise<void>;
}
interface OrtModule {
  InferenceSession: { create(model: Uint8Array, options?: OrtSessionOptions): Promise<OrtSession> };
  Tensor: new (type: 'float32', data: Float32Array, dims: readonly number[]) => OrtTensor;
  env: { versions?: { node?: string; common?: string } };
}

let ortModule: OrtModule | undefined;
let ortError: string | undefined;

/** The onnxruntime-node module, or a BackendUnavailableError saying why not. */
export function loadOrt(): OrtModule {
  if (ortModule) return ortModule;
  if (ortError === undefined) {
    try {
      ortModule = require('onnxruntime-node') as OrtModule;
      return ortModule;
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      ortError = e.code === 'MODULE_NOT_FOUND' && /onnxruntime-node/.test(e.message)
        ? 'onnxruntime-node is not installed (npm install onnxruntime-node)'
        : `onnxruntime-node failed to load: ${e.message}`;
    }
  }
  throw new BackendUnavailableError('BACKEND_UNAVAILABLE', ortError);
}

export class OnnxEngine implements MaskEngine {
  readonly name = 'onnx' as const;
  private constructor(
    private readonly ort: OrtModule,
    private session: OrtSession | undefined,
    readonly config: ModelWeights['config'],
    readonly description: string,
    private readonly cpuOnly: boolean,
  ) {}

  static async create(model: ModelWeights, threads?: number, executionProviders?: string[]): Promise<OnnxEngine> {
    const ort = loadOrt();
    const bytes = buildUNetOnnx(model.config, model.weights);
    const providers = executionProviders && executionProviders.length ? executionProviders : ['cpu'];
    const session = await ort.InferenceSession.create(bytes, {
      // The U-Net is a chain: parallelism comes from within each op, not between ops.
      executionMode: 'sequential',
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
      executionProviders: providers,
      ...(threads !== undefined ? { intraOpNumThreads: threads } : {}),
    });
    const version = ort.env.versions?.node ?? ort.env.versions?.common ?? '?';
    const desc = `onnxruntime-node ${version} (${providers.join(', ')}, ${threads ?? 'default'} thread${threads === 1 ? '' : 's'})`;
    return new OnnxEngine(ort, session, model.config, desc, providers.every((p) => p === 'cpu'));
  }

  async predictMask(input: Float32Array, batch: number): Promise<Float32Array> {
    const { bins, frames, channelsIn } = this.config;
    const per = bins * frames * channelsIn;
    // onnxruntime-node runs a session on the main thread (run() only defers it to setImmediate), so
    // a big batch would block the event loop. On CPU a batch is no faster per patch than single
    // patches, so run one patch at a time there; GPU providers get the whole batch.
    const step = this.cpuOnly ? 1 : batch;
    if (step === batch) return this.runChunk(input, batch);
    const out = new Float32Array(batch * per);
    for (let b = 0; b < batch; b += step) {
      const n = Math.min(step, batch - b);
      out.set(await this.runChunk(input.subarray(b * per, (b + n) * per), n), b * per);
    }
    return out;
  }

  private async runChunk(input: Float32Array, batch: number): Promise<Float32Array> {
    if (!this.session) throw new Error('onnx engine is disposed');
    const { bins, frames, channelsIn } = this.config;
    const result = await this.session.run({
      [ONNX_INPUT]: new this.ort.Tensor('float32', input, [batch, bins, frames, channelsIn]),
    });
    const data = result[ONNX_OUTPUT]?.data;
    if (!(data instanceof Float32Array) || data.length !== input.length) {
      throw new Error(`onnxruntime returned an unexpected '${ONNX_OUTPUT}' output`);
    }
    return data;
  }

  async dispose(): Promise<void> {
    const s = this.session;
    this.session = undefined;
    if (s) await s.release();
  }
}
