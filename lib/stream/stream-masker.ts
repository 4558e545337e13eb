/**
 * The U-Net mask of one channel's frames as they arrive: the model runs every `step` frames on the
 * patch that ends at the newest frame, and keeps the mask of the frames `lookahead` and more
 * frames back from that end, cross-faded over `fade` frames with the previous run's (latency.ts).
 * Each patch is divided by its own max and extended above F exactly as the offline separator does
 * (mask-engine.ts), so a stream and the same song separated whole differ only in the context each
 * frame's mask was computed with.
 */
import { withCapacity } from '../audio/sample-arrays';
import { extendMaskFrame } from '../separate/mask-extension';
import { fadeIn, normalisePatch } from '../separate/patches';
import { checkLatency, type StreamLatency } from './latency';
import type { PatchPredictor } from './mask-batcher';
import type { FrameBlock } from '../dsp/stream-stft';

/** Frames whose mask is final, with their full-band vocals mask (frame-major, like re / im). */
export interface MaskedBlock extends FrameBlock {
  mask: Float32Array;
}

export class StreamMasker {
  private readonly F: number;
  private readonly T: number;
  private readonly weights: Float32Array;
  /** |X| of the first F bins of frames [histBase, framesIn), frame-major. */
  private history: Float32Array;
  private histBase = 0;
  /** Complex frames [nextFinal, framesIn), frame-major, waiting for their mask. */
  private re: Float32Array;
  private im: Float32Array;
  /** Weighted mask sums (F per frame) and weight sums of frames [nextFinal, …). */
  private maskSum: Float32Array;
  private weightSum: Float32Array;
  private framesIn = 0;
  private nextFinal = 0;
  private nextRunEnd: number;
  private ended = false;

  constructor(private readonly batcher: PatchPredictor, private readonly bins: number, private readonly latency: StreamLatency) {
    const { bins: F, frames: T } = batcher.backend.config;
    checkLatency(latency, T);
    this.F = F;
    this.T = T;
    this.nextRunEnd = latency.step;
    const { step, fade } = latency;
    this.weights = new Float32Array(step + fade).fill(1);
    for (let j = 0; j < fade; j++) {
      const up = fadeIn(j, fade);
      this.weights[j] = up;
      this.weights[step + j] = 1 - up;
    }
    // Empty until frames arrive (they grow as needed): a stream that sends one chunk and goes away
    // costs what that chunk needs, not a full window of look-ahead (several MB).
    this.history = new Float32Array(0);
    this.re = new Float32Array(0);
    this.im = new Float32Array(0);
    this.maskSum = new Float32Array(0);
    this.weightSum = new Float32Array(0);
  }

  /** Adds the next frames; resolves with the frames whose mask became final (possibly none). */
  async push(block: FrameBlock): Promise<MaskedBlock> {
    if (this.ended) throw new Error('StreamMasker: push after end');
    if (block.first !== this.framesIn) throw new Error(`StreamMasker: expected frame ${this.framesIn}, got ${block.first}`);
    this.addFrames(block);
    const runs: number[] = [];
    for (; this.nextRunEnd <= this.framesIn; this.nextRunEnd += this.latency.step) runs.push(this.nextRunEnd);
    await this.run(runs);
    const { lookahead, fade } = this.latency;
    return this.emit(Math.max(0, (runs.at(-1) ?? this.nextRunEnd - this.latency.step) - lookahead - fade));
  }

  /** No more frames: runs over the silence after the end until every frame's mask is final. */
  async end(): Promise<MaskedBlock> {
    if (this.ended) throw new Error('StreamMasker: end called twice');
    this.ended = true;
    const { lookahead, step, fade } = this.latency;
    const runs: number[] = [];
    for (; this.nextRunEnd - lookahead - step - fade < this.framesIn; this.nextRunEnd += step) runs.push(this.nextRunEnd);
    await this.run(runs);
    return this.emit(this.framesIn);
  }

  private addFrames(block: FrameBlock): void {
    const { F, bins } = this;
    const n = block.count;
    this.history = withCapacity(this.history, (this.framesIn + n - this.histBase) * F);
    for (let j = 0; j < n; j++) {
      const src = j * bins;
      const dst = (this.framesIn + j - this.histBase) * F;
      for (let k = 0; k < F; k++) {
        const a = block.re[src + k], b = block.im[src + k];
        this.history[dst + k] = Math.sqrt(a * a + b * b);
      }
    }
    const at = (this.framesIn - this.nextFinal) * bins;
    this.re = withCapacity(this.re, at + n * bins);
    this.im = withCapacity(this.im, at + n * bins);
    this.re.set(block.re.subarray(0, n * bins), at);
    this.im.set(block.im.subarray(0, n * bins), at);
    this.framesIn += n;
  }

  /** Runs the model on the patches ending at each of `ends` (together, so they batch) and adds their masks. */
  private async run(ends: number[]): Promise<void> {
    if (ends.length === 0) return;
    const inputs = ends.map((e) => this.patchInput(e));
    const masks = await Promise.all(inputs.map((input) => this.batcher.predict(input)));
    ends.forEach((e, i) => this.accumulate(e, masks[i]));
    // Later runs need frames from (next run end − T) on.
    const keepFrom = Math.max(this.histBase, this.nextRunEnd - this.T);
    const drop = Math.min(keepFrom, this.framesIn) - this.histBase;
    if (drop > 0) {
      this.history.copyWithin(0, drop * this.F, (this.framesIn - this.histBase) * this.F);
      this.histBase += drop;
    }
  }

  private patchInput(end: number): Float32Array {
    const { F, T } = this;
    const input = new Float32Array(F * T);
    let max = 0;
    for (let t = 0; t < T; t++) {
      const frame = end - T + t;
      if (frame < this.histBase || frame >= this.framesIn) continue; // before the start / after the end: silence
      const row = (frame - this.histBase) * F;
      for (let f = 0; f < F; f++) {
        const m = this.history[row + f];
        input[f * T + t] = m;
        if (m > max) max = m;
      }
    }
    normalisePatch(input, max);
    return input;
  }

  private accumulate(end: number, mask: Float32Array): void {
    const { F, T } = this;
    const { lookahead, step, fade } = this.latency;
    const regionStart = end - lookahead - step - fade;
    const need = (end - lookahead - this.nextFinal) * F;
    if (need > this.maskSum.length) {
      this.maskSum = withCapacity(this.maskSum, need);
      this.weightSum = withCapacity(this.weightSum, need / F);
    }
    for (let j = 0; j < step + fade; j++) {
      const frame = regionStart + j;
      if (frame < this.nextFinal || frame >= this.framesIn) continue;
      const w = this.weights[j];
      const t = frame - (end - T);
      const row = (frame - this.nextFinal) * F;
      for (let f = 0; f < F; f++) this.maskSum[row + f] += w * mask[f * T + t];
      this.weightSum[frame - this.nextFinal] += w;
    }
  }

  private emit(upTo: number): MaskedBlock {
    const { F, bins } = this;
    const first = this.nextFinal;
    const count = Math.max(0, Math.min(upTo, this.framesIn) - first);
    const mask = new Float32Array(count * bins);
    const modelFrame = new Float32Array(F);
    for (let j = 0; j < count; j++) {
      const norm = 1 / Math.max(this.weightSum[j], 1e-12);
      for (let f = 0; f < F; f++) modelFrame[f] = this.maskSum[j * F + f] * norm;
      extendMaskFrame(modelFrame, F, mask.subarray(j * bins, (j + 1) * bins));
    }
    const re = this.re.slice(0, count * bins);
    const im = this.im.slice(0, count * bins);
    // Shift everything left by `count` frames.
    this.re.copyWithin(0, count * bins);
    this.im.copyWithin(0, count * bins);
    this.maskSum.copyWithin(0, count * F);
    this.maskSum.fill(0, this.maskSum.length - count * F);
    this.weightSum.copyWithin(0, count);
    this.weightSum.fill(0, this.weightSum.length - count);
    this.nextFinal += count;
    return { first, count, re, im, mask };
  }
}
