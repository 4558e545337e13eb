/**
 * Weights as plain data, independent of any tfjs backend, and their check against a config. No tfjs
 * here: the onnx engine's worker threads read and check a model folder without loading tfjs.
 */
import { UNetConfig, WeightSpec, expectedWeights } from './config';
import { ModelError } from './errors';

/** A weight as plain data, independent of any tfjs backend. */
export interface WeightTensor { shape: number[]; data: Float32Array }
/** Weights by tfjs name (`enc1_conv/kernel`, ...). */
export type WeightMap = Map<string, WeightTensor>;

/**
 * Checks that `weights` holds exactly the contract's weights with the right shapes; `source` names
 * the file in errors. Extra weights are an error too: they mean the writer and this reader disagree.
 */
export function checkWeights(config: UNetConfig, weights: WeightMap, source: string): WeightSpec[] {
  const specs = checkWeightShapes(config, new Map([...weights].map(([name, w]) => [name, w.shape])), source);
  for (const spec of specs) {
    const w = weights.get(spec.name) as WeightTensor;
    const size = spec.shape.reduce((a, b) => a * b, 1);
    if (w.data.length !== size) {
      throw new ModelError('MODEL_WEIGHT_SHAPE', `${source}: weight '${spec.name}' holds ${w.data.length} values, expected ${size}`);
    }
  }
  return specs;
}

/** checkWeights on the names and shapes alone (a model.json's manifest, before its weights are read). */
export function checkWeightShapes(config: UNetConfig, shapes: ReadonlyMap<string, readonly number[]>, source: string): WeightSpec[] {
  const specs = expectedWeights(config);
  for (const spec of specs) {
    const shape = shapes.get(spec.name);
    if (!shape) {
      throw new ModelError('MODEL_WEIGHT_MISSING', `${source}: weight '${spec.name}' (shape [${spec.shape}]) is missing`);
    }
    if (shape.length !== spec.shape.length || shape.some((d, j) => d !== spec.shape[j])) {
      throw new ModelError('MODEL_WEIGHT_SHAPE',
        `${source}: weight '${spec.name}' has shape [${shape}], expected [${spec.shape}] for config ${JSON.stringify(config)}`);
    }
  }
  if (shapes.size !== specs.length) {
    const known = new Set(specs.map((s) => s.name));
    const extra = [...shapes.keys()].filter((n) => !known.has(n));
    throw new ModelError('MODEL_WEIGHT_UNEXPECTED', `${source}: unexpected weight(s) ${extra.map((n) => `'${n}'`).join(', ')}`);
  }
  return specs;
}
