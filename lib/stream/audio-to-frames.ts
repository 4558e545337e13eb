/**
 * The first stage of a live stream's chain: audio chunks in, each channel's STFT frames out as
 * soon as they are complete, the audio first resampled to the frames' rate (the model's) when the
 * stream comes at another. StreamSeparator and the stft node's stream mode both run it.
 */
import { StreamResampler } from '../audio/stream-resample';
import { MODEL_RESAMPLING } from '../model/signal-framing';
import { concatFrameBlocks, StreamStft, type FrameBlock } from '../dsp/stream-stft';
import type { StftParams } from '../dsp/types';

export class AudioToFrames {
  private samples = 0;

  private constructor(private readonly stft: StreamStft[], private readonly resampler: StreamResampler | null, readonly frameRate: number) {}

  /** `channels` of audio at `sourceRate` → frames of `params` at `frameRate`. */
  static async create(channels: number, sourceRate: number, frameRate: number, params: StftParams): Promise<AudioToFrames> {
    const resampler = sourceRate !== frameRate ? await StreamResampler.create(channels, sourceRate, frameRate, MODEL_RESAMPLING.quality) : null;
    return new AudioToFrames(Array.from({ length: channels }, () => new StreamStft(params)), resampler, frameRate);
  }

  /** Samples (at the frames' rate) framed so far: the signal's length once it has ended. */
  get length(): number {
    return this.samples;
  }

  /** Adds a chunk (one array per channel); returns, per channel, the frames it completed (possibly none). */
  push(chunk: Float32Array[]): FrameBlock[] {
    const x = this.resampler ? this.resampler.push(chunk) : chunk;
    this.samples += x[0].length;
    return this.stft.map((s, c) => s.push(x[c]));
  }

  /** The signal ends (after `chunk`, if given): the frames left, up to the whole-signal STFT's last. */
  end(chunk?: Float32Array[]): FrameBlock[] {
    const head = chunk ? this.push(chunk) : null;
    const tail = this.resampler?.end() ?? null;
    if (tail) this.samples += tail[0].length;
    return this.stft.map((s, c) => {
      const rest = tail ? concatFrameBlocks(s.push(tail[c]), s.end()) : s.end();
      return head ? concatFrameBlocks(head[c], rest) : rest;
    });
  }

  /** Frees the resampler. Idempotent. */
  dispose(): void {
    this.resampler?.destroy();
  }
}
