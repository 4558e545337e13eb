/**
 * Stream mode, shared by the nodes that offer it: which stream a message belongs to, its chunk
 * (raw PCM bytes or audio), the stream's format, and how output chunks are shaped.
 */
import type { Node, NodeAPI, NodeMessage, NodeMessageInFlow } from 'node-red';
import type { AudioData } from '../../lib/audio/types';
import { findAudioProblem } from '../../lib/audio/validate';
import { describePayload, isAudioData, isBytes } from '../../lib/payloads';
import { DEFAULT_LATENCY, isLatencyPreset, type LatencyPreset } from '../../lib/stream/latency';
import { decodePcm, encodePcm, isPcmEncoding, type PcmEncoding } from '../../lib/stream/pcm';
import { BusyError } from '../../lib/errors';
import { printable } from '../../lib/printable';
import { StreamRegistry } from '../../lib/stream/stream-registry';
import { MAX_STREAM_CHANNELS, type StreamFormat } from '../../lib/stream/stream-separator';
import { isIntegerIn, numberSetting } from './settings';
import { settingReader, SETTING_TYPES, typedSetting, type TypedSetting } from './typed-setting';
import { COMMON } from './common-strings';

export interface StreamSettings {
  /** Where each message's stream key is read (a typedInput); default msg.topic. */
  key: TypedSetting;
  /** Raw PCM chunks: their encoding, rate and channels unless the message says otherwise. */
  encoding: PcmEncoding;
  sampleRate: number;
  channels: number;
  latency: LatencyPreset;
  idleSeconds: number;
  /** Live streams at once; a chunk opening one more is refused (BusyError TOO_MANY_STREAMS). */
  maxStreams: number;
}

export const DEFAULT_MAX_STREAMS = 32;

export interface StreamNodeDef {
  mode?: string;
  streamKey?: string;
  streamKeyType?: string;
  pcmEncoding?: string;
  pcmRate?: string | number;
  pcmChannels?: string | number;
  latency?: string;
  idleTimeout?: string | number;
  maxStreams?: string | number;
}

/** 'stream' or 'file' (the default); undefined if neither. */
export function modeSetting(value: unknown): 'file' | 'stream' | undefined {
  const v = value === undefined || value === '' ? 'file' : value;
  return v === 'file' || v === 'stream' ? v : undefined;
}

/** The stream key when the node sets none: msg.topic, as flows saved before it was a typedInput meant. */
export const DEFAULT_STREAM_KEY: TypedSetting = { value: 'topic', type: 'msg' };

/** The node's stream settings, or the catalog key and value of the first bad one. */
export function streamSettings(RED: NodeAPI, config: StreamNodeDef): StreamSettings | { error: string; value: unknown } {
  const keyType = config.streamKeyType || DEFAULT_STREAM_KEY.type;
  // An empty msg property (older flows could save one) meant msg.topic.
  const keyValue = keyType === 'msg' && (config.streamKey ?? '').trim() === '' ? DEFAULT_STREAM_KEY.value : config.streamKey;
  const key = typedSetting(RED, keyValue, keyType, DEFAULT_STREAM_KEY, SETTING_TYPES);
  if ('bad' in key) return { error: key.bad === 'type' ? `${COMMON}.stream.errors.keyType` : `${COMMON}.stream.errors.keyProperty`, value: key.value };
  const encoding = config.pcmEncoding || 's16le';
  if (!isPcmEncoding(encoding)) return { error: `${COMMON}.stream.errors.encoding`, value: config.pcmEncoding };
  const sampleRate = numberSetting(config.pcmRate, 44100);
  if (!isIntegerIn(sampleRate, 8000, 192000)) return { error: `${COMMON}.stream.errors.rate`, value: config.pcmRate };
  const channels = numberSetting(config.pcmChannels, 2);
  if (!isIntegerIn(channels, 1, MAX_STREAM_CHANNELS)) return { error: `${COMMON}.stream.errors.channels`, value: config.pcmChannels };
  const latency = config.latency || DEFAULT_LATENCY;
  if (!isLatencyPreset(latency)) return { error: `${COMMON}.stream.errors.latency`, value: config.latency };
  const idleSeconds = numberSetting(config.idleTimeout, 10);
  if (!(idleSeconds > 0 && idleSeconds <= 3600)) return { error: `${COMMON}.stream.errors.idle`, value: config.idleTimeout };
  const maxStreams = numberSetting(config.maxStreams, DEFAULT_MAX_STREAMS);
  if (!isIntegerIn(maxStreams, 1, 10000)) return { error: `${COMMON}.stream.errors.maxStreams`, value: config.maxStreams };
  return { key, encoding, sampleRate, channels, latency, idleSeconds, maxStreams };
}

/**
 * Chunks that may wait in a stream-mode node's queue: several per open stream (chunks arrive while
 * the previous ones are worked on), and no more.
 */
export function streamQueueLimit(settings: Pick<StreamSettings, 'maxStreams'>): number {
  return 8 * settings.maxStreams;
}

/**
 * A node's live streams: at most its Max streams, each dropped after the node's idle timeout with a
 * line in its log (the key is a topic from outside: logged printable, see lib/printable).
 */
export function nodeStreamRegistry<S extends { dispose(): void }>(RED: NodeAPI, node: Node, settings: Pick<StreamSettings, 'idleSeconds' | 'maxStreams'>): StreamRegistry<S> {
  return new StreamRegistry<S>({
    idleMs: settings.idleSeconds * 1000,
    maxStreams: settings.maxStreams,
    tooMany: (key, max) => new BusyError('TOO_MANY_STREAMS', RED._(`${COMMON}.stream.errors.tooMany`, { key: printable(key), max })),
    onIdle: (key) => node.log(RED._(`${COMMON}.stream.log.idle`, { key: printable(key), seconds: settings.idleSeconds })),
  });
}

/**
 * The stream each message belongs to: its Stream key setting, read when the message arrived, as a
 * string ('' when there is none; a number or an object as JSON).
 */
export function streamKeyReader(RED: NodeAPI, node: Node, settings: Pick<StreamSettings, 'key'>): (msg: NodeMessageInFlow) => Promise<string> {
  const read = settingReader(RED, node, settings.key);
  return async (msg) => {
    const value = await read(msg);
    if (value === undefined || value === null) return '';
    return typeof value === 'string' ? value : JSON.stringify(value);
  };
}

/** msg.complete set (to anything but false): the stream ends after this message's chunk. */
export function isLastChunk(msg: NodeMessageInFlow): boolean {
  const complete = (msg as { complete?: unknown }).complete;
  return complete !== undefined && complete !== false;
}

export interface Chunk {
  channels: Float32Array[];
  format: StreamFormat;
  /** The PCM encoding it came in, or null for audio { sampleRate, channels }. */
  encoding: PcmEncoding | null;
}

/**
 * The chunk in msg.payload: PCM bytes (format from msg.sampleRate / msg.channels / msg.encoding,
 * else the node's) or audio. An empty payload on the last message is an empty chunk. Throws with a
 * message for people on anything else.
 */
export function chunkOf(RED: NodeAPI, msg: NodeMessageInFlow, settings: StreamSettings): Chunk {
  const payload: unknown = msg.payload;
  const m = msg as { sampleRate?: unknown; channels?: unknown; encoding?: unknown };
  if (isBytes(payload)) {
    const encoding = m.encoding ?? settings.encoding;
    if (!isPcmEncoding(encoding)) throw new Error(RED._(`${COMMON}.stream.errors.encoding`, { value: String(encoding) }));
    const sampleRate = m.sampleRate ?? settings.sampleRate;
    if (typeof sampleRate !== 'number' || !isIntegerIn(sampleRate, 8000, 192000)) throw new Error(RED._(`${COMMON}.stream.errors.rate`, { value: String(sampleRate) }));
    const channels = m.channels ?? settings.channels;
    if (typeof channels !== 'number' || !isIntegerIn(channels, 1, MAX_STREAM_CHANNELS)) throw new Error(RED._(`${COMMON}.stream.errors.channels`, { value: String(channels) }));
    return { channels: decodePcm(payload, encoding, channels), format: { sampleRate, channels }, encoding };
  }
  if (isAudioData(payload)) {
    const problem = findAudioProblem(payload);
    if (problem) throw new Error(problem.message);
    return { channels: payload.channels, format: { sampleRate: payload.sampleRate, channels: payload.channels.length }, encoding: null };
  }
  if ((payload === undefined || payload === null || payload === '') && isLastChunk(msg)) {
    return { channels: [], format: { sampleRate: 0, channels: 0 }, encoding: null };
  }
  throw new Error(RED._(`${COMMON}.stream.errors.payload`, { got: describePayload(payload) }));
}

/** Same format as the stream's first chunk, or an error saying what changed. */
export function checkSameFormat(RED: NodeAPI, first: StreamFormat, chunk: Chunk): void {
  if (chunk.channels.length === 0) return;
  if (chunk.format.sampleRate !== first.sampleRate || chunk.format.channels !== first.channels) {
    throw new Error(RED._(`${COMMON}.stream.errors.formatChanged`, {
      rate: chunk.format.sampleRate, channels: chunk.format.channels, firstRate: first.sampleRate, firstChannels: first.channels,
    }));
  }
}

/** An output chunk shaped like the input: PCM bytes in the same encoding, or audio. */
export function chunkPayload(channels: Float32Array[], sampleRate: number, encoding: PcmEncoding | null): Buffer | AudioData {
  return encoding ? encodePcm(channels, encoding) : { sampleRate, channels };
}

/** What every output message of a stream carries besides its payload. */
export function streamInfo(key: string, first: number, format: StreamFormat, latencySeconds: number, last: boolean): Partial<NodeMessage> {
  const info: Record<string, unknown> = { stream: { key, first, sampleRate: format.sampleRate, channels: format.channels, latency: latencySeconds } };
  if (last) info.complete = true;
  return info;
}
