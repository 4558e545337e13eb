/**
 * The Jansson et al. (2017) U-Net as a tfjs layers model. Layer names are part of the weights
 * contract (see expectedWeights in config.ts): the PyTorch trainer writes the same names.
 */
import * as tf from '@tensorflow/tfjs';
import {
  BN_EPSILON, BN_MOMENTUM, DROPOUT_LAYERS, DROPOUT_RATE, KERNEL_SIZE, LEAKY_ALPHA, STRIDE,
  UNetConfig, decoderFilters, encoderFilters, validateUNetConfig,
} from './config';
import { ModelError } from './errors';
import { WeightMap, checkWeights } from './weight-map';

export interface UNet {
  readonly config: UNetConfig;
  /** Training-shaped model: mixture [N,F,T,C] → mask × mixture. Owns every layer. */
  readonly model: tf.LayersModel;
  /** The same layers, output taken at the sigmoid: mixture → mask in [0,1]. */
  readonly maskModel: tf.LayersModel;
  /** Frees every weight (the two models share layers, so this disposes both). */
  dispose(): void;
}

export const INPUT_NAME = 'mixture';
export const MASK_NAME = 'mask';
export const OUTPUT_NAME = 'output';

/**
 * Builds the net on the current tfjs backend with freshly initialised weights (glorot-uniform
 * kernels, zero biases, unit BN), like Keras would. Call `assignWeights` to load trained ones.
 */
export function buildUNet(config: UNetConfig): UNet {
  const cfg = validateUNetConfig(config);
  const conv = (i: number): tf.layers.Layer => tf.layers.conv2d({
    name: `enc${i}_conv`, filters: encoderFilters(cfg, i), kernelSize: KERNEL_SIZE, strides: STRIDE,
    padding: 'same', useBias: true,
  });
  const deconv = (i: number): tf.layers.Layer => tf.layers.conv2dTranspose({
    name: `dec${i}_deconv`, filters: decoderFilters(cfg, i), kernelSize: KERNEL_SIZE, strides: STRIDE,
    padding: 'same', useBias: true,
  });
  const bn = (name: string): tf.layers.Layer =>
    tf.layers.batchNormalization({ name, axis: -1, epsilon: BN_EPSILON, momentum: BN_MOMENTUM });
  const apply = (layer: tf.layers.Layer, x: tf.SymbolicTensor | tf.SymbolicTensor[]): tf.SymbolicTensor =>
    layer.apply(x) as tf.SymbolicTensor;

  const input = tf.input({ name: INPUT_NAME, shape: [cfg.bins, cfg.frames, cfg.channelsIn] });
  const encoded: tf.SymbolicTensor[] = [];
  let x: tf.SymbolicTensor = input;
  for (let i = 1; i <= cfg.depth; i++) {
    x = apply(conv(i), x);
    x = apply(bn(`enc${i}_bn`), x);
    x = apply(tf.layers.leakyReLU({ name: `enc${i}_lrelu`, alpha: LEAKY_ALPHA }), x);
    encoded.push(x);
  }
  for (let i = 1; i <= cfg.depth; i++) {
    if (i >= 2) {
      // Decoder output first, then the skip from the mirrored encoder layer.
      x = apply(tf.layers.concatenate({ name: `dec${i}_concat`, axis: -1 }), [x, encoded[cfg.depth - i]]);
    }
    x = apply(deconv(i), x);
    if (i < cfg.depth) {
      x = apply(bn(`dec${i}_bn`), x);
      x = apply(tf.layers.reLU({ name: `dec${i}_relu` }), x);
      if (i <= DROPOUT_LAYERS) x = apply(tf.layers.dropout({ name: `dec${i}_dropout`, rate: DROPOUT_RATE }), x);
    }
  }
  const mask = apply(tf.layers.activation({ name: MASK_NAME, activation: 'sigmoid' }), x);
  const output = apply(tf.layers.multiply({ name: OUTPUT_NAME }), [mask, input]);
  const model = tf.model({ name: 'jansson_unet', inputs: input, outputs: output });
  const maskModel = tf.model({ name: 'jansson_unet_mask', inputs: input, outputs: mask });
  let disposed = false;
  return {
    config: cfg, model, maskModel,
    dispose(): void {
      // tfjs layers are not reference counted per model: disposing `model` frees them all,
      // and disposing maskModel afterwards would throw.
      if (!disposed) { disposed = true; model.dispose(); }
    },
  };
}

/** Weights of a built model as plain data, by their contract names (`originalName`, without tfjs' _N suffixes). */
export function extractWeights(model: tf.LayersModel): WeightMap {
  const out: WeightMap = new Map();
  for (const w of model.weights) {
    out.set(w.originalName, { shape: w.shape.map((d) => d ?? 0), data: Float32Array.from(w.read().dataSync() as Float32Array) });
  }
  return out;
}


/** Writes `weights` into a built U-Net (on the current backend), after checking them against its config. */
export function assignWeights(unet: UNet, weights: WeightMap, source = 'weights'): void {
  checkWeights(unet.config, weights, source);
  for (const v of unet.model.weights) {
    const w = weights.get(v.originalName);
    if (!w) throw new ModelError('MODEL_WEIGHT_MISSING', `${source}: weight '${v.originalName}' is missing`);
    const t = tf.tensor(w.data, w.shape, 'float32');
    v.write(t); // assigns a copy into the variable
    t.dispose();
  }
}

/**
 * The mask for a batch of patches, [N,F,T,C] → [N,F,T,C], in inference mode (no dropout, BN with
 * moving statistics). The caller owns (and disposes) the result.
 */
export function predictMaskTensor(unet: UNet, input: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => unet.maskModel.predict(input) as tf.Tensor4D);
}
