/**
 * The STFT of a signal that arrives in chunks: the same frames as stftFrames over the whole signal
 * (stft-plan.ts: frame t centred on sample t·hop, zeros before 0 and after the end), each handed out
 * as soon as the last sample under it has arrived.
 */
import { concatSamples, withCapacity } from '../audio/sample-arrays';
import { framingPlan, type FramingPlan } from './stft-plan';
import type { StftParams } from './types';

/** Consecutive complex frames of one channel, frame-major from index 0: frames [first, first + count). */
export interface FrameBlock {
  first: number;
  count: number;
  re: Float32Array;
  im: Float32Array;
}

/** Block `a` followed by block `b`, its next frames. */
export function concatFrameBlocks(a: FrameBlock, b: FrameBlock): FrameBlock {
  return { first: a.first, count: a.count + b.count, re: concatSamples([a.re, b.re]), im: concatSamples([a.im, b.im]) };
}

export class StreamStft {
  private readonly plan: FramingPlan;
  /** Samples from absolute index `base` on; index −N/2 … −1 are the leading zeros. */
  private buffer: Float32Array;
  private base: number;
  private filled = 0;
  private received = 0;
  private nextFrame = 0;
  private ended = false;

  constructor(params: StftParams) {
    this.plan = framingPlan(params);
    this.buffer = new Float32Array(4 * params.fftSize);
    this.base = -params.fftSize / 2;
    this.filled = params.fftSize / 2; // the zero padding before sample 0
  }

  get framesOut(): number {
    return this.nextFrame;
  }

  get samplesIn(): number {
    return this.received;
  }

  /** Adds samples; returns the frames they complete (possibly none). */
  push(samples: Float32Array): FrameBlock {
    if (this.ended) throw new Error('StreamStft: push after end');
    this.append(samples);
    this.received += samples.length;
    const { fftSize: N, hop } = this.plan;
    // Frame t is complete once samples up to t·hop + N/2 − 1 are in.
    const ready = Math.max(0, Math.floor((this.received - N / 2) / hop) + 1);
    return this.emit(ready);
  }

  /** The signal ended: the remaining frames, as the whole-signal STFT has them (zeros after the end). */
  end(): FrameBlock {
    if (this.ended) throw new Error('StreamStft: end called twice');
    this.ended = true;
    const { fftSize: N, hop } = this.plan;
    const total = Math.ceil((this.received + N / 2) / hop);
    this.append(new Float32Array(Math.max(0, (total - 1) * hop + N / 2 - this.received)));
    return this.emit(total);
  }

  private append(samples: Float32Array): void {
    this.buffer = withCapacity(this.buffer, this.filled + samples.length);
    this.buffer.set(samples, this.filled);
    this.filled += samples.length;
  }

  private emit(upTo: number): FrameBlock {
    const { fftSize: N, hop, bins, window: w, fft } = this.plan;
    const first = this.nextFrame;
    const count = Math.max(0, upTo - first);
    const re = new Float32Array(count * bins);
    const im = new Float32Array(count * bins);
    for (let j = 0; j < count; j++) {
      const start = (first + j) * hop - N / 2 - this.base;
      fft.forward(this.buffer, start, w, re, im, j * bins);
    }
    this.nextFrame = first + count;
    // Keep only what later frames still need: from the next frame's first sample on.
    const keepFrom = this.nextFrame * hop - N / 2 - this.base;
    if (keepFrom > 0) {
      this.buffer.copyWithin(0, keepFrom, this.filled);
      this.filled -= keepFrom;
      this.base += keepFrom;
    }
    return { first, count, re, im };
  }
}
