/**
 * Builds the U-Net's inference graph (mixture → mask) as an ONNX model in memory, from the tfjs
 * weights, so the tfjs files stay the one source of truth. Batch norm is folded into the preceding
 * (de)convolution; the graph works in NCHW internally with a Transpose at each end, so callers keep
 * the NHWC layout of the tfjs model. TF 'same' padding for even sizes, kernel 5, stride 2, is
 * asymmetric: 1 before, 2 after; ConvTranspose with the same pads crops the full output 1 at the
 * start, exactly like tf.conv2dTranspose.
 */
import { LITTLE_ENDIAN } from '../../endianness';
import { BN_EPSILON, KERNEL_SIZE, LEAKY_ALPHA, STRIDE, UNetConfig, validateUNetConfig } from '../config';
import { bnScaleShift, subPixelKernel } from '../weight-folding';
import { WeightMap, WeightTensor, checkWeights } from '../weight-map';
import { ProtoWriter } from './protobuf';

const IR_VERSION = 8;
const OPSET = 17;
const FLOAT = 1; // TensorProto.DataType.FLOAT

export const ONNX_INPUT = 'mixture';
export const ONNX_OUTPUT = 'mask';

type Attr = { name: string; ints: number[] } | { name: string; i: number } | { name: string; f: number } | { name: string; s: string };

function attribute(a: Attr): ProtoWriter {
  const w = new ProtoWriter().string(1, a.name);
  if ('ints' in a) w.packedInts(8, a.ints).int(20, 7); // INTS
  else if ('i' in a) w.int(3, a.i).int(20, 2); // INT
  else if ('s' in a) w.string(4, a.s).int(20, 3); // STRING
  else w.float(2, a.f).int(20, 1); // FLOAT
  return w;
}

function floatBytes(data: Float32Array): Uint8Array {
  if (LITTLE_ENDIAN) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const out = new Uint8Array(data.length * 4); // big-endian host: ONNX raw_data is little endian
  const view = new DataView(out.buffer);
  data.forEach((v, i) => view.setFloat32(4 * i, v, true));
  return out;
}

function tensorProto(name: string, dims: number[], data: Float32Array): ProtoWriter {
  return new ProtoWriter().packedInts(1, dims).int(2, FLOAT).string(8, name).bytes(9, floatBytes(data));
}

function valueInfo(name: string, dims: Array<number | string>): ProtoWriter {
  const shape = new ProtoWriter();
  for (const d of dims) {
    const dim = new ProtoWriter();
    if (typeof d === 'number') dim.int(1, d);
    else dim.string(2, d);
    shape.message(1, dim);
  }
  const tensorType = new ProtoWriter().int(1, FLOAT).message(2, shape);
  return new ProtoWriter().string(1, name).message(2, new ProtoWriter().message(1, tensorType));
}

/**
 * tfjs kernel [kh, kw, a, b] → ONNX [b, a, kh, kw], the output channel (ONNX axis `outAxis`) scaled
 * by `scale`. Conv2D: tfjs [k,k,in,out] → ONNX Conv [out,in,k,k], outAxis 0.
 * Conv2DTranspose: tfjs [k,k,out,in] → ONNX ConvTranspose [in,out,k,k], outAxis 1.
 */
function permuteKernel(kernel: WeightTensor, outAxis: 0 | 1, scale?: Float64Array): { dims: number[]; data: Float32Array } {
  const [kh, kw, a, b] = kernel.shape;
  const src = kernel.data;
  const out = new Float32Array(src.length);
  for (let y = 0; y < kh; y++) {
    for (let x = 0; x < kw; x++) {
      for (let i = 0; i < a; i++) {
        for (let j = 0; j < b; j++) {
          const s = scale ? scale[outAxis === 0 ? j : i] : 1;
          out[((j * a + i) * kh + y) * kw + x] = src[((y * kw + x) * a + i) * b + j] * s;
        }
      }
    }
  }
  return { dims: [b, a, kh, kw], data: out };
}

export interface OnnxBuildOptions {
  /** Fold batch norm into the (de)convolutions (default true; false keeps BatchNormalization nodes, for tests). */
  foldBatchNorm?: boolean;
  /**
   * How the stride-2 transposed convolutions are expressed: 'convtranspose' (ConvTranspose with
   * pads [1,1,2,2]) or 'subpixel' (3×3 Conv to 4× channels + DepthToSpace, see folded-unet.ts).
   */
  deconv?: 'convtranspose' | 'subpixel';
}

/** Serialised ONNX ModelProto: input `mixture` [N,F,T,C] (N dynamic), output `mask` [N,F,T,C]. */
export function buildUNetOnnx(config: UNetConfig, weights: WeightMap, options: OnnxBuildOptions = {}): Uint8Array {
  const cfg = validateUNetConfig(config);
  checkWeights(cfg, weights, 'ONNX export');
  const fold = options.foldBatchNorm ?? true;
  const subPixel = (options.deconv ?? 'convtranspose') === 'subpixel';
  const nodes: ProtoWriter[] = [];
  const inits: ProtoWriter[] = [];
  const node = (op: string, inputs: string[], output: string, attrs: Attr[] = []): string => {
    const n = new ProtoWriter();
    for (const i of inputs) n.string(1, i);
    n.string(2, output).string(3, output).string(4, op);
    for (const a of attrs) n.message(5, attribute(a));
    nodes.push(n);
    return output;
  };
  const init = (name: string, dims: number[], data: Float32Array): string => {
    inits.push(tensorProto(name, dims, data));
    return name;
  };
  const k = KERNEL_SIZE;
  const convAttrs: Attr[] = [
    { name: 'kernel_shape', ints: [k, k] }, { name: 'strides', ints: [STRIDE, STRIDE] },
    { name: 'pads', ints: [1, 1, 2, 2] }, { name: 'dilations', ints: [1, 1] }, { name: 'group', i: 1 },
  ];

  /** (De)convolution named `layer`, then the BN layer `bn` if any (folded, or as a node). */
  const convLayer = (op: 'Conv' | 'ConvTranspose', x: string, layer: string, bn: string | undefined): string => {
    const kernel = weights.get(`${layer}/kernel`) as WeightTensor;
    const bias = (weights.get(`${layer}/bias`) as WeightTensor).data;
    if (op === 'ConvTranspose' && subPixel) {
      const [, , cout, cin] = kernel.shape;
      const bnFold = bn && fold ? bnScaleShift(weights, bn) : undefined;
      const sp = permuteKernel({ shape: [3, 3, cin, 4 * cout], data: subPixelKernel(kernel, bnFold?.scale) }, 0);
      const b = new Float32Array(4 * cout);
      for (let c = 0; c < 4 * cout; c++) {
        const co = c % cout;
        b[c] = bnFold ? bias[co] * bnFold.scale[co] + bnFold.shift[co] : bias[co];
      }
      const y = node('Conv', [x, init(`${layer}/W`, sp.dims, sp.data), init(`${layer}/B`, [b.length], b)], `${layer}/subpixel`,
        [{ name: 'kernel_shape', ints: [3, 3] }, { name: 'pads', ints: [1, 1, 1, 1] }]);
      // DCR: channel (ay·2 + ax)·C + c → pixel (2h + ay, 2w + ax), the order subPixelKernel writes.
      const z = node('DepthToSpace', [y], layer, [{ name: 'blocksize', i: 2 }, { name: 'mode', s: 'DCR' }]);
      if (!bn || fold) return z;
      const p = (name: string): string => {
        const t = weights.get(`${bn}/${name}`) as WeightTensor;
        return init(`${bn}/${name}`, t.shape, t.data);
      };
      return node('BatchNormalization', [z, p('gamma'), p('beta'), p('moving_mean'), p('moving_variance')], bn,
        [{ name: 'epsilon', f: BN_EPSILON }]);
    }
    const outAxis = op === 'Conv' ? 0 : 1;
    if (bn && fold) {
      const { scale, shift } = bnScaleShift(weights, bn);
      const w = permuteKernel(kernel, outAxis, scale);
      const b = bias.map((v, c) => v * scale[c] + shift[c]);
      return node(op, [x, init(`${layer}/W`, w.dims, w.data), init(`${layer}/B`, [b.length], b)], layer, convAttrs);
    }
    const w = permuteKernel(kernel, outAxis);
    const y = node(op, [x, init(`${layer}/W`, w.dims, w.data), init(`${layer}/B`, [bias.length], bias)], layer, convAttrs);
    if (!bn) return y;
    const p = (name: string): string => {
      const t = weights.get(`${bn}/${name}`) as WeightTensor;
      return init(`${bn}/${name}`, t.shape, t.data);
    };
    return node('BatchNormalization', [y, p('gamma'), p('beta'), p('moving_mean'), p('moving_variance')], bn,
      [{ name: 'epsilon', f: BN_EPSILON }]);
  };

  let x = node('Transpose', [ONNX_INPUT], 'nchw', [{ name: 'perm', ints: [0, 3, 1, 2] }]);
  const skips: string[] = [];
  for (let i = 1; i <= cfg.depth; i++) {
    x = convLayer('Conv', x, `enc${i}_conv`, `enc${i}_bn`);
    x = node('LeakyRelu', [x], `enc${i}_lrelu`, [{ name: 'alpha', f: LEAKY_ALPHA }]);
    skips.push(x);
  }
  for (let i = 1; i <= cfg.depth; i++) {
    if (i >= 2) x = node('Concat', [x, skips[cfg.depth - i]], `dec${i}_concat`, [{ name: 'axis', i: 1 }]);
    x = convLayer('ConvTranspose', x, `dec${i}_deconv`, i < cfg.depth ? `dec${i}_bn` : undefined);
    if (i < cfg.depth) x = node('Relu', [x], `dec${i}_relu`); // dropout is the identity at inference
  }
  x = node('Sigmoid', [x], 'mask_nchw');
  node('Transpose', [x], ONNX_OUTPUT, [{ name: 'perm', ints: [0, 2, 3, 1] }]);

  const graph = new ProtoWriter();
  for (const n of nodes) graph.message(1, n);
  graph.string(2, 'jansson_unet_mask');
  for (const t of inits) graph.message(5, t);
  graph.message(11, valueInfo(ONNX_INPUT, ['batch', cfg.bins, cfg.frames, cfg.channelsIn]));
  graph.message(12, valueInfo(ONNX_OUTPUT, ['batch', cfg.bins, cfg.frames, cfg.channelsIn]));
  return new ProtoWriter()
    .int(1, IR_VERSION)
    .string(2, 'node-red-contrib-vocal-split')
    .message(7, graph)
    .message(8, new ProtoWriter().string(1, '').int(2, OPSET))
    .finish();
}
