/**
 * Audio from a message, as the decode and vocal-split nodes take it: bytes, or a file path inside
 * the node's folder (lib/paths), each refused past the node's size and duration limits before any
 * decoding; audio { sampleRate, channels } is checked against the duration limit too. The decoded
 * size (frames × channels, as float32) may be what Max length of 48 kHz stereo would take, no more:
 * a short 8-channel 192 kHz file costs as much memory as a long stereo one.
 */
import { decodedBytesFor } from '../../lib/audio/decode';
import type { AudioData } from '../../lib/audio/types';
import { findAudioProblem } from '../../lib/audio/validate';
import { AudioDecodeError } from '../../lib/errors';
import { resolveInside } from '../../lib/paths';
import { describePayload, isAudioData, isBytes } from '../../lib/payloads';
import type { Node, NodeAPI, NodeMessageInFlow } from 'node-red';
import { COMMON } from './common-strings';
import { describeSetting, settingReader, SETTING_TYPES, typedSetting, type TypedSetting } from './typed-setting';

export interface InputLimits {
  maxSeconds: number;
  maxMegabytes: number;
  /** Folder that file paths in messages must be inside ('' = no paths accepted); read only for a path. */
  folder(): Promise<string>;
}

/** Folder when the node sets none: the text '' (no file paths accepted), as flows saved before it was a typedInput meant. */
export const DEFAULT_FOLDER: TypedSetting = { value: '', type: 'str' };

export interface FolderNodeDef {
  folder?: string;
  folderType?: string;
}

/** The node's Folder setting (a typedInput), or the catalog key and value of what is wrong with it. */
export function folderSetting(RED: NodeAPI, config: FolderNodeDef): TypedSetting | { error: string; value: string } {
  const folder = typedSetting(RED, config.folder, config.folderType, DEFAULT_FOLDER, SETTING_TYPES);
  if ('bad' in folder) return { error: folder.bad === 'type' ? `${COMMON}.errors.folderType` : `${COMMON}.errors.folderProperty`, value: folder.value };
  return folder;
}

/**
 * Reads the folder for a message: its text, trimmed ('' when the setting gives nothing: no file
 * paths accepted); anything but text fails the message with an error that names the setting.
 */
export function folderReader(RED: NodeAPI, node: Node, setting: TypedSetting): (msg: NodeMessageInFlow) => Promise<string> {
  const read = settingReader(RED, node, setting);
  return async (msg) => {
    const value = await read(msg);
    if (value === undefined || value === null) return '';
    if (typeof value !== 'string') throw new Error(RED._(`${COMMON}.errors.folderValue`, { from: describeSetting(setting), got: describePayload(value) }));
    return value.trim();
  };
}

/** What a job's worker reads its audio from, with the limits it decodes under. */
export interface PayloadSource {
  input: Uint8Array | string | AudioData;
  decode: { maxSeconds: number; maxBytes: number; maxDecodedBytes: number };
}

/**
 * Where the audio in `payload` is, checked as far as the main thread can without decoding: bytes
 * within Max size, a path inside the folder, audio within Max length. Undefined if it is none of
 * bytes, a path or audio (the node names what came). Decoding happens in the worker pool.
 */
export async function sourceOfPayload(payload: unknown, limits: InputLimits, acceptAudio: boolean): Promise<PayloadSource | undefined> {
  const decode = { maxSeconds: limits.maxSeconds, maxBytes: Math.floor(limits.maxMegabytes * 2 ** 20), maxDecodedBytes: decodedBytesFor(limits.maxSeconds) };
  if (isBytes(payload)) {
    // Refused before the bytes are copied for the worker.
    if (payload.length > decode.maxBytes) {
      throw new AudioDecodeError('TOO_LARGE', `input is ${payload.length} bytes, over the ${decode.maxBytes}-byte limit (maxBytes)`);
    }
    return { input: payload, decode };
  }
  if (typeof payload === 'string' && payload.length > 0) return { input: await resolveInside(await limits.folder(), payload), decode };
  if (acceptAudio && isAudioData(payload)) {
    const problem = findAudioProblem(payload);
    if (problem) throw new Error(problem.message);
    const seconds = payload.channels[0].length / payload.sampleRate;
    if (seconds > limits.maxSeconds) {
      throw new AudioDecodeError('TOO_LARGE', `audio is ${seconds.toFixed(1)} s long, over the ${limits.maxSeconds} s limit (Max length)`);
    }
    return { input: payload, decode };
  }
  return undefined;
}
