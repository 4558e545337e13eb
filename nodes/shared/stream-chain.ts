/**
 * Stream mode of the one-step nodes (stft → unet mask → apply mask → istft): each keeps, per stream
 * key, the state its step needs between chunks, and passes chunks on as soon as they are final.
 * Chunks between them are the usual spectrogram / mask payloads covering frames
 * [firstFrame, firstFrame + frames) of the stream, with `length` the samples received so far
 * (the whole signal's length on the last chunk, the one with msg.complete). apply mask needs no
 * state: it works on such chunks as they are. The state is lib/stream's stages (the ones
 * StreamSeparator is made of), one per node; what is here is messages in and out.
 */
import type { Node, NodeAPI, NodeMessageInFlow } from 'node-red';
import type { FrameBlock } from '../../lib/dsp/stream-stft';
import type { Spectrogram, StftParams } from '../../lib/dsp/types';
import type { BackendHandle } from '../../lib/model/backends/types';
import { describePayload, isSpectrogram } from '../../lib/payloads';
import { DEFAULT_FRAMING, type ModelFraming } from '../../lib/model/signal-framing';
import type { Mask } from '../../lib/separate/types';
import { AudioToFrames } from '../../lib/stream/audio-to-frames';
import { ChannelMaskers } from '../../lib/stream/channel-maskers';
import { FramesToAudio } from '../../lib/stream/frames-to-audio';
import { LATENCY_PRESETS } from '../../lib/stream/latency';
import { MaskBatcher } from '../../lib/stream/mask-batcher';
import type { StreamFormat } from '../../lib/stream/stream-separator';
import type { Outputs } from './serve';
import { checkSameFormat, chunkOf, isLastChunk, nodeStreamRegistry, streamInfo, streamKeyReader, type StreamSettings } from './stream';
import { COMMON } from './common-strings';

export type SpectrogramChunk = Spectrogram & { firstFrame: number };
export type MaskChunk = Mask & { firstFrame: number };

/** Frames of every channel as one spectrogram chunk. */
function spectrogramChunk(blocks: FrameBlock[], params: StftParams, sampleRate: number, length: number): SpectrogramChunk {
  const bins = params.fftSize / 2 + 1;
  return {
    fftSize: params.fftSize, hop: params.hop, sampleRate, length, bins,
    frames: blocks[0]?.count ?? 0, firstFrame: blocks[0]?.first ?? 0,
    re: blocks.map((b) => b.re), im: blocks.map((b) => b.im),
  };
}

function chunkSpectrogram(RED: NodeAPI, msg: NodeMessageInFlow): SpectrogramChunk | null {
  const spec: unknown = msg.payload;
  if (isSpectrogram(spec) && typeof (spec as Partial<SpectrogramChunk>).firstFrame === 'number') return spec as SpectrogramChunk;
  if ((spec === undefined || spec === null || spec === '') && isLastChunk(msg)) return null;
  throw new Error(RED._(`${COMMON}.stream.errors.spectrogram`, { got: describePayload(spec) }));
}

/** A spectrogram chunk's frames, one block per channel. */
function framesOf(spec: SpectrogramChunk): FrameBlock[] {
  return spec.re.map((re, c) => ({ first: spec.firstFrame, count: spec.frames, re, im: spec.im[c] }));
}

interface StftState {
  frames: AudioToFrames;
  format: StreamFormat;
  dispose(): void;
}

/** The stft node in stream mode: audio / PCM chunks → spectrogram chunks (at 44.1 kHz if `toModelRate`). */
export function stftStreamStage(RED: NodeAPI, node: Node, settings: StreamSettings, params: StftParams, toModelRate: boolean) {
  const registry = nodeStreamRegistry<StftState>(RED, node, settings);
  const keyOf = streamKeyReader(RED, node, settings);
  return {
    close: () => registry.closeAll(),
    async work(msg: NodeMessageInFlow): Promise<Outputs> {
      const key = await keyOf(msg);
      const last = isLastChunk(msg);
      const chunk = registry.parseFor(key, () => chunkOf(RED, msg, settings));
      const format = chunk.channels.length > 0 ? chunk.format : { sampleRate: settings.sampleRate, channels: settings.channels };
      const { state, spec } = await registry.run(key, async () => {
        const frames = await AudioToFrames.create(format.channels, format.sampleRate, toModelRate ? DEFAULT_FRAMING.sampleRate : format.sampleRate, params);
        return { frames, format, dispose: () => frames.dispose() };
      }, async (st) => {
        checkSameFormat(RED, st.format, chunk);
        const x = chunk.channels.length > 0 ? chunk.channels : Array.from({ length: st.format.channels }, () => new Float32Array(0));
        const blocks = last ? st.frames.end(x) : st.frames.push(x);
        return { state: st, spec: spectrogramChunk(blocks, params, st.frames.frameRate, st.frames.length) };
      }, { last });
      if (spec.frames === 0 && !last) return [null];
      const info = streamInfo(key, spec.firstFrame, state.format, 0, last);
      return [{ ...msg, ...info, payload: spec, originalSampleRate: state.format.sampleRate }];
    },
  };
}

interface MaskState {
  maskers: ChannelMaskers;
  /** The spectrogram format the stream started with. */
  format: StreamFormat;
  dispose(): void;
}

/** The unet-mask node in stream mode: spectrogram chunks → mask chunks of the frames now final (and those frames in msg.spectrogram). */
export function maskStreamStage(RED: NodeAPI, node: Node, settings: StreamSettings, checkFraming: (spec: Spectrogram, framing: ModelFraming) => void) {
  const registry = nodeStreamRegistry<MaskState>(RED, node, settings);
  const keyOf = streamKeyReader(RED, node, settings);
  let batcher: MaskBatcher | undefined;
  return {
    close: () => registry.closeAll(),
    async work(msg: NodeMessageInFlow, backend: BackendHandle): Promise<Outputs> {
      const key = await keyOf(msg);
      const last = isLastChunk(msg);
      const spec = registry.parseFor(key, () => {
        const chunk = chunkSpectrogram(RED, msg);
        if (chunk) checkFraming(chunk, backend.framing);
        return chunk;
      });
      const b = (batcher ??= new MaskBatcher(backend));
      const channels = spec?.re.length ?? 0;
      const blocks = await registry.run(key, async () => ({
        maskers: new ChannelMaskers(b, channels, LATENCY_PRESETS[settings.latency]),
        format: { sampleRate: spec?.sampleRate ?? 0, channels },
        dispose: () => undefined,
      }), async (st) => {
        if (spec && (spec.re.length !== st.format.channels || spec.sampleRate !== st.format.sampleRate)) {
          throw new Error(RED._(`${COMMON}.stream.errors.formatChanged`, { rate: spec.sampleRate, channels: spec.re.length, firstRate: st.format.sampleRate, firstChannels: st.format.channels }));
        }
        const frames = spec ? framesOf(spec) : undefined;
        return last ? st.maskers.end(frames) : st.maskers.push(frames ?? []);
      }, { last });
      const count = blocks[0]?.count ?? 0;
      if (count === 0 && !last) return [null];
      const length = spec?.length ?? 0;
      const frames = spectrogramChunk(blocks, backend.framing, backend.framing.sampleRate, length);
      const bins = backend.framing.fftSize / 2 + 1;
      const mask: MaskChunk = { fftSize: frames.fftSize, hop: frames.hop, sampleRate: frames.sampleRate, length, frames: count, bins, firstFrame: frames.firstFrame, vocals: blocks.map((bl) => bl.mask) };
      const info = last ? { complete: true } : {};
      return [{ ...msg, ...info, payload: mask, spectrogram: frames }];
    },
  };
}

interface IstftState {
  audio: FramesToAudio;
  produced: number;
  dispose(): void;
}

/** The istft node in stream mode: spectrogram chunks → audio chunks of the samples now final (back at msg.originalSampleRate if `toOriginal`). */
export function istftStreamStage(RED: NodeAPI, node: Node, settings: StreamSettings, toOriginal: boolean) {
  const registry = nodeStreamRegistry<IstftState>(RED, node, settings);
  const keyOf = streamKeyReader(RED, node, settings);
  return {
    close: () => registry.closeAll(),
    async work(msg: NodeMessageInFlow): Promise<Outputs> {
      const key = await keyOf(msg);
      const last = isLastChunk(msg);
      const spec = registry.parseFor(key, () => chunkSpectrogram(RED, msg));
      const original = (msg as { originalSampleRate?: unknown }).originalSampleRate;
      const specRate = spec?.sampleRate ?? DEFAULT_FRAMING.sampleRate;
      const outRate = toOriginal && typeof original === 'number' && Number.isInteger(original) && original >= 8000 && original <= 192000 ? original : specRate;
      const channels = spec?.re.length ?? 0;
      const params = { fftSize: spec?.fftSize ?? DEFAULT_FRAMING.fftSize, hop: spec?.hop ?? DEFAULT_FRAMING.hop };
      const { audio, first } = await registry.run(key, async () => {
        const audio = await FramesToAudio.create(channels, params, specRate, outRate);
        return { audio, produced: 0, dispose: () => audio.dispose() };
      }, async (st) => {
        const frames = spec ? framesOf(spec) : null;
        // Without a spectrogram on the last message the signal's length is unknown: only what is already final comes out.
        const out = last ? st.audio.end(frames, spec?.length ?? 0) : st.audio.push(frames ?? []);
        const at = st.produced;
        st.produced += out[0]?.length ?? 0;
        return { audio: out, first: at };
      }, { last });
      if ((audio[0]?.length ?? 0) === 0 && !last) return [null];
      const info = streamInfo(key, first, { sampleRate: outRate, channels }, 0, last);
      return [{ ...msg, ...info, payload: { sampleRate: outRate, channels: audio } }];
    },
  };
}
