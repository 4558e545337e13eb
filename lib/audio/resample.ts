/**
 * Sample-rate conversion between any two integer rates (44.1 ↔ 48 ↔ 16 ↔ 8 kHz, 22050 → 37800, ...).
 *
 * Library: @alexanderolsen/libsamplerate-js, Erik de Castro Lopo's libsamplerate (the converter
 * behind many audio tools) compiled to wasm, used by default with SRC_SINC_BEST_QUALITY: band-limited
 * sinc interpolation, measured here flat to 20 kHz at 44.1 kHz with aliases ≥ 140 dB down (see
 * ResampleQuality). Picked over pure-JS packages such as wave-resampler, whose interpolators (point,
 * linear, cubic, a short sinc with an optional IIR/FIR low-pass) make no stop-band guarantee, and over
 * a hand-rolled polyphase filter, because libsamplerate is well known and well tested and takes any
 * ratio (22050 → 37800 included). The package is UMD, so a plain require works from our CommonJS
 * output under Node 18/20 (no dynamic import needed).
 *
 * How it is driven, and why:
 *  - Its `simple()` call only works on ≤ 1,008,000 interleaved floats and otherwise falls back to
 *    chunking that never flushes the converter (the tail is lost) and ignores subarray offsets.
 *    So we drive `full()` (libsamplerate's src_process, end_of_input never set) ourselves in blocks
 *    well under that size, which also bounds memory for long signals: one block of interleaved
 *    input and output at a time, besides the result.
 *  - src_process holds back the filter's look-ahead; after the last block we feed zeros until
 *    round(length * target / source) frames are out. libsamplerate's sinc filter is centred
 *    (output frame k is the input at time k / target), so nothing needs trimming at the start:
 *    the output is time-aligned with the input, and exactly that long.
 *  - Each call creates its own converter (a fresh wasm instance, ~10 ms): the wrapper keeps one
 *    global converter per instance, so sharing one between concurrent calls would mix their state.
 *  - Between blocks we yield to the event loop, so a long conversion doesn't stall Node-RED.
 */
import { setImmediate as nextTick } from 'node:timers/promises';
import { create, ConverterType } from '@alexanderolsen/libsamplerate-js';
import { InvalidArgumentError } from '../errors';
import type { AudioData } from './types';
import { findAudioProblem } from './validate';

/** libsamplerate-js accepts rates 1..192000 and at most 128 interleaved channels per converter. */
export const MAX_RESAMPLE_RATE = 192000;
const MAX_GROUP_CHANNELS = 128;
/** Floats in the wasm side's transfer buffers (input and output each). */
const WASM_BUFFER_FLOATS = 1_008_000;
/** Input frames per block, before the channel/ratio limits below. */
const BLOCK_FRAMES = 32768;

/**
 * libsamplerate's sinc converters, measured 48 → 44.1 kHz (2 shared cores; stereo speed as real-time factor):
 *  - 'best' (default): flat (< 0.001 dB) to 20 kHz, aliases ≥ 140 dB down, ~17×;
 *  - 'medium': flat to 19 kHz (-0.06 dB), -3.3 dB at 20 kHz, aliases ≥ 115 dB down, ~50×;
 *  - 'fastest': -4.3 dB at 18 kHz, aliases ≥ 100 dB down, ~95×.
 * 'medium' suits internal conversions whose result is band-limited anyway.
 */
export type ResampleQuality = 'best' | 'medium' | 'fastest';

export interface ResampleOptions {
  quality?: ResampleQuality;
  /**
   * Output length in samples; default round(length · targetRate / sampleRate). A round trip can miss
   * the original length by one sample (48006 at 48 kHz → 44106 at 44.1 kHz → 48007): the separator
   * asks for the input's length on the way back, and gets the filter's real output, not padding.
   */
  length?: number;
}

const CONVERTERS = {
  best: ConverterType.SRC_SINC_BEST_QUALITY,
  medium: ConverterType.SRC_SINC_MEDIUM_QUALITY,
  fastest: ConverterType.SRC_SINC_FASTEST,
} as const;

/** Resamples every channel to `targetRate`; output length is exactly options.length, default round(length * targetRate / sampleRate). */
export async function resample(audio: AudioData, targetRate: number, options: ResampleOptions = {}): Promise<AudioData> {
  const quality = options.quality ?? 'best';
  if (!Object.hasOwn(CONVERTERS, quality)) {
    throw new InvalidArgumentError('BAD_OPTION', `resample: quality must be best, medium or fastest, got ${String(quality)}`);
  }
  const problem = findAudioProblem(audio); // NaN would smear over the whole filter length
  if (problem) throw new InvalidArgumentError(problem.code, `resample: ${problem.message}`);
  const from = audio.sampleRate;
  if (!Number.isInteger(targetRate) || targetRate < 1 || targetRate > MAX_RESAMPLE_RATE) {
    throw new InvalidArgumentError('BAD_SAMPLE_RATE', `resample: target rate must be an integer in 1..${MAX_RESAMPLE_RATE} Hz, got ${targetRate}`);
  }
  const inLength = audio.channels[0].length;
  const outLength = options.length ?? Math.round((inLength * targetRate) / from);
  if (!Number.isInteger(outLength) || outLength < 0 || Math.abs(outLength - (inLength * targetRate) / from) > 2) {
    throw new InvalidArgumentError('BAD_OPTION', `resample: length ${String(options.length)} is not within 2 samples of ${inLength} × ${targetRate} / ${from}`);
  }
  if (from === targetRate) return { sampleRate: from, channels: audio.channels.map((c) => c.slice()) };
  if (from > MAX_RESAMPLE_RATE) {
    throw new InvalidArgumentError('BAD_SAMPLE_RATE', `resample: source rate ${from} Hz is above the ${MAX_RESAMPLE_RATE} Hz the converter supports`);
  }
  const ratio = targetRate / from;
  if (ratio > 256 || ratio < 1 / 256) {
    throw new InvalidArgumentError('BAD_SAMPLE_RATE', `resample: ${from} → ${targetRate} Hz is beyond libsamplerate's 1:256 ratio limit`);
  }

  const out = audio.channels.map(() => new Float32Array(outLength));
  if (outLength === 0) return { sampleRate: targetRate, channels: out };
  for (let c0 = 0; c0 < audio.channels.length; c0 += MAX_GROUP_CHANNELS) {
    const group = audio.channels.slice(c0, c0 + MAX_GROUP_CHANNELS);
    await resampleGroup(group, out.slice(c0, c0 + MAX_GROUP_CHANNELS), from, targetRate, CONVERTERS[quality]);
  }
  return { sampleRate: targetRate, channels: out };
}

/** Runs one converter over up to 128 channels, interleaving block by block. */
async function resampleGroup(
  input: Float32Array[], output: Float32Array[], from: number, to: number, converter: (typeof CONVERTERS)[ResampleQuality],
): Promise<void> {
  const nCh = input.length;
  const ratio = to / from;
  const inLength = input[0].length;
  const outLength = output[0].length;
  // Keep each call's input and (ratio-scaled) output at half the wasm buffers, so src_process
  // always has room to consume the whole block.
  const block = Math.max(1, Math.min(BLOCK_FRAMES, Math.floor(WASM_BUFFER_FLOATS / (2 * nCh * Math.max(1, ratio)))));
  const src = await create(nCh, from, to, { converterType: converter });
  try {
    const interleaved = new Float32Array(block * nCh);
    let written = 0;
    let zeroBlocks = 0;
    // The best-quality filter holds back ~70 zero crossings of look-ahead (in input frames, stretched
    // by the decimation factor when downsampling); the zeros fed after the input cover that, plus
    // whatever output is still missing.
    const lookahead = Math.ceil(256 / Math.min(1, ratio));
    for (let start = 0; written < outLength; start += block) {
      const n = Math.min(block, Math.max(0, inLength - start));
      if (n === 0 && ++zeroBlocks > 4) throw new Error(`resample: converter stalled at ${written} of ${outLength} frames`);
      const frames = n > 0 ? n : Math.min(block, Math.ceil((outLength - written) / ratio) + lookahead);
      for (let c = 0; c < nCh; c++) {
        const x = input[c];
        for (let i = 0, k = c; i < n; i++, k += nCh) interleaved[k] = x[start + i];
      }
      if (n < frames) interleaved.fill(0, n * nCh, frames * nCh);
      const y = src.full(interleaved.subarray(0, frames * nCh));
      const got = Math.min(y.length / nCh, outLength - written);
      for (let c = 0; c < nCh; c++) {
        const o = output[c];
        for (let i = 0, k = c; i < got; i++, k += nCh) o[written + i] = y[k];
      }
      written += got;
      if (start + block < inLength) await nextTick();
    }
  } finally {
    src.destroy();
  }
}
