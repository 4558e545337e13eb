/**
 * The last stage of a live stream's chain: each channel's STFT frames in, in order, the samples
 * their inverse STFT makes final out, resampled from the frames' rate back to the stream's when
 * they differ. StreamSeparator and the istft node's stream mode both run it.
 */
import { concatChannels } from '../audio/sample-arrays';
import { StreamResampler } from '../audio/stream-resample';
import { StreamIstft } from '../dsp/stream-istft';
import type { FrameBlock } from '../dsp/stream-stft';
import type { StftParams } from '../dsp/types';
import { MODEL_RESAMPLING } from '../model/signal-framing';

export class FramesToAudio {
  private constructor(private readonly istft: StreamIstft[], private readonly resampler: StreamResampler | null) {}

  /** Frames of `params` at `frameRate` → `channels` of audio at `outputRate`. */
  static async create(channels: number, params: StftParams, frameRate: number, outputRate: number): Promise<FramesToAudio> {
    const resampler = frameRate !== outputRate ? await StreamResampler.create(channels, frameRate, outputRate, MODEL_RESAMPLING.quality) : null;
    return new FramesToAudio(Array.from({ length: channels }, () => new StreamIstft(params)), resampler);
  }

  /**
   * Adds each channel's next frames; returns the samples now final. `length`: the signal's length
   * at the frames' rate, once known (nothing at or past it comes out).
   */
  push(blocks: FrameBlock[], length = Infinity): Float32Array[] {
    const out = this.istft.map((s, c) => s.push(blocks[c], length));
    return this.resampler ? this.resampler.push(out) : out;
  }

  /**
   * The last frames (if any) are in: the rest of the signal, `length` samples in all at the frames'
   * rate, and `total` samples in all at the output rate when resampled (by default
   * round(length · out / in), as resample() gives; a round trip that must end at its input's length
   * asks for that length, and gets the resampler's real output, not zeros).
   */
  end(blocks: FrameBlock[] | null, length: number, total?: number): Float32Array[] {
    const head = blocks ? this.istft.map((s, c) => s.push(blocks[c], length)) : [];
    const atFrameRate = concatChannels([head, this.istft.map((s) => s.end(length))], this.istft.length);
    if (!this.resampler) return atFrameRate;
    return concatChannels([this.resampler.push(atFrameRate), this.resampler.end(total)], this.istft.length);
  }

  /** Frees the resampler. Idempotent. */
  dispose(): void {
    this.resampler?.destroy();
  }
}
