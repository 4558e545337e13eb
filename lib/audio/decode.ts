/**
 * Bytes → AudioData for WAV, MP3, FLAC, Ogg Vorbis, Opus, M4A (AAC/ALAC) and AIFF.
 *
 * Codecs come from `audio-decode` (pure JS / wasm, no native code, no ffmpeg). It is ESM-only, so it
 * is loaded with a dynamic import(), which TypeScript keeps as import() in our CommonJS output
 * (module: node16). Around it, every input goes through the same gate:
 *   1. size limit (maxBytes) and format detection by magic bytes (probe.ts);
 *   2. a header walk against the real byte length (wav.ts / probe.ts): truncation, zero channels,
 *      impossible sample rates, the duration limit (maxSeconds) and the decoded-size limit
 *      (maxDecodedBytes: frames × channels × 4 bytes, so 8 channels at 192 kHz count for what they
 *      cost), all before any sample is allocated;
 *   3. decoding (WAV PCM/float by wav.ts, everything else by audio-decode);
 *   4. a check of what came out: equal channel lengths, finite samples, rate > 0, not empty.
 * Any failure is an AudioDecodeError with a stable `code`; nothing else escapes for bad input.
 */
import { promises as fs } from 'node:fs';
import { AudioDecodeError, InvalidArgumentError } from '../errors';
import type { AudioData } from './types';
import { findAudioProblem } from './validate';
import { decodeWavSamples, parseWavHeader, rebuildWav, type WavHeader } from './wav';
import { detectFormat, probeAiff, probeFlac, probeM4a, probeMp3, probeOgg, type AudioFormat, type StreamProbe } from './probe';

export type { AudioFormat } from './probe';

/** Stable codes of the AudioDecodeErrors thrown here. */
export type AudioDecodeErrorCode =
  | 'EMPTY' | 'UNKNOWN_FORMAT' | 'UNSUPPORTED_FORMAT' | 'CORRUPT' | 'TRUNCATED' | 'TOO_LARGE'
  | 'NO_CHANNELS' | 'BAD_SAMPLE_RATE' | 'NON_FINITE';

/** 512 MiB of input: a 30-minute 24-bit stereo WAV at 96 kHz fits, an accidental disk image does not. */
export const DEFAULT_MAX_BYTES = 512 * 1024 * 1024;
/** 30 minutes: a long song or a live set; ~635 MB of float32 samples for stereo at 44.1 kHz. */
export const DEFAULT_MAX_SECONDS = 30 * 60;
/** Decoded samples (float32) of `seconds` of 48 kHz stereo: what a duration limit allows in memory. */
export function decodedBytesFor(seconds: number): number {
  return Math.floor(seconds * 48000 * 2 * 4);
}
/** 30 minutes of 48 kHz stereo as float32, ~659 MiB. */
export const DEFAULT_MAX_DECODED_BYTES = decodedBytesFor(DEFAULT_MAX_SECONDS);

export interface DecodeOptions {
  /** Refuse inputs larger than this many bytes (TOO_LARGE). Default DEFAULT_MAX_BYTES. */
  maxBytes?: number;
  /** Refuse audio longer than this, checked from the headers before decoding where they say (TOO_LARGE). Default DEFAULT_MAX_SECONDS. */
  maxSeconds?: number;
  /**
   * Refuse audio whose decoded samples (frames × channels × 4 bytes) would take more than this,
   * checked from the headers before decoding where they say (TOO_LARGE). Default DEFAULT_MAX_DECODED_BYTES.
   */
  maxDecodedBytes?: number;
}

export interface DecodedAudio {
  audio: AudioData;
  format: AudioFormat;
  /** Codec inside the container, in ffmpeg's names where known: 'pcm_s16le', 'pcm_f32le', 'mp3', 'vorbis', 'opus', 'flac'. */
  codec?: string;
  /** Bits per sample of lossless sources (WAV, FLAC, AIFF); undefined for lossy codecs. */
  bitDepth?: number;
  /** Integer PCM or IEEE float samples in the file, for lossless sources. */
  sampleFormat?: 'int' | 'float';
  durationSeconds: number;
  /**
   * Damage the decoder skipped (an MP3 with bad bytes between good frames, as ffmpeg decodes it):
   * where, how many bytes, and about how much audio is missing (0 where the file does not say how
   * long it should be). `message` says it for people.
   */
  skipped?: { regions: Array<{ offset: number; bytes: number }>; missingSeconds: number; message: string };
}

/** Decodes a whole audio file held in memory. See decodeAudioWithInfo for the format details. */
export async function decodeAudio(bytes: Uint8Array, options: DecodeOptions = {}): Promise<AudioData> {
  return (await decodeAudioWithInfo(bytes, options)).audio;
}

/**
 * Reads and decodes a file; refuses files over maxBytes before reading them, and WAV files whose
 * header announces too long or too large audio after reading only the header.
 */
export async function decodeAudioFile(path: string, options: DecodeOptions = {}): Promise<AudioData> {
  return (await decodeAudioFileWithInfo(path, options)).audio;
}

export async function decodeAudioFileWithInfo(path: string, options: DecodeOptions = {}): Promise<DecodedAudio> {
  const { maxBytes, maxSeconds, maxDecodedBytes } = limits(options);
  const stat = await fs.stat(path);
  if (!stat.isFile()) throw new InvalidArgumentError('NOT_A_FILE', `${path} is not a regular file`);
  const { size } = stat;
  if (size > maxBytes) tooLarge(`file is ${size} bytes, over the ${maxBytes}-byte limit (maxBytes)`);
  await checkWavHeaderFirst(path, size, maxSeconds, maxDecodedBytes);
  return decodeAudioWithInfo(await fs.readFile(path), options);
}

const HEADER_BYTES = 64 * 1024;

/** A WAV file's duration and decoded size, from its first 64 KB: refused before the rest is read. */
async function checkWavHeaderFirst(path: string, size: number, maxSeconds: number, maxDecodedBytes: number): Promise<void> {
  const file = await fs.open(path, 'r');
  let prefix: Uint8Array;
  try {
    const { buffer, bytesRead } = await file.read(Buffer.alloc(Math.min(HEADER_BYTES, size)), 0, Math.min(HEADER_BYTES, size), 0);
    prefix = buffer.subarray(0, bytesRead);
  } finally {
    await file.close();
  }
  let h: WavHeader;
  try {
    if (detectFormat(prefix) !== 'wav') return;
    h = parseWavHeader(prefix, size);
  } catch {
    return; // not WAV, a header longer than 64 KB, or damage: the whole-file decode says what is wrong
  }
  checkDuration(h.frames / h.sampleRate, maxSeconds);
  checkDecodedSize(h.frames, h.channels, h.sampleRate, maxDecodedBytes);
}

/** Decodes a whole audio file held in memory, and says what it was. */
export async function decodeAudioWithInfo(bytes: Uint8Array, options: DecodeOptions = {}): Promise<DecodedAudio> {
  const { maxBytes, maxSeconds, maxDecodedBytes } = limits(options);
  if (!(bytes instanceof Uint8Array)) throw new AudioDecodeError('UNKNOWN_FORMAT', 'input is not a Buffer or Uint8Array');
  if (bytes.length > maxBytes) tooLarge(`input is ${bytes.length} bytes, over the ${maxBytes}-byte limit (maxBytes)`);
  const format = detectFormat(bytes);

  if (format === 'wav') return decodeWav(bytes, maxSeconds, maxDecodedBytes);

  const probe = probeFor(format, bytes);
  if (probe.durationSeconds !== undefined) checkDuration(probe.durationSeconds, maxSeconds);
  if (probe.sampleRate && probe.expectedFrames !== undefined) checkDuration(probe.expectedFrames / probe.sampleRate, maxSeconds);
  if (probe.sampleRate && probe.channels) {
    const frames = probe.expectedFrames ?? (probe.durationSeconds !== undefined ? probe.durationSeconds * probe.sampleRate : undefined);
    if (frames !== undefined) checkDecodedSize(frames, probe.channels, probe.sampleRate, maxDecodedBytes);
  }
  let audio = await runCodec(format, bytes);
  audio = fixChannelCount(format, probe, audio);
  if (format === 'flac' && probe.bitDepth !== undefined) symmetricScale(audio, probe.bitDepth);
  checkOutput(audio, maxSeconds);
  checkDecodedSize(audio.channels[0].length, audio.channels.length, audio.sampleRate, maxDecodedBytes);
  const frames = audio.channels[0].length;
  if (probe.exactFrames && probe.expectedFrames !== undefined && frames < probe.expectedFrames) {
    throw new AudioDecodeError('TRUNCATED', `${LABELS[format]}: header announces ${probe.expectedFrames} samples per channel, only ${frames} could be decoded (cut short or damaged)`);
  }
  const lossless = format === 'flac' || format === 'aiff';
  return {
    audio,
    format,
    codec: probe.codec,
    bitDepth: lossless ? probe.bitDepth : undefined,
    sampleFormat: lossless ? (probe.codec?.startsWith('pcm_f') ? 'float' : 'int') : undefined,
    durationSeconds: frames / audio.sampleRate,
    ...(probe.damaged ? { skipped: describeSkipped(format, probe.damaged, probe.lostFrames, audio.sampleRate) } : {}),
  };
}

function describeSkipped(format: AudioFormat, regions: Array<{ offset: number; bytes: number }>, lostFrames: number | undefined, sampleRate: number): NonNullable<DecodedAudio['skipped']> {
  const missingSeconds = (lostFrames ?? 0) / sampleRate;
  const where = regions.slice(0, 3).map((r) => `${r.bytes} bytes at byte ${r.offset}`).join(', ') + (regions.length > 3 ? `, and ${regions.length - 3} more` : '');
  const missing = lostFrames !== undefined ? `; about ${missingSeconds.toFixed(2)} s of audio is missing` : '';
  return {
    regions,
    missingSeconds,
    message: `${LABELS[format]}: skipped ${regions.length} damaged stretch${regions.length === 1 ? '' : 'es'} (${where})${missing}`,
  };
}

function limits(options: DecodeOptions): Required<DecodeOptions> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  const maxSeconds = options.maxSeconds ?? DEFAULT_MAX_SECONDS;
  const maxDecodedBytes = options.maxDecodedBytes ?? DEFAULT_MAX_DECODED_BYTES;
  if (!(maxBytes > 0)) throw new InvalidArgumentError('BAD_OPTION', `maxBytes must be > 0, got ${maxBytes}`);
  if (!(maxSeconds > 0)) throw new InvalidArgumentError('BAD_OPTION', `maxSeconds must be > 0, got ${maxSeconds}`);
  if (!(maxDecodedBytes > 0)) throw new InvalidArgumentError('BAD_OPTION', `maxDecodedBytes must be > 0, got ${maxDecodedBytes}`);
  return { maxBytes, maxSeconds, maxDecodedBytes };
}

function tooLarge(message: string): never {
  throw new AudioDecodeError('TOO_LARGE', message);
}

function checkDuration(seconds: number, maxSeconds: number): void {
  if (seconds > maxSeconds) tooLarge(`audio lasts ${seconds.toFixed(1)} s, over the ${maxSeconds}-second limit (maxSeconds)`);
}

/** Megabytes (MiB) for people: one decimal below 10. */
function megabytes(bytes: number): string {
  const mb = bytes / 2 ** 20;
  return mb < 10 ? mb.toFixed(1) : mb.toFixed(0);
}

/** Frames × channels as float32 against the limit: the memory the decoded audio will take. */
function checkDecodedSize(frames: number, channels: number, sampleRate: number, maxDecodedBytes: number): void {
  const bytes = frames * channels * 4;
  if (bytes > maxDecodedBytes) {
    tooLarge(`decoded, this audio would take ${megabytes(bytes)} MB (${channels} ch × ${sampleRate} Hz × ${(frames / sampleRate).toFixed(1)} s`
      + ` as 32-bit samples), over the ${megabytes(maxDecodedBytes)} MB limit (maxDecodedBytes)`);
  }
}

function probeFor(format: Exclude<AudioFormat, 'wav'>, bytes: Uint8Array): StreamProbe {
  switch (format) {
    case 'mp3': return probeMp3(bytes);
    case 'flac': return probeFlac(bytes);
    case 'ogg': return probeOgg(bytes, 'ogg');
    case 'opus': return probeOgg(bytes, 'opus');
    case 'aiff': return probeAiff(bytes);
    case 'm4a': return probeM4a(bytes);
  }
}

async function decodeWav(bytes: Uint8Array, maxSeconds: number, maxDecodedBytes: number): Promise<DecodedAudio> {
  const h = parseWavHeader(bytes);
  checkDuration(h.frames / h.sampleRate, maxSeconds);
  checkDecodedSize(h.frames, h.channels, h.sampleRate, maxDecodedBytes);
  if (h.dataLength === 0) throw new AudioDecodeError('EMPTY', 'WAV: data chunk holds no sample frames');
  const pcm = h.codec === 'pcm' || h.codec === 'float';
  const audio = pcm
    ? { sampleRate: h.sampleRate, channels: decodeWavSamples(bytes, h) }
    : await runCodec('wav', rebuildWav(h, bytes.subarray(h.dataOffset, h.dataOffset + h.dataLength)));
  checkOutput(audio, maxSeconds);
  return {
    audio,
    format: 'wav',
    codec: wavCodecName(h),
    bitDepth: pcm ? h.validBits : undefined,
    sampleFormat: h.codec === 'float' ? 'float' : h.codec === 'pcm' ? 'int' : undefined,
    durationSeconds: audio.channels[0].length / audio.sampleRate,
  };
}

function wavCodecName(h: WavHeader): string {
  if (h.codec === 'pcm') return h.bitsPerSample <= 8 ? 'pcm_u8' : `pcm_s${h.bitsPerSample}le`;
  if (h.codec === 'float') return `pcm_f${h.bitsPerSample}le`;
  return h.codec === 'alaw' ? 'pcm_alaw' : h.codec === 'mulaw' ? 'pcm_mulaw' : h.codec;
}

// ---------------------------------------------------------------- audio-decode

/** The one dynamic import of the ESM-only package (cached: later calls reuse the loaded codecs). */
function loadAudioDecode() {
  return import('audio-decode');
}
let audioDecode: ReturnType<typeof loadAudioDecode> | undefined;

const LABELS: Record<AudioFormat, string> = { wav: 'WAV', mp3: 'MP3', flac: 'FLAC', ogg: 'Ogg Vorbis', opus: 'Opus', m4a: 'M4A', aiff: 'AIFF' };

/** audio-decode's codec name for each of our formats. */
const CODEC_NAMES = { wav: 'wav', mp3: 'mp3', flac: 'flac', ogg: 'oga', opus: 'opus', m4a: 'm4a', aiff: 'aiff' } as const;

/** Runs one of audio-decode's codecs over a whole file; any failure becomes CORRUPT. */
async function runCodec(format: AudioFormat, bytes: Uint8Array): Promise<AudioData> {
  audioDecode ??= loadAudioDecode();
  const decode = (await audioDecode).default;
  let parts: Array<{ channelData: Float32Array[]; sampleRate: number }>;
  try {
    const decoder = await decode[CODEC_NAMES[format]]();
    try {
      parts = [await decoder(bytes), await decoder()]; // data, then end of stream (flush + free)
    } catch (err) {
      decoder.free();
      throw err;
    }
  } catch (err) {
    // A decoder's own error is kept for the curious; a JavaScript error from inside a decoder
    // (TypeError, RangeError: it tripped over the damage) says nothing to a user, so it is named as such.
    const detail = err instanceof TypeError || err instanceof RangeError ? 'the decoder tripped over damaged data' : err instanceof Error ? err.message : String(err);
    throw new AudioDecodeError('CORRUPT', `${LABELS[format]}: the file is damaged or not valid ${LABELS[format]} (${detail})`);
  }
  return concat(format, parts.filter((p) => p.channelData.length > 0 && p.channelData[0].length > 0));
}

function concat(format: AudioFormat, parts: Array<{ channelData: Float32Array[]; sampleRate: number }>): AudioData {
  if (parts.length === 0) throw new AudioDecodeError('CORRUPT', `${LABELS[format]}: no audio could be decoded`);
  if (parts.length === 1) return { sampleRate: parts[0].sampleRate, channels: parts[0].channelData };
  // A part folded to mono (see fixChannelCount) is widened again, as audio-decode's own merge does.
  const nCh = Math.max(...parts.map((p) => p.channelData.length));
  if (parts.some((p) => (p.channelData.length !== nCh && p.channelData.length !== 1) || p.sampleRate !== parts[0].sampleRate)) {
    throw new AudioDecodeError('CORRUPT', `${LABELS[format]}: channel count or sample rate changes within the stream`);
  }
  const total = parts.reduce((n, p) => n + p.channelData[0].length, 0);
  const channels = Array.from({ length: nCh }, (_, c) => {
    const out = new Float32Array(total);
    let at = 0;
    for (const p of parts) {
      const part = p.channelData[p.channelData.length === 1 ? 0 : c];
      out.set(part, at);
      at += part.length;
    }
    return out;
  });
  return { sampleRate: parts[0].sampleRate, channels };
}

/**
 * audio-decode folds MP3 stereo with identical channels to mono (its mp3 codec upmixes mono
 * streams). The frame headers know the real channel mode, so a stereo file stays stereo.
 */
function fixChannelCount(format: AudioFormat, probe: StreamProbe, audio: AudioData): AudioData {
  if (format !== 'mp3' || !probe.channels || probe.channels === audio.channels.length) return audio;
  if (probe.channels === 2 && audio.channels.length === 1) return { ...audio, channels: [audio.channels[0], audio.channels[0].slice()] };
  if (probe.channels === 1 && audio.channels.length === 2) return { ...audio, channels: [audio.channels[0]] };
  return audio;
}

/**
 * audio-decode's FLAC codec divides integer samples by 2^(b-1) - 1 (seen in @audio/decode-flac 1.3:
 * 16384 comes out as 0.500015, -32768 as -1.00003). Everything else here (our WAV reader, AIFF,
 * encode.ts, sox, ffmpeg) divides by 2^(b-1), so a 16-bit FLAC → WAV conversion would move samples
 * by up to one step. For 8..16-bit streams, where the two scales differ by ≥ 0.25 of a step at
 * 0.25 ≤ |x| < 1, we check which grid the samples sit on and, if it is the 2^(b-1) - 1 one, put them
 * back on the 2^(b-1) grid (exact in float32). At 24 bits the difference is below float32
 * resolution and is left alone. Detecting rather than assuming keeps this right if a later codec
 * version changes its scaling.
 */
function symmetricScale(audio: AudioData, bits: number): void {
  if (bits < 8 || bits > 16) return;
  const full = 2 ** (bits - 1);
  const short = full - 1;
  const onGrid = (v: number): boolean => Math.abs(v - Math.round(v)) < 0.01;
  let shortGrid = 0;
  let fullGrid = 0;
  scan: for (const x of audio.channels) {
    for (let i = 0; i < x.length; i++) {
      const a = Math.abs(x[i]);
      if (a < 0.25 || a > 0.999) continue; // ±full scale sits on both grids
      if (onGrid(x[i] * short)) shortGrid++;
      if (onGrid(x[i] * full)) fullGrid++;
      if (shortGrid + fullGrid >= 256) break scan;
    }
  }
  if (shortGrid === 0 || fullGrid > 0) return;
  for (const x of audio.channels) {
    for (let i = 0; i < x.length; i++) x[i] = Math.round(x[i] * short) / full;
  }
}

function checkOutput(audio: AudioData, maxSeconds: number): void {
  const problem = findAudioProblem(audio);
  if (problem) {
    const code = problem.code === 'CHANNEL_MISMATCH' ? 'CORRUPT' : problem.code;
    throw new AudioDecodeError(code, `decoded audio is invalid: ${problem.message}`);
  }
  if (audio.channels[0].length === 0) throw new AudioDecodeError('EMPTY', 'no audio samples could be decoded');
  checkDuration(audio.channels[0].length / audio.sampleRate, maxSeconds);
}
