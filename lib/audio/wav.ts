/**
 * Our own RIFF/WAVE reader: header parsing and validation always, sample conversion for integer
 * PCM and IEEE float (G.711 and ADPCM samples are left to audio-decode, see decode.ts).
 *
 * Why not audio-decode's WAV decoder alone (@audio/decode-wav 1.5, checked against our fixtures):
 * it does decode u8, s16, s24, s32, f32, f64 and WAVE_FORMAT_EXTENSIBLE (6 channels) correctly, but
 *  - it skips chunks without their RIFF pad byte, so a file with an odd-sized chunk (e.g. a LIST
 *    tag of odd length, legal and read fine by sox) before `data` decodes to nothing, silently;
 *  - it does not validate the header: zero channels, sample rate 0 or "negative" (> 2^31), and
 *    a data size larger than the file all decode "successfully" (empty, rate 0, or short);
 *  - it scales integer PCM asymmetrically (negatives by 2^-(bits-1), positives by
 *    1/(2^(bits-1) - 1)), so a decode → encode round trip through encode.ts, sox or ffmpeg (which
 *    all use the symmetric 2^(bits-1)) would move positive samples by up to 1 LSB.
 * Parsing the header ourselves is needed for the checks anyway, and converting PCM once the data
 * chunk is located is a few lines, so we do both and keep the conversion symmetric and exact.
 */
import { LITTLE_ENDIAN } from '../endianness';
import { AudioDecodeError } from '../errors';
import { MAX_SAMPLE_RATE } from './validate';

export type WavCodec = 'pcm' | 'float' | 'alaw' | 'mulaw' | 'adpcm_ms' | 'adpcm_ima';

export interface WavHeader {
  codec: WavCodec;
  /** WAVE_FORMAT_EXTENSIBLE header (the codec comes from its SubFormat GUID). */
  extensible: boolean;
  channels: number;
  sampleRate: number;
  /** Container bits per sample (wBitsPerSample). */
  bitsPerSample: number;
  /** Significant bits (wValidBitsPerSample of an extensible header, else bitsPerSample). */
  validBits: number;
  blockAlign: number;
  /** Payload of the fmt chunk, as in the file (handed to audio-decode for G.711 / ADPCM). */
  fmt: Uint8Array;
  dataOffset: number;
  /** Bytes of sample data to decode: whole blocks, validated against the file's length. */
  dataLength: number;
  /** Sample frames (PCM/float: dataLength / blockAlign; ADPCM: unknown until decoded, estimated). */
  frames: number;
  /** The data size was a streaming placeholder (piped sox/ffmpeg output): read to the end of the file. */
  sizeFromFileLength: boolean;
}

const FORMAT_TAGS: Record<number, WavCodec> = { 1: 'pcm', 3: 'float', 6: 'alaw', 7: 'mulaw', 2: 'adpcm_ms', 0x11: 'adpcm_ima' };
/** Bytes 2..15 of every KSDATAFORMAT_SUBTYPE_* GUID that wraps an old format tag. */
const GUID_TAIL = [0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71];
/** Data sizes that streaming writers leave in the header: ffmpeg to a pipe (0xFFFFFFFF), sox (0x7FFFF000). */
const PLACEHOLDER_SIZES = new Set([0xffffffff, 0x7ffff000]);

function fail(code: string, message: string): never {
  throw new AudioDecodeError(code, `WAV: ${message}`);
}

function fourcc(b: Uint8Array, at: number): string {
  return String.fromCharCode(b[at], b[at + 1], b[at + 2], b[at + 3]);
}

function printableId(b: Uint8Array, at: number): boolean {
  for (let i = at; i < at + 4; i++) if (b[i] < 0x20 || b[i] > 0x7e) return false;
  return true;
}

/**
 * Parses and validates a RIFF/WAVE header against the real byte length, without touching the
 * samples. Throws AudioDecodeError: TRUNCATED (a chunk, or the data a header claims, runs past the
 * end), CORRUPT, NO_CHANNELS, BAD_SAMPLE_RATE, UNSUPPORTED_FORMAT, EMPTY (no sample frames).
 */
export function parseWavHeader(bytes: Uint8Array, fileLength = bytes.length): WavHeader {
  const len = bytes.length;
  if (len < 12) fail('TRUNCATED', `file ends after ${len} bytes, inside the RIFF header`);
  if (fourcc(bytes, 0) !== 'RIFF' || fourcc(bytes, 8) !== 'WAVE') fail('UNKNOWN_FORMAT', 'not a RIFF/WAVE file');
  const dv = new DataView(bytes.buffer, bytes.byteOffset, len);
  const riffSize = dv.getUint32(4, true);

  let fmt: WavFormat | undefined;
  let pos = 12;
  for (;;) {
    if (pos + 8 > len) {
      fail('TRUNCATED', fmt ? 'file ends before its data chunk' : 'file ends before its fmt chunk');
    }
    if (!printableId(bytes, pos)) fail('CORRUPT', `invalid chunk id at byte ${pos}`);
    const id = fourcc(bytes, pos);
    const size = dv.getUint32(pos + 4, true);
    const body = pos + 8;
    if (id === 'data') {
      if (!fmt) fail('CORRUPT', 'data chunk comes before the fmt chunk');
      // `bytes` may be only the start of a file read in pieces: the data chunk is checked against the whole file.
      const available = Math.max(len, fileLength) - body;
      const streaming = PLACEHOLDER_SIZES.has(size) || (size === 0 && (riffSize === 0 || PLACEHOLDER_SIZES.has(riffSize)));
      if (!streaming && size > available) {
        const claimed = fmt.codec === 'pcm' || fmt.codec === 'float' ? ` (${Math.floor(size / fmt.blockAlign)} sample frames)` : '';
        fail('TRUNCATED', `data chunk claims ${size} bytes${claimed} but only ${available} are present`);
      }
      const usable = streaming ? available : size;
      const dataLength = usable - (usable % fmt.blockAlign);
      const frames = fmt.codec === 'pcm' || fmt.codec === 'float'
        ? dataLength / fmt.blockAlign
        : estimateAdpcmFrames(fmt, dataLength);
      return { ...fmt, dataOffset: body, dataLength, frames, sizeFromFileLength: streaming };
    }
    if (body + size > len) fail('TRUNCATED', `chunk '${id}' claims ${size} bytes but only ${len - body} are left`);
    if (id === 'fmt ') fmt = parseFmt(bytes.subarray(body, body + size));
    pos = body + size + (size & 1); // RIFF pads odd-sized chunks to an even length
  }
}

type WavFormat = Omit<WavHeader, 'dataOffset' | 'dataLength' | 'frames' | 'sizeFromFileLength'>;

function parseFmt(f: Uint8Array): WavFormat {
  if (f.length < 16) fail('CORRUPT', `fmt chunk is ${f.length} bytes, needs at least 16`);
  const dv = new DataView(f.buffer, f.byteOffset, f.length);
  let tag = dv.getUint16(0, true);
  const channels = dv.getUint16(2, true);
  const sampleRate = dv.getUint32(4, true);
  const blockAlign = dv.getUint16(12, true);
  const bitsPerSample = dv.getUint16(14, true);
  let validBits = bitsPerSample;
  const extensible = tag === 0xfffe;
  if (extensible) {
    if (f.length < 40) fail('CORRUPT', `WAVE_FORMAT_EXTENSIBLE fmt chunk is ${f.length} bytes, needs 40`);
    validBits = Math.min(dv.getUint16(18, true) || bitsPerSample, bitsPerSample);
    tag = dv.getUint16(24, true);
    if (GUID_TAIL.some((b, i) => f[26 + i] !== b)) fail('UNSUPPORTED_FORMAT', 'WAVE_FORMAT_EXTENSIBLE with an unknown SubFormat GUID');
  }
  if (channels === 0) throw new AudioDecodeError('NO_CHANNELS', 'WAV: header declares 0 channels');
  if (sampleRate === 0 || sampleRate > MAX_SAMPLE_RATE) {
    // The field is unsigned; a "negative" rate written as int32 shows up as > 2^31.
    const shown = sampleRate > 0x7fffffff ? `${sampleRate | 0} (as signed)` : String(sampleRate);
    throw new AudioDecodeError('BAD_SAMPLE_RATE', `WAV: header declares a sample rate of ${shown} Hz`);
  }
  const codec = FORMAT_TAGS[tag];
  if (!codec) fail('UNSUPPORTED_FORMAT', `format tag 0x${tag.toString(16).padStart(4, '0')} is not supported (PCM, float, G.711, ADPCM are)`);
  if (blockAlign === 0) fail('CORRUPT', 'block align is 0');
  // Non-PCM codecs are decoded by audio-decode, which sizes its output from these fields without
  // cross-checking them (a fuzzed µ-law header claiming 16385 channels made it allocate 1 GB).
  if (codec === 'alaw' || codec === 'mulaw') {
    if (bitsPerSample !== 8 || blockAlign !== channels) fail('CORRUPT', `G.711 needs 8 bits and a block align of one byte per channel`);
  } else if (codec === 'adpcm_ima' || codec === 'adpcm_ms') {
    if (bitsPerSample !== 4) fail('CORRUPT', `ADPCM needs 4 bits per sample, header says ${bitsPerSample}`);
    const max = adpcmMaxSamplesPerBlock(codec, channels, blockAlign);
    const declared = f.length >= 20 && dv.getUint16(16, true) >= 2 ? dv.getUint16(18, true) : 0;
    if (max < 1 || declared > max) fail('CORRUPT', `ADPCM block of ${blockAlign} bytes cannot hold ${declared || max} samples per channel`);
  }
  if (codec === 'pcm' || codec === 'float') {
    const okBits = codec === 'pcm' ? bitsPerSample >= 1 && bitsPerSample <= 32 : bitsPerSample === 32 || bitsPerSample === 64;
    if (!okBits) fail('UNSUPPORTED_FORMAT', `${bitsPerSample}-bit ${codec === 'pcm' ? 'integer PCM' : 'float'} is not supported`);
    const bytesPerSample = Math.ceil(bitsPerSample / 8);
    if (blockAlign !== channels * bytesPerSample) {
      fail('CORRUPT', `block align ${blockAlign} does not match ${channels} channels of ${bitsPerSample} bits`);
    }
  }
  return { codec, extensible, channels, sampleRate, bitsPerSample, validBits, blockAlign, fmt: f };
}

/** Samples per channel that one ADPCM block can hold: header samples plus two per byte of nibbles. */
function adpcmMaxSamplesPerBlock(codec: 'adpcm_ima' | 'adpcm_ms', channels: number, blockAlign: number): number {
  return codec === 'adpcm_ima'
    ? Math.floor(((blockAlign - 4 * channels) * 2) / channels) + 1
    : Math.floor(((blockAlign - 7 * channels) * 2) / channels) + 2;
}

/** Frame count of G.711 / ADPCM data before decoding (for the duration limit); ADPCM at most. */
function estimateAdpcmFrames(fmt: { codec: WavCodec; channels: number; blockAlign: number }, dataLength: number): number {
  if (fmt.codec === 'adpcm_ima' || fmt.codec === 'adpcm_ms') {
    return Math.floor(dataLength / fmt.blockAlign) * adpcmMaxSamplesPerBlock(fmt.codec, fmt.channels, fmt.blockAlign);
  }
  return dataLength / fmt.blockAlign;
}

/**
 * Converts integer PCM / IEEE float sample data to one Float32Array per channel.
 * Integers scale symmetrically by 2^-(bits-1) (u8 after removing its 128 offset), as sox and
 * ffmpeg do: codes map to exact float32 values and encode.ts maps them back to the same codes.
 */
export function decodeWavSamples(bytes: Uint8Array, h: WavHeader): Float32Array[] {
  if (h.codec !== 'pcm' && h.codec !== 'float') throw new Error(`decodeWavSamples: ${h.codec} is not PCM`);
  const { channels: nCh, frames } = h;
  const out = Array.from({ length: nCh }, () => new Float32Array(frames));
  const dv = new DataView(bytes.buffer, bytes.byteOffset + h.dataOffset, h.dataLength);
  const width = h.blockAlign / nCh;
  if (readAligned(bytes, h, width, out)) return out;
  let p = 0;
  if (h.codec === 'float') {
    const f64 = width === 8;
    for (let i = 0; i < frames; i++) {
      for (let c = 0; c < nCh; c++, p += width) out[c][i] = f64 ? dv.getFloat64(p, true) : dv.getFloat32(p, true);
    }
    return out;
  }
  // Samples narrower than their container are left-justified, so scale by the container's range.
  const scale = 1 / 2 ** (width * 8 - 1);
  switch (width) {
    case 1: // 8-bit WAV is unsigned with a 128 offset
      for (let i = 0; i < frames; i++) for (let c = 0; c < nCh; c++, p++) out[c][i] = (dv.getUint8(p) - 128) * scale;
      break;
    case 2:
      for (let i = 0; i < frames; i++) for (let c = 0; c < nCh; c++, p += 2) out[c][i] = dv.getInt16(p, true) * scale;
      break;
    case 3:
      for (let i = 0; i < frames; i++) {
        for (let c = 0; c < nCh; c++, p += 3) out[c][i] = ((dv.getUint16(p, true) | (dv.getInt8(p + 2) << 16)) * scale);
      }
      break;
    case 4:
      for (let i = 0; i < frames; i++) for (let c = 0; c < nCh; c++, p += 4) out[c][i] = dv.getInt32(p, true) * scale;
      break;
    default:
      throw new Error(`decodeWavSamples: unexpected sample width ${width}`);
  }
  return out;
}

/**
 * 16-bit PCM and 32-bit float through a typed-array view of the data, several times faster than
 * DataView reads: on little-endian hosts (WAV's byte order), where the samples are aligned for the
 * view. Returns false to leave other cases to the DataView loops.
 */
function readAligned(bytes: Uint8Array, h: WavHeader, width: number, out: Float32Array[]): boolean {
  const at = bytes.byteOffset + h.dataOffset;
  const n = h.frames * out.length;
  if (!LITTLE_ENDIAN || (width !== 2 && width !== 4) || at % width !== 0 || (h.codec === 'pcm' && width !== 2)) return false;
  const src = width === 2 ? new Int16Array(bytes.buffer, at, n) : new Float32Array(bytes.buffer, at, n);
  const scale = width === 2 ? 1 / 32768 : 1;
  const nCh = out.length;
  for (let c = 0; c < nCh; c++) {
    const dst = out[c];
    for (let i = 0, j = c; i < dst.length; i++, j += nCh) dst[i] = src[j] * scale;
  }
  return true;
}

/**
 * A minimal WAV file holding `h`'s fmt chunk and the given data: what audio-decode's WAV decoder
 * gets for G.711 / ADPCM, so it never sees the chunks (odd sizes, placeholders) it mishandles.
 */
export function rebuildWav(h: WavHeader, data: Uint8Array): Uint8Array {
  const fmtLen = h.fmt.length + (h.fmt.length & 1);
  const out = new Uint8Array(12 + 8 + fmtLen + 8 + data.length);
  const dv = new DataView(out.buffer);
  const ascii = (at: number, s: string): void => { for (let i = 0; i < 4; i++) out[at + i] = s.charCodeAt(i); };
  ascii(0, 'RIFF');
  dv.setUint32(4, out.length - 8, true);
  ascii(8, 'WAVE');
  ascii(12, 'fmt ');
  dv.setUint32(16, h.fmt.length, true);
  out.set(h.fmt, 20);
  ascii(20 + fmtLen, 'data');
  dv.setUint32(24 + fmtLen, data.length, true);
  out.set(data, 28 + fmtLen);
  return out;
}
