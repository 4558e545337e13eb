/**
 * Reading a model folder (model.json in the tfjs layers format, and its weight shards), without
 * tfjs: the engines' worker threads read the weights themselves (onnx-worker.ts, tfjs-worker.ts), so a
 * deploy does not stall Node-RED's event loop, while the main thread reads only model.json and the
 * shards' sizes (readModelInfo). Every problem is a ModelError naming the file (and the weight) at fault.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UNetConfig, validateUNetConfig } from './config';
import { ModelError } from './errors';
import { decodeFloat16 } from './fp16';
import { DEFAULT_FRAMING, ModelFraming, validateModelFraming } from './signal-framing';
import { WeightMap, checkWeightShapes, checkWeights } from './weight-map';

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

/** What model.json says, checked against the weight files' sizes: everything but the weights' values. */
export interface ModelInfo {
  /** Absolute folder path. */
  readonly dir: string;
  readonly config: UNetConfig;
  readonly framing: ModelFraming;
  readonly metadata: VocalSplitMetadata;
}

/** A model read from disk: everything a backend needs, as plain data. */
export interface LoadedModel extends ModelInfo {
  readonly weights: WeightMap;
}

/** A model held in memory only (tests, benchmarks, a freshly trained net). */
export interface ModelWeights {
  readonly config: UNetConfig;
  readonly weights: WeightMap;
  /** The framing it was trained on; DEFAULT_FRAMING if not given. */
  readonly framing?: ModelFraming;
}

export interface ManifestWeight {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: { dtype: string; min?: number; scale?: number };
}
interface ManifestGroup { paths: string[]; weights: ManifestWeight[] }

/** Where one weight sits in its group's bytes, and how it is stored. */
interface WeightSlot { spec: ManifestWeight; count: number; bytesPer: number; offset: number }

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

/** The place of each weight of a group holding `totalBytes` (its shards together); throws if they do not fit exactly. */
function groupLayout(group: ManifestGroup, totalBytes: number, file: string): WeightSlot[] {
  const slots: WeightSlot[] = [];
  let offset = 0;
  for (const spec of group.weights) {
    const count = spec.shape.reduce((a, b) => a * b, 1);
    if (spec.dtype !== 'float32') throw corrupt(file, `weight '${spec.name}' has dtype ${spec.dtype}, expected float32`);
    const q = spec.quantization;
    const bytesPer = q === undefined ? 4 : q.dtype === 'float16' || q.dtype === 'uint16' ? 2 : q.dtype === 'uint8' ? 1 : 0;
    if (bytesPer === 0) throw corrupt(file, `weight '${spec.name}' has unsupported quantization ${JSON.stringify(q)}`);
    if (bytesPer !== 4 && q?.dtype !== 'float16' && (typeof q?.scale !== 'number' || typeof q.min !== 'number')) {
      throw corrupt(file, `weight '${spec.name}' is ${q?.dtype}-quantized without min and scale`);
    }
    const size = count * bytesPer;
    if (offset + size > totalBytes) {
      throw corrupt(file, `weight '${spec.name}' runs past the end of the weight data (${totalBytes} bytes: truncated ${group.paths.join(', ')}?)`);
    }
    slots.push({ spec, count, bytesPer, offset });
    offset += size;
  }
  if (offset !== totalBytes) {
    throw corrupt(file, `weight data of ${group.paths.join(', ')} is ${totalBytes} bytes, the manifest describes ${offset}`);
  }
  return slots;
}

/** Decodes one group's bytes (its shards concatenated) into plain float32 arrays, laid out as `slots` say. */
function decodeGroup(slots: WeightSlot[], bytes: Uint8Array, file: string, out: WeightMap): void {
  for (const { spec, count, bytesPer, offset } of slots) {
    const chunk = bytes.subarray(offset, offset + count * bytesPer);
    const q = spec.quantization;
    let data: Float32Array;
    if (q === undefined) {
      data = new Float32Array(count);
      new Uint8Array(data.buffer).set(chunk); // copy: the chunk need not be 4-byte aligned
    } else if (q.dtype === 'float16') {
      data = decodeFloat16(chunk, count);
    } else {
      const view = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      const { scale, min } = q as { scale: number; min: number };
      data = new Float32Array(count);
      for (let i = 0; i < count; i++) data[i] = (bytesPer === 1 ? view.getUint8(i) : view.getUint16(2 * i, true)) * scale + min;
    }
    for (let i = 0; i < data.length; i++) {
      if (!Number.isFinite(data[i])) throw corrupt(file, `weight '${spec.name}' holds a non-finite value at index ${i}`);
    }
    out.set(spec.name, { shape: spec.shape.slice(), data });
  }
}

/** A folder's model.json, checked, with each manifest group's shard paths. */
interface CheckedFolder {
  info: ModelInfo;
  jsonPath: string;
  groups: Array<{ group: ManifestGroup; shards: string[] }>;
}

/** A weight file listed in model.json that cannot be read; `why`: an errno code, or the error itself. */
function shardUnreadable(shardPath: string, jsonPath: string, why: unknown): ModelError {
  const code = typeof why === 'string' ? why : (why as NodeJS.ErrnoException).code ?? String(why);
  return new ModelError('MODEL_NOT_FOUND', `${shardPath}: cannot read the weights listed in ${jsonPath} (${code})`);
}

async function shardSize(shardPath: string, jsonPath: string): Promise<number> {
  let st: fs.Stats;
  try {
    st = await fs.promises.stat(shardPath);
  } catch (err) {
    throw shardUnreadable(shardPath, jsonPath, err);
  }
  if (!st.isFile()) throw shardUnreadable(shardPath, jsonPath, st.isDirectory() ? 'EISDIR' : 'not a file');
  return st.size;
}

async function checkFolder(dir: string): Promise<CheckedFolder> {
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
  const groups: CheckedFolder['groups'] = [];
  const shapes = new Map<string, number[]>();
  for (const group of parseManifest(json.weightsManifest, jsonPath)) {
    const shards = group.paths.map((rel) => path.resolve(absDir, rel));
    let total = 0;
    for (const shard of shards) total += await shardSize(shard, jsonPath);
    for (const { spec } of groupLayout(group, total, jsonPath)) {
      if (shapes.has(spec.name)) throw corrupt(jsonPath, `weight '${spec.name}' appears twice in weightsManifest`);
      shapes.set(spec.name, spec.shape);
    }
    groups.push({ group, shards });
  }
  checkWeightShapes(config, shapes, jsonPath);
  let framing: ModelFraming;
  try {
    framing = meta.stft === undefined ? { ...DEFAULT_FRAMING } : validateModelFraming(meta.stft, config, 'userDefinedMetadata.vocalSplit.stft');
  } catch (err) {
    throw new ModelError('UNSUPPORTED_MODEL', `${jsonPath}: ${(err as Error).message}`);
  }
  const metadata: VocalSplitMetadata = { ...meta, architecture: 'jansson-unet', config, inputNormalization: 'patch-max', stft: framing };
  return { info: { dir: absDir, config, framing, metadata }, jsonPath, groups };
}

/**
 * Reads and checks a model folder's model.json, and that its weight files are there with the sizes
 * the manifest describes, without reading the weights: ModelError for every problem readModel finds
 * but a non-finite weight value (or a file changed in between).
 */
export async function readModelInfo(dir: string): Promise<ModelInfo> {
  return (await checkFolder(dir)).info;
}

/** A model folder, and the config the caller read in its model.json (readModelInfo): what an engine's worker thread is given. */
export interface ModelFolder {
  readonly dir: string;
  readonly config: UNetConfig;
}

/**
 * readModel for a worker thread given a ModelFolder: also a ModelError if model.json no longer holds
 * the config the caller read (the folder changed in between).
 */
export async function readModelFolder(folder: ModelFolder): Promise<LoadedModel> {
  const model = await readModel(folder.dir);
  if (JSON.stringify(model.config) !== JSON.stringify(folder.config)) {
    throw new ModelError('MODEL_CORRUPT', `${folder.dir}: model.json changed while the model was loading (config ${JSON.stringify(model.config)}); deploy again`);
  }
  return model;
}

/**
 * Reads and checks a model folder. Throws ModelError naming the file (and weight) at fault:
 * missing/corrupt model.json, missing shard, wrong metadata, missing/extra/misshapen weights.
 */
export async function readModel(dir: string): Promise<LoadedModel> {
  const { info, jsonPath, groups } = await checkFolder(dir);
  const weights: WeightMap = new Map();
  for (const { group, shards } of groups) {
    const parts: Buffer[] = [];
    for (const shard of shards) {
      try {
        parts.push(await fs.promises.readFile(shard));
      } catch (err) {
        throw shardUnreadable(shard, jsonPath, err);
      }
    }
    const bytes = parts.length === 1 ? parts[0] : Buffer.concat(parts);
    // The sizes were checked above; a file replaced since then is checked again.
    decodeGroup(groupLayout(group, bytes.length, jsonPath), bytes, jsonPath, weights);
  }
  checkWeights(info.config, weights, jsonPath);
  return { ...info, weights };
}
