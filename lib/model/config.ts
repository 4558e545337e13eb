import { InvalidArgumentError } from '../errors';

/**
 * Hyper-parameters of the Jansson et al. (2017) U-Net. The same object is stored in every
 * model.json (userDefinedMetadata.vocalSplit.config), so loaders rebuild the exact net.
 */
export interface UNetConfig {
  /** Frequency bins the net sees (the first F bins of the model's STFT, signal-framing.ts); a multiple of 2^depth. */
  bins: number;
  /** Frames per patch; a multiple of 2^depth. */
  frames: number;
  /** Filters of the first encoder layer; layer i has baseFilters * 2^(i-1). */
  baseFilters: number;
  /** Encoder (and decoder) layers. */
  depth: number;
  /** Input channels (1: each audio channel is separated on its own). */
  channelsIn: number;
}

export const JANSSON_CONFIG: UNetConfig = { bins: 512, frames: 128, baseFilters: 16, depth: 6, channelsIn: 1 };

/** Kernel size and stride of every (de)convolution, fixed by the architecture. */
export const KERNEL_SIZE = 5;
export const STRIDE = 2;
/** Keras defaults that the weights contract fixes (the trainer must use the same). */
export const BN_EPSILON = 1e-3;
export const BN_MOMENTUM = 0.99;
export const LEAKY_ALPHA = 0.2;
export const DROPOUT_RATE = 0.5;
/** Decoder layers 1..DROPOUT_LAYERS (those that are followed by BN) get dropout while training. */
export const DROPOUT_LAYERS = 3;

function isPositiveInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v > 0;
}

/**
 * Checks a config (typically parsed from a model.json, so of unknown shape) and returns it typed.
 * `where` names the source in the error (a file path or "config").
 */
export function validateUNetConfig(cfg: unknown, where = 'config'): UNetConfig {
  if (typeof cfg !== 'object' || cfg === null) {
    throw new InvalidArgumentError('INVALID_CONFIG', `${where}: U-Net config must be an object`);
  }
  const c = cfg as Record<string, unknown>;
  for (const key of ['bins', 'frames', 'baseFilters', 'depth', 'channelsIn'] as const) {
    if (!isPositiveInt(c[key])) {
      throw new InvalidArgumentError('INVALID_CONFIG', `${where}: ${key} must be a positive integer, got ${String(c[key])}`);
    }
  }
  const out: UNetConfig = {
    bins: c.bins as number, frames: c.frames as number, baseFilters: c.baseFilters as number,
    depth: c.depth as number, channelsIn: c.channelsIn as number,
  };
  if (out.depth > 12) throw new InvalidArgumentError('INVALID_CONFIG', `${where}: depth ${out.depth} is absurd (max 12)`);
  // Every stride-2 layer halves the grid; 'same' padding only round-trips exactly on multiples of 2^depth.
  const unit = 2 ** out.depth;
  if (out.bins % unit !== 0) {
    throw new InvalidArgumentError('INVALID_CONFIG', `${where}: bins (${out.bins}) must be a multiple of 2^depth = ${unit}`);
  }
  if (out.frames % unit !== 0) {
    throw new InvalidArgumentError('INVALID_CONFIG', `${where}: frames (${out.frames}) must be a multiple of 2^depth = ${unit}`);
  }
  return out;
}

/** Filters of encoder layer i (1-based). */
export function encoderFilters(config: UNetConfig, i: number): number {
  return config.baseFilters * 2 ** (i - 1);
}

/** Filters of decoder layer i (1-based); the last one outputs the mask, one per input channel. */
export function decoderFilters(config: UNetConfig, i: number): number {
  return i === config.depth ? config.channelsIn : config.baseFilters * 2 ** (config.depth - 1 - i);
}

/** Input channels of decoder layer i: the previous decoder output, concatenated with its skip for i ≥ 2. */
export function decoderInputChannels(config: UNetConfig, i: number): number {
  if (i === 1) return encoderFilters(config, config.depth);
  return decoderFilters(config, i - 1) + encoderFilters(config, config.depth + 1 - i);
}

export interface WeightSpec { name: string; shape: number[] }

/**
 * Every weight the contract expects, in a fixed order (tfjs names and tfjs layouts:
 * conv kernels [k,k,in,out], transposed-conv kernels [k,k,out,in]).
 */
export function expectedWeights(config: UNetConfig): WeightSpec[] {
  const k = KERNEL_SIZE;
  const specs: WeightSpec[] = [];
  const bn = (layer: string, n: number): void => {
    for (const p of ['gamma', 'beta', 'moving_mean', 'moving_variance']) specs.push({ name: `${layer}/${p}`, shape: [n] });
  };
  let cin = config.channelsIn;
  for (let i = 1; i <= config.depth; i++) {
    const cout = encoderFilters(config, i);
    specs.push({ name: `enc${i}_conv/kernel`, shape: [k, k, cin, cout] }, { name: `enc${i}_conv/bias`, shape: [cout] });
    bn(`enc${i}_bn`, cout);
    cin = cout;
  }
  for (let i = 1; i <= config.depth; i++) {
    const cout = decoderFilters(config, i);
    specs.push({ name: `dec${i}_deconv/kernel`, shape: [k, k, cout, decoderInputChannels(config, i)] },
      { name: `dec${i}_deconv/bias`, shape: [cout] });
    if (i < config.depth) bn(`dec${i}_bn`, cout);
  }
  return specs;
}
