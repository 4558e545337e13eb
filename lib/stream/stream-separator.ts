/**
 * One live stream's separation: chunks of audio in, the vocals and accompaniment of the samples
 * that are final out, in order, as one continuous signal. The chain per channel is the offline
 * separator's (resample to the model's rate, STFT with the model's framing, U-Net mask, soft mask,
 * iSTFT, resample back, accompaniment = mixture − vocals), with the state each step needs carried
 * between chunks: the stages AudioToFrames → ChannelMaskers → FramesToAudio, which the one-step
 * nodes' stream mode runs one per node.
 */
import { concatSamples } from '../audio/sample-arrays';
import { findAudioProblem } from '../audio/validate';
import { loadFastFft } from '../dsp/fft-engine';
import { InvalidArgumentError } from '../errors';
import { MAX_RATE, MIN_RATE, type ModelFraming } from '../model/signal-framing';
import { applyMaskInPlace, complement } from '../separate/apply-mask';
import { AudioToFrames } from './audio-to-frames';
import { ChannelMaskers } from './channel-maskers';
import { FramesToAudio } from './frames-to-audio';
import { DEFAULT_LATENCY, LATENCY_PRESETS, latencySeconds, type StreamLatency } from './latency';
import type { PatchPredictor } from './mask-batcher';
import type { MaskedBlock } from './stream-masker';

export interface StreamFormat {
  sampleRate: number;
  channels: number;
}

/** Consecutive output samples of both stems, from sample `first` (of the stream, at its own rate). */
export interface StreamOutput {
  first: number;
  vocals: Float32Array[];
  accompaniment: Float32Array[];
}

export const MAX_STREAM_CHANNELS = 8;

export class StreamSeparator {
  readonly latency: StreamLatency;
  /** The model's sample rate and STFT, which the stream is resampled and framed to. */
  readonly framing: ModelFraming;
  private readonly maskers: ChannelMaskers;
  /** Input samples not yet matched by output (for accompaniment = mixture − vocals). */
  private pendingMix: Float32Array[];
  /** Vocals already out of the iSTFT (and resampler) but ahead of the input by rounding. */
  private pendingVocals: Float32Array[];
  private received = 0;
  private emitted = 0;
  private ended = false;

  private constructor(readonly format: StreamFormat, batcher: PatchPredictor, latency: StreamLatency,
    private readonly toFrames: AudioToFrames, private readonly toAudio: FramesToAudio) {
    this.latency = latency;
    this.framing = batcher.backend.framing;
    this.maskers = new ChannelMaskers(batcher, format.channels, latency);
    this.pendingMix = Array.from({ length: format.channels }, () => new Float32Array(0));
    this.pendingVocals = Array.from({ length: format.channels }, () => new Float32Array(0));
  }

  static async create(format: StreamFormat, batcher: PatchPredictor, latency: StreamLatency = LATENCY_PRESETS[DEFAULT_LATENCY]): Promise<StreamSeparator> {
    const { sampleRate, channels } = format;
    if (!Number.isInteger(channels) || channels < 1 || channels > MAX_STREAM_CHANNELS) {
      throw new InvalidArgumentError('BAD_CHANNELS', `a stream needs 1 to ${MAX_STREAM_CHANNELS} channels, got ${String(channels)}`);
    }
    if (!Number.isInteger(sampleRate) || sampleRate < MIN_RATE || sampleRate > MAX_RATE) {
      throw new InvalidArgumentError('BAD_SAMPLE_RATE', `a stream's sample rate must be an integer in ${MIN_RATE}..${MAX_RATE} Hz, got ${String(sampleRate)}`);
    }
    await loadFastFft(); // before this thread's first transform (fft-engine.ts)
    const framing = batcher.backend.framing;
    const toFrames = await AudioToFrames.create(channels, sampleRate, framing.sampleRate, framing);
    try {
      return new StreamSeparator(format, batcher, latency, toFrames, await FramesToAudio.create(channels, framing, framing.sampleRate, sampleRate));
    } catch (err) {
      toFrames.dispose();
      throw err;
    }
  }

  /** Worst-case algorithmic latency in seconds (the resamplers' few milliseconds not counted). */
  get latencySeconds(): number {
    return latencySeconds(this.latency, this.framing.fftSize, this.framing.hop, this.framing.sampleRate);
  }

  get samplesIn(): number {
    return this.received;
  }

  /** Adds a chunk (one Float32Array per channel, same length); resolves with the samples now final. */
  async push(chunk: Float32Array[]): Promise<StreamOutput> {
    if (this.ended) throw new InvalidArgumentError('STREAM_ENDED', 'this stream has ended');
    this.checkChunk(chunk);
    this.received += chunk[0].length;
    this.pendingMix = this.pendingMix.map((p, c) => concatSamples([p, chunk[c]]));
    const masked = await this.maskers.push(this.toFrames.push(chunk));
    return this.output(this.toAudio.push(masked.map(applyMask)), false);
  }

  /** The stream ended: the rest of both stems. */
  async end(): Promise<StreamOutput> {
    if (this.ended) throw new InvalidArgumentError('STREAM_ENDED', 'this stream has ended');
    this.ended = true;
    const masked = await this.maskers.end(this.toFrames.end());
    // Back at the stream's rate, the resampler's real output up to the input's length: a round trip
    // through the model's rate can come back a sample short (resample.ts), and that sample is not a zero.
    return this.output(this.toAudio.end(masked.map(applyMask), this.toFrames.length, this.received), true);
  }

  /** Frees the resamplers' converters. Idempotent. */
  dispose(): void {
    this.toFrames.dispose();
    this.toAudio.dispose();
  }

  private output(newVocals: Float32Array[], final: boolean): StreamOutput {
    const vocals = newVocals.map((v, c) => concatSamples([this.pendingVocals[c], v]));
    // Output never runs ahead of the input; at the end it is exactly as long.
    const count = final ? this.received - this.emitted : Math.min(vocals[0].length, this.received - this.emitted);
    if (vocals[0].length < count) {
      throw new Error(`StreamSeparator: ${vocals[0].length} vocal samples for the ${count} the stream still owes`);
    }
    this.pendingVocals = vocals.map((v) => v.slice(count));
    const owed = vocals.map((v) => (v.length === count ? v : v.slice(0, count)));
    const accompaniment = owed.map((v, c) => {
      const mix = this.pendingMix[c];
      this.pendingMix[c] = mix.slice(count);
      return complement(mix.subarray(0, count), v);
    });
    const first = this.emitted;
    this.emitted += count;
    return { first, vocals: owed, accompaniment };
  }

  private checkChunk(chunk: Float32Array[]): void {
    if (!Array.isArray(chunk) || chunk.length !== this.format.channels) {
      throw new InvalidArgumentError('BAD_CHUNK', `this stream has ${this.format.channels} channel(s); the chunk has ${Array.isArray(chunk) ? chunk.length : 'none'}`);
    }
    const problem = findAudioProblem({ sampleRate: this.format.sampleRate, channels: chunk });
    if (problem) throw new InvalidArgumentError('BAD_CHUNK', `chunk: ${problem.message}`);
  }
}

function applyMask(block: MaskedBlock): MaskedBlock {
  applyMaskInPlace(block.re, block.im, block.mask, block.mask.length);
  return block;
}
