/**
 * AudioData → WAV bytes: 16- or 24-bit integer PCM, or 32-bit IEEE float.
 *
 * Header layout follows what sox and ffmpeg write and expect:
 *  - mono/stereo 16-bit: plain WAVE_FORMAT_PCM, 16-byte fmt chunk (the canonical 44-byte header);
 *  - more than 2 channels, or more than 16 bits (24-bit PCM, float): WAVE_FORMAT_EXTENSIBLE with
 *    the KSDATAFORMAT_SUBTYPE_PCM / _IEEE_FLOAT GUID, the standard speaker mask for 1, 2, 4, 6 and 8
 *    channels (0 = "no positions" otherwise, as sox does), and a `fact` chunk (frame count).
 * Integers are round(x * 2^(bits-1)), ties to even like ffmpeg's lrintf, clipped to the code range:
 * the symmetric scaling that wav.ts, sox and ffmpeg use to read them back, so 16/24-bit audio
 * survives decode → encode unchanged. Floats are written as they are (values beyond ±1 kept).
 */
import { LITTLE_ENDIAN } from '../endianness';
import { InvalidArgumentError, VocalSplitError } from '../errors';
import { yieldToEventLoop } from '../jobs/throttle';
import type { AudioData } from './types';
import { findAudioProblem } from './validate';

/** 16 and 24: integer PCM; 32: IEEE float. */
export type WavBitDepth = 16 | 24 | 32;

export interface EncodeWavOptions {
  /** Default 16. 32 writes 32-bit float (not 32-bit integer). */
  bitDepth?: WavBitDepth;
}

const SPEAKER_MASKS: Record<number, number> = { 1: 0x4, 2: 0x3, 4: 0x33, 6: 0x3f, 8: 0x63f };
const GUID_TAIL = [0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71];

export function encodeWav(audio: AudioData, options: EncodeWavOptions = {}): Buffer {
  const wav = startWav(audio, options);
  writeFrames(wav, audio.channels, 0, wav.frames);
  return wav.buf; // a pad byte, if any, is already 0
}

export interface EncodeSliceOptions {
  /** Checked between slices: throws a VocalSplitError with code ABORTED. */
  signal?: AbortSignal;
  /** Frames written per slice before yielding to the event loop; default 65536. */
  framesPerSlice?: number;
}

/** Same bytes as `encodeWav`, written a slice of frames at a time, yielding to the event loop in between. */
export async function encodeWavAsync(audio: AudioData, options: EncodeWavOptions = {}, slices: EncodeSliceOptions = {}): Promise<Buffer> {
  const wav = startWav(audio, options);
  const step = Math.max(1, Math.floor(slices.framesPerSlice ?? 65536));
  for (let first = 0; first < wav.frames; first += step) {
    if (slices.signal?.aborted) throw new VocalSplitError('ABORTED', 'WAV encoding was aborted');
    writeFrames(wav, audio.channels, first, Math.min(wav.frames, first + step));
    if (first + step < wav.frames) await yieldToEventLoop();
  }
  return wav.buf;
}

/**
 * A WAV of known length filled a range of frames at a time, in any order: the same bytes as
 * `encodeWav` once every frame is written (the separator hands out samples as they become final,
 * so a song is encoded while it is still being separated).
 */
export class WavBuilder {
  private readonly wav: WavBuffer;

  constructor(sampleRate: number, channels: number, frames: number, options: EncodeWavOptions = {}) {
    this.wav = startWav({ sampleRate, channels: Array.from({ length: channels }, () => new Float32Array(0)) }, options, frames);
  }

  /** The WAV file: header, samples written so far (zeros elsewhere), pad byte. */
  get bytes(): Buffer {
    return this.wav.buf;
  }

  /** Writes frames [from, to) of `channels` (one array per channel of the header, each at least `to` long). */
  write(channels: Float32Array[], from: number, to: number): void {
    if (!Number.isInteger(from) || !Number.isInteger(to) || from < 0 || to < from || to > this.wav.frames) {
      throw new InvalidArgumentError('BAD_RANGE', `WavBuilder.write: frames [${from}, ${to}) are not within the file's ${this.wav.frames}`);
    }
    const slice = channels.map((c) => c.subarray(from, to));
    const problem = findAudioProblem({ sampleRate: 1, channels: slice }, true, from);
    if (problem) throw new InvalidArgumentError(problem.code, `encodeWav: ${problem.message}`);
    if (channels.length !== this.wav.channels) {
      throw new InvalidArgumentError('CHANNEL_MISMATCH', `WavBuilder.write: ${channels.length} channels for a file of ${this.wav.channels}`);
    }
    writeFrames(this.wav, channels, from, to);
  }
}

/** A WAV buffer with its header written and room for the samples. */
interface WavBuffer {
  buf: Buffer;
  dv: DataView;
  /** Byte offset of the first sample. */
  dataStart: number;
  bitDepth: WavBitDepth;
  frames: number;
  channels: number;
}

/** The header of a WAV file of `frames` frames, for a writer that appends the samples piece by piece (wavSamples). */
export function wavHeader(sampleRate: number, channels: number, frames: number, options: EncodeWavOptions = {}): Buffer {
  const wav = startWav({ sampleRate, channels: Array.from({ length: channels }, () => new Float32Array(0)) }, options, frames, true);
  return wav.buf.subarray(0, wav.dataStart);
}

/** Frames [from, to) of `channels`, interleaved, as the sample bytes of a WAV data chunk. */
export function wavSamples(channels: Float32Array[], from: number, to: number, options: EncodeWavOptions = {}): Buffer {
  const bitDepth = options.bitDepth ?? 16;
  const bytesPerFrame = channels.length * (bitDepth / 8);
  const buf = Buffer.alloc((to - from) * bytesPerFrame);
  writeFrames({ buf, dv: new DataView(buf.buffer, buf.byteOffset, buf.length), dataStart: -from * bytesPerFrame, bitDepth, frames: to, channels: channels.length }, channels, from, to);
  return buf;
}

function startWav(audio: AudioData, options: EncodeWavOptions, frames = audio.channels[0]?.length ?? 0, headerOnly = false): WavBuffer {
  const bitDepth = options.bitDepth ?? 16;
  if (bitDepth !== 16 && bitDepth !== 24 && bitDepth !== 32) {
    throw new InvalidArgumentError('BAD_BIT_DEPTH', `bitDepth must be 16, 24 or 32 (float), got ${String(bitDepth)}`);
  }
  const problem = findAudioProblem(audio);
  if (problem) throw new InvalidArgumentError(problem.code, `encodeWav: ${problem.message}`);
  const { sampleRate, channels } = audio;
  const nCh = channels.length;
  if (nCh > 65535) throw new InvalidArgumentError('TOO_MANY_CHANNELS', `WAV holds at most 65535 channels, got ${nCh}`);

  const float = bitDepth === 32;
  const extensible = nCh > 2 || bitDepth > 16;
  const bytesPerSample = bitDepth / 8;
  const blockAlign = nCh * bytesPerSample;
  const dataSize = frames * blockAlign;
  const fmtSize = extensible ? 40 : 16;
  const headerSize = 12 + (8 + fmtSize) + (extensible ? 12 : 0) + 8;
  const padded = dataSize + (dataSize & 1);
  if (headerSize - 8 + padded > 0xffffffff) {
    throw new InvalidArgumentError('TOO_LARGE', `${dataSize} bytes of samples do not fit in a WAV file (4 GiB limit)`);
  }

  const buf = Buffer.alloc(headerSize + (headerOnly ? 0 : padded));
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.length);
  let p = 0;
  const id = (s: string): void => { buf.write(s, p, 'latin1'); p += 4; };
  const u16 = (v: number): void => { dv.setUint16(p, v, true); p += 2; };
  const u32 = (v: number): void => { dv.setUint32(p, v, true); p += 4; };

  id('RIFF'); u32(headerSize - 8 + padded); id('WAVE');
  id('fmt '); u32(fmtSize);
  u16(extensible ? 0xfffe : 1);
  u16(nCh); u32(sampleRate); u32(sampleRate * blockAlign); u16(blockAlign); u16(bitDepth);
  if (extensible) {
    u16(22); // cbSize
    u16(bitDepth); // valid bits
    u32(SPEAKER_MASKS[nCh] ?? 0);
    u16(float ? 3 : 1);
    for (const b of GUID_TAIL) buf[p++] = b;
    id('fact'); u32(4); u32(frames);
  }
  id('data'); u32(dataSize);
  return { buf, dv, dataStart: p, bitDepth, frames, channels: nCh };
}

/** Writes frames [from, to) of every channel, interleaved, at their place in the data chunk. */
function writeFrames(wav: WavBuffer, channels: Float32Array[], from: number, to: number): void {
  const { dv, bitDepth } = wav;
  const nCh = channels.length;
  const bytesPerSample = bitDepth / 8;
  let p = wav.dataStart + from * nCh * bytesPerSample;
  const at = wav.buf.byteOffset + p;
  // Typed-array views write several times faster than DataView calls; WAV is little-endian, so
  // only on little-endian hosts, and only where the samples are aligned for the view.
  if (LITTLE_ENDIAN && bitDepth === 16 && at % 2 === 0) {
    const out = new Int16Array(wav.buf.buffer, at, (to - from) * nCh);
    for (let c = 0; c < nCh; c++) {
      const x = channels[c];
      for (let i = from, j = c; i < to; i++, j += nCh) out[j] = quantize(x[i], 32768);
    }
    return;
  }
  if (LITTLE_ENDIAN && bitDepth === 32 && at % 4 === 0) {
    const out = new Float32Array(wav.buf.buffer, at, (to - from) * nCh);
    for (let c = 0; c < nCh; c++) {
      const x = channels[c];
      for (let i = from, j = c; i < to; i++, j += nCh) out[j] = x[i];
    }
    return;
  }
  if (bitDepth === 32) {
    for (let i = from; i < to; i++) for (let c = 0; c < nCh; c++, p += 4) dv.setFloat32(p, channels[c][i], true);
  } else if (bitDepth === 16) {
    for (let i = from; i < to; i++) for (let c = 0; c < nCh; c++, p += 2) dv.setInt16(p, quantize(channels[c][i], 32768), true);
  } else {
    for (let i = from; i < to; i++) {
      for (let c = 0; c < nCh; c++, p += 3) {
        const v = quantize(channels[c][i], 8388608);
        dv.setUint16(p, v & 0xffff, true);
        dv.setInt8(p + 2, v >> 16);
      }
    }
  }
}

const ROUNDING_SHIFT = 6755399441055744;

/** round(x * full), ties to even, clipped to [-full, full - 1]. */
export function quantize(x: number, full: number): number {
  const v = x * full;
  if (v >= full - 1) return full - 1;
  if (v <= -full) return -full;
  // Adding and taking away 1.5·2^52 leaves no fraction bits: the FPU rounds to nearest, ties to even.
  return v + ROUNDING_SHIFT - ROUNDING_SHIFT;
}
