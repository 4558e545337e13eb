/**
 * models/<name>/model.json + weights.bin in the tfjs layers format, written with node fs (no
 * tfjs-node); reading is model-folder.ts's (no tfjs at all). The net is always rebuilt from
 * userDefinedMetadata.vocalSplit.config; weights are matched by name, so the PyTorch trainer may omit
 * modelTopology and order weights as it likes.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { UNetConfig, expectedWeights, validateUNetConfig } from './config';
import { ModelError } from './errors';
import { encodeFloat16 } from './fp16';
import { LoadedModel, MODEL_JSON, ManifestWeight, ModelWeights, VocalSplitMetadata, WEIGHTS_BIN, readModel } from './model-folder';
import { DEFAULT_FRAMING, ModelFraming, validateModelFraming } from './signal-framing';
import { UNet, buildUNet, extractWeights } from './unet';
import { WeightMap, checkWeights } from './weight-map';

export interface SaveOptions {
  /** Store weights as float16 (half the size; about 3 significant digits). */
  fp16?: boolean;
  /** Include model.toJSON() (default: true when saving a UNet, false for plain weights). */
  topology?: boolean;
  /** Extra fields merged into userDefinedMetadata.vocalSplit (e.g. training info). */
  metadata?: Record<string, unknown>;
  /** The `stft` block written (the framing the weights were trained on); default the source's framing, else DEFAULT_FRAMING. */
  framing?: ModelFraming;
}

/** model.toJSON() of the net a config describes (built on the current backend, then freed). */
export async function unetTopology(config: UNetConfig): Promise<unknown> {
  await tf.ready();
  const unet = buildUNet(config);
  try {
    return unet.model.toJSON(null, false);
  } finally {
    unet.dispose();
  }
}

/**
 * Writes model.json + weights.bin into `dir` (created if needed). Accepts a built UNet (its current
 * weights are saved) or plain weights. Returns the path of model.json.
 */
export async function saveModel(dir: string, source: UNet | ModelWeights, options: SaveOptions = {}): Promise<string> {
  const isUNet = 'model' in source;
  const config = validateUNetConfig(source.config);
  const weights = isUNet ? extractWeights(source.model) : source.weights;
  const absDir = path.resolve(dir);
  const jsonPath = path.join(absDir, MODEL_JSON);
  checkWeights(config, weights, `saveModel(${jsonPath})`);
  const topology = (options.topology ?? isUNet)
    ? (isUNet ? source.model.toJSON(null, false) : await unetTopology(config))
    : undefined;

  const specs: ManifestWeight[] = [];
  const chunks: Uint8Array[] = [];
  for (const { name, shape } of expectedWeights(config)) {
    const w = weights.get(name);
    if (!w) throw new ModelError('MODEL_WEIGHT_MISSING', `saveModel(${jsonPath}): weight '${name}' is missing`);
    if (options.fp16) {
      specs.push({ name, shape, dtype: 'float32', quantization: { dtype: 'float16' } });
      chunks.push(encodeFloat16(w.data));
    } else {
      specs.push({ name, shape, dtype: 'float32' });
      chunks.push(new Uint8Array(w.data.buffer, w.data.byteOffset, w.data.byteLength));
    }
  }
  const metadata: VocalSplitMetadata = {
    ...(options.metadata ?? {}),
    architecture: 'jansson-unet', config, inputNormalization: 'patch-max',
    stft: validateModelFraming(options.framing ?? ('framing' in source ? source.framing : undefined) ?? DEFAULT_FRAMING, config),
  };
  const modelJson: Record<string, unknown> = {
    format: 'layers-model',
    generatedBy: `TensorFlow.js tfjs-layers v${tf.version_layers}`,
    convertedBy: null,
    ...(topology !== undefined ? { modelTopology: topology } : {}),
    userDefinedMetadata: { vocalSplit: metadata },
    weightsManifest: [{ paths: [WEIGHTS_BIN], weights: specs }],
  };
  await fs.promises.mkdir(absDir, { recursive: true });
  await fs.promises.writeFile(path.join(absDir, WEIGHTS_BIN), Buffer.concat(chunks));
  // model.json last, so a crash never leaves a manifest pointing at missing weights.
  await fs.promises.writeFile(jsonPath, `${JSON.stringify(modelJson, null, 1)}\n`);
  return jsonPath;
}

/** Small deterministic PRNG (mulberry32), so random test models are reproducible. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Random weights for a config, without tfjs: glorot-uniform kernels, small random biases and
 * non-trivial BN parameters and moving statistics (so that BN folding is really exercised).
 */
export function randomWeights(config: UNetConfig, seed = 1): ModelWeights {
  const cfg = validateUNetConfig(config);
  const rand = mulberry32(seed);
  const uniform = (n: number, lo: number, hi: number): Float32Array => {
    const a = new Float32Array(n);
    for (let i = 0; i < n; i++) a[i] = lo + (hi - lo) * rand();
    return a;
  };
  const weights: WeightMap = new Map();
  for (const { name, shape } of expectedWeights(cfg)) {
    const n = shape.reduce((a, b) => a * b, 1);
    let data: Float32Array;
    if (name.endsWith('/kernel')) {
      const [kh, kw, a, b] = shape;
      const limit = Math.sqrt(6 / (kh * kw * (a + b)));
      data = uniform(n, -limit, limit);
    } else if (name.endsWith('/bias')) data = uniform(n, -0.05, 0.05);
    else if (name.endsWith('/gamma')) data = uniform(n, 0.7, 1.3);
    else if (name.endsWith('/beta')) data = uniform(n, -0.1, 0.1);
    else if (name.endsWith('/moving_mean')) data = uniform(n, -0.2, 0.2);
    else data = uniform(n, 0.3, 2.0); // moving_variance
    weights.set(name, { shape: shape.slice(), data });
  }
  return { config: cfg, weights };
}

/** Creates, saves and returns a randomly initialised model (for tests and benchmarks). */
export async function createRandomModel(
  dir: string, config: UNetConfig, options: SaveOptions & { seed?: number } = {},
): Promise<LoadedModel> {
  await saveModel(dir, randomWeights(config, options.seed ?? 1), options);
  return readModel(dir);
}
