/**
 * An inference-only tfjs graph of the U-Net mask head, numerically the layers model's maskModel but
 * faster: batch norm folded into the (de)convolutions, activations fused, and each stride-2 5×5
 * transposed convolution rewritten as ONE 3×3 stride-1 convolution with 4× the output channels
 * followed by depthToSpace (sub-pixel form). tfjs-backend-wasm's Conv2DBackpropInput is a slow
 * generic loop (≈ 90 ms per decoder layer of the Jansson net) while its Conv2D goes through
 * XNNPACK; this makes the wasm engine ≈ 4× faster.
 *
 * Sub-pixel derivation (per spatial axis): TF 'same' conv2dTranspose, kernel 5, stride 2, writes
 * input p with tap k to output o = 2p + k − 1. Output o = 2m + a (phase a ∈ {0,1}) reading input
 * p = m + j − 1 (3×3 conv tap j ∈ {0,1,2}, padding 1) needs k = a + 3 − 2j; taps with k outside
 * 0..4 are zero. depthToSpace (NHWC) takes channel (ay·2 + ax)·C + c to pixel (2m + ay, 2n + ax).
 */
import * as tf from '@tensorflow/tfjs';
import { LEAKY_ALPHA, UNetConfig, validateUNetConfig } from './config';
import { bnScaleShift, subPixelKernel } from './weight-folding';
import { WeightMap, WeightTensor, checkWeights } from './weight-map';

interface FoldedLayer { filter: tf.Tensor4D; bias: tf.Tensor1D }

function scaledBias(bias: Float32Array, scale?: Float64Array, shift?: Float64Array): Float32Array {
  return bias.map((v, c) => (scale && shift ? v * scale[c] + shift[c] : v));
}

/** Encoder conv: tfjs kernel [5,5,in,out], output channel scaled. */
function foldConv(kernel: WeightTensor, scale: Float64Array): Float32Array {
  const cout = kernel.shape[3];
  return kernel.data.map((v, i) => v * scale[i % cout]);
}

export class FoldedUNet {
  private constructor(
    readonly config: UNetConfig,
    private encoder: FoldedLayer[],
    private decoder: FoldedLayer[],
  ) {}

  /** Builds the folded weights as tensors on tfjs' current backend. */
  static create(config: UNetConfig, weights: WeightMap, source = 'weights'): FoldedUNet {
    const cfg = validateUNetConfig(config);
    checkWeights(cfg, weights, source);
    const get = (name: string): WeightTensor => weights.get(name) as WeightTensor;
    const encoder: FoldedLayer[] = [];
    const decoder: FoldedLayer[] = [];
    try {
      for (let i = 1; i <= cfg.depth; i++) {
        const kernel = get(`enc${i}_conv/kernel`);
        const { scale, shift } = bnScaleShift(weights, `enc${i}_bn`);
        encoder.push({
          filter: tf.tensor4d(foldConv(kernel, scale), kernel.shape as [number, number, number, number]),
          bias: tf.tensor1d(scaledBias(get(`enc${i}_conv/bias`).data, scale, shift)),
        });
      }
      for (let i = 1; i <= cfg.depth; i++) {
        const kernel = get(`dec${i}_deconv/kernel`);
        const [, , cout, cin] = kernel.shape;
        const bn = i < cfg.depth ? bnScaleShift(weights, `dec${i}_bn`) : undefined;
        const bias = scaledBias(get(`dec${i}_deconv/bias`).data, bn?.scale, bn?.shift);
        const bias4 = new Float32Array(4 * cout);
        for (let p = 0; p < 4; p++) bias4.set(bias, p * cout);
        decoder.push({
          filter: tf.tensor4d(subPixelKernel(kernel, bn?.scale), [3, 3, cin, 4 * cout]),
          bias: tf.tensor1d(bias4),
        });
      }
    } catch (err) {
      for (const l of [...encoder, ...decoder]) tf.dispose([l.filter, l.bias]);
      throw err;
    }
    return new FoldedUNet(cfg, encoder, decoder);
  }

  /** Mask for x [N,F,T,C] on the current backend; the caller owns the result. */
  predict(x: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      const skips: tf.Tensor4D[] = [];
      let h = x;
      for (const l of this.encoder) {
        h = tf.fused.conv2d({
          x: h, filter: l.filter, bias: l.bias, strides: 2, pad: 'same',
          activation: 'leakyrelu', leakyreluAlpha: LEAKY_ALPHA,
        });
        skips.push(h);
      }
      const depth = this.decoder.length;
      this.decoder.forEach((l, idx) => {
        const i = idx + 1;
        if (i >= 2) h = tf.concat4d([h, skips[depth - i]], 3);
        // ReLU and sigmoid act per element, so they commute with depthToSpace and can be fused.
        const y = tf.fused.conv2d({
          x: h, filter: l.filter, bias: l.bias, strides: 1, pad: 'same',
          activation: i < depth ? 'relu' : 'sigmoid',
        });
        h = tf.depthToSpace(y, 2, 'NHWC');
      });
      return h;
    });
  }

  dispose(): void {
    for (const l of [...this.encoder, ...this.decoder]) tf.dispose([l.filter, l.bias]);
    this.encoder = [];
    this.decoder = [];
  }
}
