/**
 * Sample-rate conversion of a signal that arrives in chunks: libsamplerate's src_process keeps its
 * filter state between calls, so the chunks come out as one continuous signal. Its sinc filter is
 * centred, so the output is time-aligned with the input; end() feeds zeros until the output is
 * round(length · to / from) long, as resample() makes it for the whole signal.
 */
import { create, ConverterType } from '@alexanderolsen/libsamplerate-js';
import type { ResampleQuality } from './resample';
import { concatChannels } from './sample-arrays';

type Converter = Awaited<ReturnType<typeof create>>;

const CONVERTERS = {
  best: ConverterType.SRC_SINC_BEST_QUALITY,
  medium: ConverterType.SRC_SINC_MEDIUM_QUALITY,
  fastest: ConverterType.SRC_SINC_FASTEST,
} as const;
/** Input frames per src_process call, well inside the wasm side's buffers. */
const BLOCK = 8192;

export class StreamResampler {
  private received = 0;
  private produced = 0;
  private destroyed = false;

  private constructor(private readonly src: Converter, readonly channels: number, readonly from: number, readonly to: number) {}

  static async create(channels: number, from: number, to: number, quality: ResampleQuality = 'medium'): Promise<StreamResampler> {
    return new StreamResampler(await create(channels, from, to, { converterType: CONVERTERS[quality] }), channels, from, to);
  }

  push(input: Float32Array[]): Float32Array[] {
    this.checkAlive();
    this.received += input[0].length;
    return this.process(input);
  }

  /**
   * The input ended: the rest of the output, to `total` samples in all (default round(length · to / from),
   * as resample() gives; a caller that needs a round trip to end at its input's length asks for that).
   */
  end(total = Math.round((this.received * this.to) / this.from)): Float32Array[] {
    this.checkAlive();
    if (!Number.isInteger(total) || total < 0) throw new Error(`StreamResampler: bad total ${total}`);
    const parts: Float32Array[][] = [];
    let guard = 0;
    while (this.produced < total) {
      if (++guard > 64) throw new Error(`resampler stalled at ${this.produced} of ${total} samples`);
      const zeros = Math.ceil(((total - this.produced) * this.from) / this.to) + 256;
      parts.push(this.process(Array.from({ length: this.channels }, () => new Float32Array(Math.min(zeros, BLOCK)))));
    }
    const out = concatChannels(parts, this.channels);
    const excess = this.produced - total;
    this.produced = total;
    return out.map((c) => c.subarray(0, c.length - excess));
  }

  /** Frees the converter. Idempotent; any later push or end throws. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.src.destroy();
  }

  /** libsamplerate-js keeps answering after destroy(), with garbage: refuse instead. */
  private checkAlive(): void {
    if (this.destroyed) throw new Error('StreamResampler: used after destroy()');
  }

  private process(input: Float32Array[]): Float32Array[] {
    const n = input[0].length;
    const nCh = this.channels;
    const parts: Float32Array[][] = [];
    for (let start = 0; start < n; start += BLOCK) {
      const len = Math.min(BLOCK, n - start);
      const interleaved = new Float32Array(len * nCh);
      for (let c = 0; c < nCh; c++) {
        const x = input[c];
        for (let i = 0, k = c; i < len; i++, k += nCh) interleaved[k] = x[start + i];
      }
      const y = this.src.full(interleaved);
      const frames = y.length / nCh;
      parts.push(Array.from({ length: nCh }, (_, c) => {
        const out = new Float32Array(frames);
        for (let i = 0, k = c; i < frames; i++, k += nCh) out[i] = y[k];
        return out;
      }));
    }
    const out = concatChannels(parts, nCh);
    this.produced += out[0].length;
    return out;
  }
}
