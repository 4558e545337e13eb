/**
 * models/<name>/model.json + weights.bin in the tfjs layers format, read and written with node fs
 * (no tfjs-node). The net is always rebuilt from userDefinedMetadata.vocalSplit.config; weights are
 * matched by name, so the PyTorch trainer may omit modelTopology and order weights as it likes.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { UNetConfig, expectedWeights, validateUNetConfig } from './config';
import { ModelError } from './errors';
import { decodeFloat16, encodeFloat16 } from './fp16';
import { DEFAULT_FRAMING, ModelFraming, validateModelFraming } from './signal-framing';
import { UNet, WeightMap, buildUNet, checkWeights, extractWeights } from './unet';

export const MODEL_JSON = 'model.json';
export const WEIGHTS_BIN = 'weights.bin';

/** userDefinedMetadata.vocalSplit of a model.json. */
export interface VocalSplitMetadata {
  architecture: 'jansson-unet';
  config: UNetConfig;
  /** Each patch (and channel) divided by its own max (+1e-8) by the caller. */
  inputNormalization: 'patch-max';
  /** The framing the model was trained on (signal-framing.ts); DEFAULT_FRAMING when model.json has none. */
  stft: ModelFraming;
  [extra: string]: unknown;
}

/** A model read from disk: everything a backend needs, as plain data. */
export interface LoadedModel {
  /** Absolute folder path. */
  readonly dir: string;
  readonly config: UNetConfig;
  readonly weights: WeightMap;
  readonly framing: ModelFraming;
  readonly metadata: VocalSplitMetadata;
}

/** A model held in memory only (tests, benchmarks, a freshly trained net). */
export interface ModelWeights {
  readonly config: UNetConfig;
  readonly weights: WeightMap;
  /** The framing it was trained on; DEFAULT_FRAMING if not given. */
  readonly framing?: ModelFraming;
}

interface ManifestWeight {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: { dtype: string; min?: number; scale?: number };
}
interface ManifestGroup { paths: string[]; weights: ManifestWeight[] }

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

function corrupt(file: string, why: string): ModelError {
  return new ModelError('MODEL_CORRUPT', `${file}: ${why}`);
}

function parseManifest(raw: unknown, file: string): ManifestGroup[] {
  if (!Array.isArray(raw) || raw.length === 0) throw corrupt(file, 'weightsManifest must be a non-empty array');
  return raw.map((g: unknown, gi): ManifestGroup => {
    const group = g as Partial<ManifestGroup> | null;
    if (!group || !Array.isArray(group.paths) || !Array.isArray(group.weights)
      || !group.paths.every((p) => typeof p === 'string')) {
      throw corrupt(file, `weightsManifest[${gi}] needs "paths" (strings) and "weights"`);
    }
    for (const w of group.weights as unknown[]) {
      const spec = w as Partial<ManifestWeight> | null;
      if (!spec || typeof spec.name !== 'string' || !Array.isArray(spec.shape)
        || !spec.shape.every((d) => Number.isInteger(d) && d >= 0) || typeof spec.dtype !== 'string') {
        throw corrupt(file, `weightsManifest[${gi}] has a malformed weight entry ${JSON.stringify(w)}`);
      }
    }
    return group as ManifestGroup;
  });
}

/** Decodes one manifest group's bytes (its shards concatenated) into plain float32 arrays. */
function decodeGroup(group: ManifestGroup, bytes: Uint8Array, file: string, out: WeightMap): void {
  let offset = 0;
  for (const spec of group.weights) {
    const count = spec.shape.reduce((a, b) => a * b, 1);
    if (spec.dtype !== 'float32') throw corrupt(file, `weight '${spec.name}' has dtype ${spec.dtype}, expected float32`);
    const q = spec.quantization;
    const bytesPer = q === undefined ? 4 : q.dtype === 'float16' || q.dtype === 'uint16' ? 2 : q.dtype === 'uint8' ? 1 : 0;
    if (bytesPer === 0) throw corrupt(file, `weight '${spec.name}' has unsupported quantization ${JSON.stringify(q)}`);
    const size = count * bytesPer;
    if (offset + size > bytes.length) {
      throw corrupt(file, `weight '${spec.name}' runs past the end of the weight data (${bytes.length} bytes: truncated ${group.paths.join(', ')}?)`);
    }
    const chunk = bytes.subarray(offset, offset + size);
    let data: Float32Array;
    if (q === undefined) {
      data = new Float32Array(count);
      new Uint8Array(data.buffer).set(chunk); // copy: the chunk need not be 4-byte aligned
    } else if (q.dtype === 'float16') {
      data = decodeFloat16(chunk, count);
    } else {
      if (typeof q.scale !== 'number' || typeof q.min !== 'number') {
        throw corrupt(file, `weight '${spec.name}' is ${q.dtype}-quantized without min and scale`);
      }
      const view = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      data = new Float32Array(count);
      for (let i = 0; i < count; i++) {
        data[i] = (bytesPer === 1 ? view.getUint8(i) : view.getUint16(2 * i, true)) * q.scale + q.min;
      }
    }
    for (let i = 0; i < data.length; i++) {
      if (!Number.isFinite(data[i])) throw corrupt(file, `weight '${spec.name}' holds a non-finite value at index ${i}`);
    }
    if (out.has(spec.name)) throw corrupt(file, `weight '${spec.name}' appears twice in weightsManifest`);
    out.set(spec.name, { shape: spec.shape.slice(), data });
    offset += size;
  }
  if (offset !== bytes.length) {
    throw corrupt(file, `weight data of ${group.paths.join(', ')} is ${bytes.length} bytes, the manifest describes ${offset}`);
  }
}

/**
 * Reads and checks a model folder. Throws ModelError naming the file (and weight) at fault:
 * missing/corrupt model.json, missing shard, wrong metadata, missing/extra/misshapen weights.
 */
export async function readModel(dir: string): Promise<LoadedModel> {
  const absDir = path.resolve(dir);
  const jsonPath = path.join(absDir, MODEL_JSON);
  let text: string;
  try {
    text = await fs.promises.readFile(jsonPath, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ModelError('MODEL_NOT_FOUND', `${jsonPath}: cannot read the model (${code ?? String(err)})`);
  }
  let json: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not a JSON object');
    json = parsed as Record<string, unknown>;
  } catch (err) {
    throw corrupt(jsonPath, `not valid JSON (${(err as Error).message})`);
  }
  if (json.format !== undefined && json.format !== 'layers-model') {
    throw corrupt(jsonPath, `format is ${JSON.stringify(json.format)}, expected "layers-model"`);
  }
  const udm = json.userDefinedMetadata as Record<string, unknown> | undefined;
  const meta = udm?.vocalSplit as Record<string, unknown> | undefined;
  if (!meta || typeof meta !== 'object') throw corrupt(jsonPath, 'userDefinedMetadata.vocalSplit is missing (not a vocal-split model?)');
  if (meta.architecture !== 'jansson-unet') {
    throw corrupt(jsonPath, `userDefinedMetadata.vocalSplit.architecture is ${JSON.stringify(meta.architecture)}, expected "jansson-unet"`);
  }
  let config: UNetConfig;
  try {
    config = validateUNetConfig(meta.config, `${jsonPath} (userDefinedMetadata.vocalSplit.config)`);
  } catch (err) {
    throw corrupt(jsonPath, (err as Error).message.replace(`${jsonPath} `, ''));
  }
  if (meta.inputNormalization !== undefined && meta.inputNormalization !== 'patch-max') {
    throw corrupt(jsonPath, `inputNormalization ${JSON.stringify(meta.inputNormalization)} is not supported (expected "patch-max")`);
  }
  const groups = parseManifest(json.weightsManifest, jsonPath);
  const weights: WeightMap = new Map();
  for (const group of groups) {
    const shards: Buffer[] = [];
    for (const rel of group.paths) {
      const shardPath = path.resolve(absDir, rel);
      try {
        shards.push(await fs.promises.readFile(shardPath));
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        throw new ModelError('MODEL_NOT_FOUND', `${shardPath}: cannot read the weights listed in ${jsonPath} (${code ?? String(err)})`);
      }
    }
    decodeGroup(group, shards.length === 1 ? shards[0] : Buffer.concat(shards), jsonPath, weights);
  }
  checkWeights(config, weights, jsonPath);
  let framing: ModelFraming;
  try {
    framing = meta.stft === undefined ? { ...DEFAULT_FRAMING } : validateModelFraming(meta.stft, config, 'userDefinedMetadata.vocalSplit.stft');
  } catch (err) {
    throw new ModelError('UNSUPPORTED_MODEL', `${jsonPath}: ${(err as Error).message}`);
  }
  const metadata: VocalSplitMetadata = { ...meta, architecture: 'jansson-unet', config, inputNormalization: 'patch-max', stft: framing };
  return { dir: absDir, config, weights, framing, metadata };
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
