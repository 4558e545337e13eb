/**
 * The pool's worker script (dist/lib/workers/audio-worker.js): decodes, resamples, separates
 * (STFT, masks from the main thread's inference engine, soft masks, iSTFT, complement) and encodes
 * whole songs, runs the chain nodes' steps one at a time (STFT, mask, iSTFT), and keeps the state
 * of the live streams given to it. See audio-protocol.ts.
 */
import { promises as fs } from 'node:fs';
import { decodeAudioFileWithInfo, decodeAudioWithInfo, type DecodeOptions } from '../audio/decode';
import { encodeWav, WavBuilder } from '../audio/encode';
import { toRate } from '../audio/output';
import { resample } from '../audio/resample';
import type { AudioData } from '../audio/types';
import { assertAudio } from '../audio/validate';
import { istftAsync, stftAsync } from '../dsp/async';
import { VocalSplitError } from '../errors';
import { MODEL_RESAMPLING } from '../model/signal-framing';
import { computeMask, separate } from '../separate/separator';
import { isModelRateWav, separateWavFile } from '../separate/separate-wav-file';
import { MaskBatcher, type PatchPredictor } from '../stream/mask-batcher';
import { StreamSeparator } from '../stream/stream-separator';
import type { AudioSource, AudioTask, PredictRequest, RemoteModel, SeparateResult, SkippedEvent, StemOutput, StemPayload, StreamChunkResult } from './audio-protocol';
import type { Transferring } from './pool';
import { separateOnTwoThreads, startChannelHelper } from './channel-split';
import { RemoteBackend, type AskMain } from './remote-backend';
import { IS_FILE_LANE, owned, requestMain, serveTasks, transferable, type TaskContext } from './worker-host';

/** The source's audio; damage the decoder skipped (an MP3's bad middle) is told to the caller as an event. */
async function audioOf(source: AudioSource, limits: DecodeOptions, ctx: TaskContext): Promise<AudioData> {
  if (source.kind === 'audio') return source.audio;
  const decoded = source.kind === 'bytes' ? await decodeAudioWithInfo(source.bytes, limits) : await decodeAudioFileWithInfo(source.path, limits);
  if (decoded.skipped) ctx.emit({ skipped: decoded.skipped.message } satisfies SkippedEvent);
  return decoded.audio;
}

async function stemPayload(audio: AudioData, output: StemOutput): Promise<StemPayload> {
  const atRate = await toRate(audio, { sampleRate: output.sampleRate });
  if (output.kind === 'audio') return { kind: 'audio', audio: { sampleRate: atRate.sampleRate, channels: atRate.channels.map(owned) } };
  return wavPayload(encodeWav(atRate, { bitDepth: output.bitDepth }));
}

function wavPayload(wav: Buffer): StemPayload {
  return { kind: 'wav', bytes: owned(new Uint8Array(wav.buffer, wav.byteOffset, wav.byteLength)) };
}

function buffersOf(payload: StemPayload): ArrayBufferView[] {
  return payload.kind === 'wav' ? [payload.bytes] : payload.audio.channels;
}

/** Masks for a task's patches, from the main thread's inference engine. */
function asker(ctx: TaskContext): AskMain {
  return (request, transfer) => ctx.request<Float32Array>(request satisfies PredictRequest, transfer);
}

function remote(model: RemoteModel, ctx: TaskContext): RemoteBackend {
  return new RemoteBackend(model, asker(ctx));
}

/** `audio` at `sampleRate` (the model's resampling), or as it is when no rate is asked for. */
function atRate(audio: AudioData, sampleRate: number | undefined): Promise<AudioData> | AudioData {
  return sampleRate === undefined || sampleRate === audio.sampleRate ? audio : resample(audio, sampleRate, MODEL_RESAMPLING);
}

// ------------------------------------------------------------------------------------ live streams

interface LiveStream {
  separator: StreamSeparator;
  model: number;
  /** Aborted when the stream is closed or its requester went away: its masker asks for nothing more. */
  closed: AbortController;
}

const streams = new Map<number, LiveStream>();
/** One batcher per backend: patches of every stream on it go to the main thread together. */
const batchers = new Map<number, { batcher: MaskBatcher; streams: number }>();

function batcherFor(model: RemoteModel): MaskBatcher {
  let entry = batchers.get(model.key);
  if (!entry) {
    const backend = new RemoteBackend(model, (request, transfer) => requestMain<Float32Array>(request satisfies PredictRequest, transfer));
    entry = { batcher: new MaskBatcher(backend), streams: 0 };
    batchers.set(model.key, entry);
  }
  entry.streams++;
  return entry.batcher;
}

function liveStream(id: number): LiveStream {
  const s = streams.get(id);
  // A worker that crashed and was replaced knows none of the streams its predecessor held.
  if (!s) throw new VocalSplitError('STREAM_LOST', 'the live stream was lost (its worker restarted); its next chunk starts it again');
  return s;
}

function closeStream(id: number): void {
  const s = streams.get(id);
  if (!s) return;
  s.closed.abort();
  streams.delete(id);
  s.separator.dispose();
  const entry = batchers.get(s.model);
  if (entry && --entry.streams === 0) batchers.delete(s.model);
}

function chunkResult(out: StreamChunkResult): Transferring<StreamChunkResult> {
  const value = { first: out.first, vocals: out.vocals.map(owned), accompaniment: out.accompaniment.map(owned) };
  return { value, transfer: transferable([...value.vocals, ...value.accompaniment]) };
}

// ------------------------------------------------------------------------------------ tasks

async function handle(raw: unknown, ctx: TaskContext): Promise<Transferring<unknown>> {
  const task = raw as AudioTask;
  switch (task.type) {
    case 'decode': {
      const audio = await audioOf(task.source, task.limits, ctx);
      const value: AudioData = { sampleRate: audio.sampleRate, channels: audio.channels.map(owned) };
      return { value, transfer: transferable(value.channels) };
    }
    case 'encode': {
      const value = await stemPayload(task.audio, task.output);
      return { value, transfer: transferable(buffersOf(value)) };
    }
    case 'separate': {
      const audio = await audioOf(task.source, task.limits, ctx);
      const { output } = task;
      // WAV at the song's own rate: both stems are encoded as their samples become final, while the
      // rest of the song is still being separated (the inference engine is busy then, not this thread's core).
      const early = output.kind === 'wav' && (output.sampleRate ?? audio.sampleRate) === audio.sampleRate
        ? { vocals: new WavBuilder(audio.sampleRate, audio.channels.length, audio.channels[0].length, output),
          accompaniment: new WavBuilder(audio.sampleRate, audio.channels.length, audio.channels[0].length, output), written: 0 }
        : undefined;
      const stems = await separateOnTwoThreads(audio, task.model, asker(ctx), {
        batchSize: task.batchSize,
        signal: ctx.signal,
        onProgress: (progress) => ctx.emit({ progress }),
        onFinalSamples: early && ((final, upTo) => {
          early.vocals.write(final.vocals.channels, early.written, upTo);
          early.accompaniment.write(final.accompaniment.channels, early.written, upTo);
          early.written = upTo;
        }),
      });
      const value: SeparateResult = early
        ? { vocals: wavPayload(early.vocals.bytes), accompaniment: wavPayload(early.accompaniment.bytes) }
        : { vocals: await stemPayload(stems.vocals, output), accompaniment: await stemPayload(stems.accompaniment, output) };
      return { value, transfer: transferable([...buffersOf(value.vocals), ...buffersOf(value.accompaniment)]) };
    }
    case 'stft': {
      assertAudio(task.audio);
      const spec = await stftAsync(await atRate(task.audio, task.sampleRate), task.params, { onProgress: (progress) => ctx.emit({ progress }) });
      return { value: spec, transfer: transferable([...spec.re, ...spec.im]) };
    }
    case 'mask': {
      const mask = await computeMask(task.spec, remote(task.model, ctx), {
        batchSize: task.batchSize,
        signal: ctx.signal,
        onProgress: (progress) => ctx.emit({ progress }),
      });
      return { value: mask, transfer: transferable(mask.vocals) };
    }
    case 'istft': {
      const audio = await atRate(await istftAsync(task.spec, { onProgress: (progress) => ctx.emit({ progress }) }), task.sampleRate);
      const value: AudioData = { sampleRate: audio.sampleRate, channels: audio.channels.map(owned) };
      return { value, transfer: transferable(value.channels) };
    }
    case 'separate-files': {
      const backend = remote(task.model, ctx);
      const options = { batchSize: task.batchSize, signal: ctx.signal, onProgress: (progress: number) => ctx.emit({ progress }) };
      // A PCM WAV at the model's rate goes straight from file to files in bounded memory; anything else is decoded whole.
      if (/\.wav$/i.test(task.input) && await isModelRateWav(task.input, backend.framing.sampleRate)) {
        const seconds = await separateWavFile(task.input, task.outputs, backend, { ...options, bitDepth: task.bitDepth });
        if (seconds !== false) return { value: seconds };
      }
      const audio = await audioOf({ kind: 'file', path: task.input }, {}, ctx);
      const stems = await separateOnTwoThreads(audio, task.model, asker(ctx), options);
      await fs.writeFile(task.outputs.vocals, encodeWav(stems.vocals, { bitDepth: task.bitDepth }));
      await fs.writeFile(task.outputs.accompaniment, encodeWav(stems.accompaniment, { bitDepth: task.bitDepth }));
      return { value: audio.channels[0].length / audio.sampleRate };
    }
    case 'stream-open': {
      closeStream(task.stream);
      const batcher = batcherFor(task.model);
      const state = { closed: new AbortController() };
      // The shared batcher, but a closed stream's chunk in progress stops at its next patch.
      const predictor: PatchPredictor = {
        backend: batcher.backend,
        predict: (input) => (state.closed.signal.aborted
          ? Promise.reject(new VocalSplitError('ABORTED', 'the live stream was closed'))
          : batcher.predict(input, state.closed.signal)),
      };
      try {
        const separator = await StreamSeparator.create(task.format, predictor, task.latency);
        streams.set(task.stream, Object.assign(state, { separator, model: task.model.key }));
        return { value: separator.latencySeconds };
      } catch (err) {
        const entry = batchers.get(task.model.key);
        if (entry && --entry.streams === 0) batchers.delete(task.model.key);
        throw err;
      }
    }
    case 'stream-push': {
      // A chunk whose requester went away leaves the stream with a hole: it is closed, not continued.
      ctx.signal.addEventListener('abort', () => closeStream(task.stream), { once: true });
      return chunkResult(await liveStream(task.stream).separator.push(task.chunk));
    }
    case 'stream-end': {
      const out = await liveStream(task.stream).separator.end();
      closeStream(task.stream);
      return chunkResult(out);
    }
    case 'stream-close':
      closeStream(task.stream);
      return { value: null };
  }
}

serveTasks(handle);
// A file worker's helper thread starts now, while no job waits for it (channel-split.ts).
if (IS_FILE_LANE) startChannelHelper();
