/**
 * Stream mode of the one-step nodes (stft → unet mask → apply mask → istft): each keeps, per stream
 * key, the state its step needs between chunks, and passes chunks on as soon as they are final.
 * Chunks between them are the usual spectrogram / mask payloads covering frames
 * [firstFrame, firstFrame + frames) of the stream, with `length` the samples received so far
 * (the whole signal's length on the last chunk, the one with msg.complete). apply mask needs no
 * state: it works on such chunks as they are.
 */
import type { Node, NodeAPI, NodeMessageInFlow } from 'node-red';
import { concatChannels, concatSamples } from '../../lib/audio/sample-arrays';
import { StreamResampler } from '../../lib/audio/stream-resample';
import type { Spectrogram, StftParams } from '../../lib/dsp/types';
import type { BackendHandle } from '../../lib/model/backends/types';
import { describePayload, isSpectrogram } from '../../lib/payloads';
import { DEFAULT_FRAMING, MODEL_RESAMPLING, type ModelFraming } from '../../lib/model/signal-framing';
import type { Mask } from '../../lib/separate/types';
import { LATENCY_PRESETS } from '../../lib/stream/latency';
import { MaskBatcher } from '../../lib/stream/mask-batcher';
import { StreamIstft } from '../../lib/dsp/stream-istft';
import { StreamMasker, type MaskedBlock } from '../../lib/stream/stream-masker';
import { StreamStft, type FrameBlock } from '../../lib/dsp/stream-stft';
import type { Outputs } from './serve';
import { checkSameFormat, chunkOf, isLastChunk, nodeStreamRegistry, streamInfo, streamKeyOf, type StreamSettings } from './stream';
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

function joinBlocks<B extends FrameBlock>(a: B, b: B, extra?: (x: B, y: B) => Partial<B>): B {
  return { ...a, count: a.count + b.count, re: concatSamples([a.re, b.re]), im: concatSamples([a.im, b.im]), ...(extra?.(a, b) ?? {}) };
}

function chunkSpectrogram(RED: NodeAPI, msg: NodeMessageInFlow): SpectrogramChunk | null {
  const spec: unknown = msg.payload;
  if (isSpectrogram(spec) && typeof (spec as Partial<SpectrogramChunk>).firstFrame === 'number') return spec as SpectrogramChunk;
  if ((spec === undefined || spec === null || spec === '') && isLastChunk(msg)) return null;
  throw new Error(RED._(`${COMMON}.stream.errors.spectrogram`, { got: describePayload(spec) }));
}

interface StftState {
  stft: StreamStft[];
  resampler: StreamResampler | null;
  format: { sampleRate: number; channels: number };
  length: number;
  dispose(): void;
}

/** The stft node in stream mode: audio / PCM chunks → spectrogram chunks (at 44.1 kHz if `toModelRate`). */
export function stftStreamStage(RED: NodeAPI, node: Node, settings: StreamSettings, params: StftParams, toModelRate: boolean) {
  const registry = nodeStreamRegistry<StftState>(RED, node, settings);
  return {
    close: () => registry.closeAll(),
    async work(msg: NodeMessageInFlow): Promise<Outputs> {
      const key = streamKeyOf(RED, msg, settings.key);
      const last = isLastChunk(msg);
      const chunk = registry.parseFor(key, () => chunkOf(RED, msg, settings));
      const format = chunk.channels.length > 0 ? chunk.format : { sampleRate: settings.sampleRate, channels: settings.channels };
      const { state, spec } = await registry.run(key, async () => {
        const resampler = toModelRate && format.sampleRate !== DEFAULT_FRAMING.sampleRate
          ? await StreamResampler.create(format.channels, format.sampleRate, DEFAULT_FRAMING.sampleRate, MODEL_RESAMPLING.quality) : null;
        return { stft: Array.from({ length: format.channels }, () => new StreamStft(params)), resampler, format, length: 0, dispose: () => resampler?.destroy() };
      }, async (st) => {
        checkSameFormat(RED, st.format, chunk);
        let x = chunk.channels.length > 0 ? chunk.channels : st.format.channels > 0 ? st.stft.map(() => new Float32Array(0)) : [];
        if (st.resampler) x = st.resampler.push(x);
        if (last && st.resampler) x = concatChannels([x, st.resampler.end()], x.length);
        st.length += x[0]?.length ?? 0;
        let blocks = st.stft.map((s, c) => s.push(x[c]));
        if (last) blocks = blocks.map((b, c) => joinBlocks(b, st.stft[c].end()));
        const rate = st.resampler ? DEFAULT_FRAMING.sampleRate : st.format.sampleRate;
        return { state: st, spec: spectrogramChunk(blocks, params, rate, st.length) };
      }, { last });
      if (spec.frames === 0 && !last) return [null];
      const info = streamInfo(key, spec.firstFrame, state.format, 0, last);
      return [{ ...msg, ...info, payload: spec, originalSampleRate: state.format.sampleRate }];
    },
  };
}

interface MaskState {
  maskers: StreamMasker[];
  /** The spectrogram format the stream started with. */
  format: { sampleRate: number; channels: number };
  dispose(): void;
}

/** The unet-mask node in stream mode: spectrogram chunks → mask chunks of the frames now final (and those frames in msg.spectrogram). */
export function maskStreamStage(RED: NodeAPI, node: Node, settings: StreamSettings, checkFraming: (spec: Spectrogram, framing: ModelFraming) => void) {
  const registry = nodeStreamRegistry<MaskState>(RED, node, settings);
  let batcher: MaskBatcher | undefined;
  return {
    close: () => registry.closeAll(),
    async work(msg: NodeMessageInFlow, backend: BackendHandle): Promise<Outputs> {
      const key = streamKeyOf(RED, msg, settings.key);
      const last = isLastChunk(msg);
      const spec = registry.parseFor(key, () => {
        const chunk = chunkSpectrogram(RED, msg);
        if (chunk) checkFraming(chunk, backend.framing);
        return chunk;
      });
      const b = (batcher ??= new MaskBatcher(backend));
      const latency = LATENCY_PRESETS[settings.latency];
      const bins = backend.framing.fftSize / 2 + 1;
      const channels = spec?.re.length ?? 0;
      const blocks = await registry.run(key, async () => ({
        maskers: Array.from({ length: channels }, () => new StreamMasker(b, bins, latency)),
        format: { sampleRate: spec?.sampleRate ?? 0, channels },
        dispose: () => undefined,
      }), async (st) => {
        if (spec && (spec.re.length !== st.format.channels || spec.sampleRate !== st.format.sampleRate)) {
          throw new Error(RED._(`${COMMON}.stream.errors.formatChanged`, { rate: spec.sampleRate, channels: spec.re.length, firstRate: st.format.sampleRate, firstChannels: st.format.channels }));
        }
        return Promise.all(st.maskers.map(async (m, c) => {
          let out: MaskedBlock = spec ? await m.push({ first: spec.firstFrame, count: spec.frames, re: spec.re[c], im: spec.im[c] }) : { first: 0, count: 0, re: new Float32Array(0), im: new Float32Array(0), mask: new Float32Array(0) };
          if (last) {
            const rest = await m.end();
            out = out.count === 0 ? rest : joinBlocks(out, rest, (x, y) => ({ mask: concatSamples([x.mask, y.mask]) }));
          }
          return out;
        }));
      }, { last });
      const count = blocks[0]?.count ?? 0;
      if (count === 0 && !last) return [null];
      const length = spec?.length ?? 0;
      const frames = spectrogramChunk(blocks, backend.framing, backend.framing.sampleRate, length);
      const mask: MaskChunk = { fftSize: frames.fftSize, hop: frames.hop, sampleRate: frames.sampleRate, length, frames: count, bins, firstFrame: frames.firstFrame, vocals: blocks.map((bl) => bl.mask) };
      const info = last ? { complete: true } : {};
      return [{ ...msg, ...info, payload: mask, spectrogram: frames }];
    },
  };
}

interface IstftState {
  istft: StreamIstft[];
  resampler: StreamResampler | null;
  produced: number;
  dispose(): void;
}

/** The istft node in stream mode: spectrogram chunks → audio chunks of the samples now final (back at msg.originalSampleRate if `toOriginal`). */
export function istftStreamStage(RED: NodeAPI, node: Node, settings: StreamSettings, toOriginal: boolean) {
  const registry = nodeStreamRegistry<IstftState>(RED, node, settings);
  return {
    close: () => registry.closeAll(),
    async work(msg: NodeMessageInFlow): Promise<Outputs> {
      const key = streamKeyOf(RED, msg, settings.key);
      const last = isLastChunk(msg);
      const spec = registry.parseFor(key, () => chunkSpectrogram(RED, msg));
      const original = (msg as { originalSampleRate?: unknown }).originalSampleRate;
      const specRate = spec?.sampleRate ?? DEFAULT_FRAMING.sampleRate;
      const outRate = toOriginal && typeof original === 'number' && Number.isInteger(original) && original >= 8000 && original <= 192000 ? original : specRate;
      const channels = spec?.re.length ?? 0;
      const params = { fftSize: spec?.fftSize ?? DEFAULT_FRAMING.fftSize, hop: spec?.hop ?? DEFAULT_FRAMING.hop };
      const { audio, first } = await registry.run(key, async () => {
        const resampler = outRate !== specRate ? await StreamResampler.create(channels, specRate, outRate, MODEL_RESAMPLING.quality) : null;
        return { istft: Array.from({ length: channels }, () => new StreamIstft(params)), resampler, produced: 0, dispose: () => resampler?.destroy() };
      }, async (st) => {
        const length = last ? spec?.length ?? Infinity : Infinity;
        let out = st.istft.map((s, c) => (spec ? s.push({ first: spec.firstFrame, count: spec.frames, re: spec.re[c], im: spec.im[c] }, length) : new Float32Array(0)));
        if (last) out = out.map((o, c) => concatSamples([o, st.istft[c].end(Number.isFinite(length) ? length : 0)]));
        if (st.resampler) {
          out = st.resampler.push(out);
          if (last) out = concatChannels([out, st.resampler.end()], out.length);
        }
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
