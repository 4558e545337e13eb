/**
 * Weight rewrites shared by the ONNX graph and the folded tfjs graph: batch-norm folding and the
 * sub-pixel form of the stride-2 transposed convolution (derivation in folded-unet.ts).
 */
import { BN_EPSILON } from './config';
import type { WeightMap, WeightTensor } from './weight-map';

/** Per-output-channel BN scale s = gamma / sqrt(var + eps) and shift t = beta - mean * s. */
export function bnScaleShift(weights: WeightMap, layer: string): { scale: Float64Array; shift: Float64Array } {
  const get = (p: string): Float32Array => (weights.get(`${layer}/${p}`) as WeightTensor).data;
  const gamma = get('gamma');
  const beta = get('beta');
  const mean = get('moving_mean');
  const variance = get('moving_variance');
  // Float64 here, rounded once when the folded weights are stored.
  const scale = new Float64Array(gamma.length);
  const shift = new Float64Array(gamma.length);
  for (let c = 0; c < gamma.length; c++) {
    scale[c] = gamma[c] / Math.sqrt(variance[c] + BN_EPSILON);
    shift[c] = beta[c] - mean[c] * scale[c];
  }
  return { scale, shift };
}

/** Decoder deconv: tfjs kernel [5,5,out,in] → sub-pixel conv kernel [3,3,in,4·out]. */
export function subPixelKernel(kernel: WeightTensor, scale?: Float64Array): Float32Array {
  const [, , cout, cin] = kernel.shape;
  const w = kernel.data;
  const out = new Float32Array(3 * 3 * cin * 4 * cout);
  for (let jy = 0; jy < 3; jy++) {
    for (let jx = 0; jx < 3; jx++) {
      for (let ay = 0; ay < 2; ay++) {
        const ky = ay + 3 - 2 * jy;
        if (ky < 0 || ky > 4) continue;
        for (let ax = 0; ax < 2; ax++) {
          const kx = ax + 3 - 2 * jx;
          if (kx < 0 || kx > 4) continue;
          const phase = ay * 2 + ax;
          for (let ci = 0; ci < cin; ci++) {
            const dst = ((jy * 3 + jx) * cin + ci) * 4 * cout + phase * cout;
            for (let co = 0; co < cout; co++) {
              out[dst + co] = w[((ky * 5 + kx) * cout + co) * cin + ci] * (scale ? scale[co] : 1);
            }
          }
        }
      }
    }
  }
  return out;
}
