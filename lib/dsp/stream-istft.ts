/**
 * The inverse STFT of frames that arrive in order: the same samples as istftAddFrames over the
 * whole signal (window-squared normalisation of stft-plan.ts), each handed out as soon as every
 * frame over it has been added.
 */
import { withCapacity } from '../audio/sample-arrays';
import { overlapAddFrame } from './frame-range';
import { framingPlan, type FramingPlan } from './stft-plan';
import type { StftParams } from './types';
import type { FrameBlock } from './stream-stft';

export class StreamIstft {
  private readonly plan: FramingPlan;
  private readonly scratch: Float32Array;
  /** Overlap-added, normalised samples from absolute index `base` on. */
  private acc: Float32Array;
  private base = 0;
  private nextFrame = 0;

  constructor(params: StftParams) {
    this.plan = framingPlan(params);
    this.scratch = new Float32Array(params.fftSize);
    this.acc = new Float32Array(4 * params.fftSize);
  }

  get framesIn(): number {
    return this.nextFrame;
  }

  /**
   * Adds frames (the next ones in order); returns the samples that are now final. Once the
   * signal's `length` is known (its last frames), pass it: nothing at or past it is returned.
   */
  push(block: FrameBlock, length = Infinity): Float32Array {
    if (block.first !== this.nextFrame) throw new Error(`StreamIstft: expected frame ${this.nextFrame}, got ${block.first}`);
    const { fftSize: N, hop, bins } = this.plan;
    const lastEnd = (block.first + block.count) * hop + N / 2;
    this.acc = withCapacity(this.acc, lastEnd - this.base);
    // The same inner loop as istftAddFrames, frame for frame, so the samples are bit-identical.
    for (let j = 0; j < block.count; j++) {
      overlapAddFrame(this.plan, block.re, block.im, j * bins, block.first + j, length, this.acc, this.base, this.scratch);
    }
    this.nextFrame += block.count;
    // Sample i is final once the frame starting after it is in: i < nextFrame·hop − N/2.
    return this.take(Math.min(length, Math.max(0, this.nextFrame * hop - N / 2)));
  }

  /** Every frame is in: the samples left before the signal's `length`. */
  end(length: number): Float32Array {
    return this.take(length);
  }

  private take(upTo: number): Float32Array {
    const count = Math.max(0, upTo - this.base);
    const out = this.acc.slice(0, count);
    this.acc.copyWithin(0, count);
    this.acc.fill(0, this.acc.length - count);
    this.base += count;
    return out;
  }
}
