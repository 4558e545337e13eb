/**
 * The mask stage of a live stream's chain: one StreamMasker per channel, fed each channel's frames
 * together, so their patches go to the model in the same batch. StreamSeparator and the unet-mask
 * node's stream mode both run it.
 */
import { concatSamples } from '../audio/sample-arrays';
import { concatFrameBlocks, type FrameBlock } from '../dsp/stream-stft';
import type { StreamLatency } from './latency';
import type { PatchPredictor } from './mask-batcher';
import { StreamMasker, type MaskedBlock } from './stream-masker';

export class ChannelMaskers {
  private readonly maskers: StreamMasker[];

  constructor(predictor: PatchPredictor, channels: number, latency: StreamLatency) {
    const bins = predictor.backend.framing.fftSize / 2 + 1;
    this.maskers = Array.from({ length: channels }, () => new StreamMasker(predictor, bins, latency));
  }

  /** Adds each channel's next frames; resolves with the frames whose mask became final (possibly none). */
  push(blocks: FrameBlock[]): Promise<MaskedBlock[]> {
    return Promise.all(this.maskers.map((m, c) => m.push(blocks[c])));
  }

  /** The stream ends (after `blocks`, if given): every frame left, with its mask. */
  end(blocks?: FrameBlock[]): Promise<MaskedBlock[]> {
    return Promise.all(this.maskers.map(async (m, c) => {
      const head = blocks ? await m.push(blocks[c]) : null;
      const rest = await m.end();
      return head && head.count > 0 ? { ...concatFrameBlocks(head, rest), mask: concatSamples([head.mask, rest.mask]) } : rest;
    }));
  }
}
