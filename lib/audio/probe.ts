/**
 * Format detection and cheap header walks for the compressed formats, done before any decoder
 * runs. The decoders (audio-decode's wasm codecs) accept almost anything: a half MP3, an Ogg file
 * cut inside a page, a FLAC with half its frames all "decode" without a word. Walking the frame or
 * page headers against the real byte length lets us say TRUNCATED / CORRUPT instead, and know the
 * duration before decoding, so the size limits hold without first allocating the samples.
 */
import { AudioDecodeError } from '../errors';
import { MAX_SAMPLE_RATE } from './validate';

/** Container formats we decode. (Ogg Vorbis is 'ogg'; Ogg Opus is 'opus'; Ogg FLAC is 'flac'.) */
export type AudioFormat = 'wav' | 'mp3' | 'flac' | 'ogg' | 'opus' | 'm4a' | 'aiff';

export interface StreamProbe {
  /** Codec inside the container, in ffmpeg's words where it has one: 'mp3', 'flac', 'vorbis', 'opus', 'pcm_s16be'. */
  codec?: string;
  sampleRate?: number;
  channels?: number;
  /** Bits per sample of lossless sources. */
  bitDepth?: number;
  /** Sample frames the headers announce (exact for FLAC, an estimate for MP3). */
  expectedFrames?: number;
  /** expectedFrames is exact, so decoding fewer frames means the stream was cut short. */
  exactFrames?: boolean;
  /** Duration the container announces, where it says so in seconds rather than frames (M4A). */
  durationSeconds?: number;
  /** Stretches of damaged bytes between good frames, which the decoder skips (MP3). */
  damaged?: Array<{ offset: number; bytes: number }>;
  /** Sample frames lost in them, where the headers say how many there should be. */
  lostFrames?: number;
}

function fail(code: string, message: string): never {
  throw new AudioDecodeError(code, message);
}

function ascii(b: Uint8Array, at: number, s: string): boolean {
  if (at + s.length > b.length) return false;
  for (let i = 0; i < s.length; i++) if (b[at + i] !== s.charCodeAt(i)) return false;
  return true;
}

/** Size of an ID3v2 tag at `at` (header, body, footer), or 0 if there is none. */
function id3Size(b: Uint8Array, at: number): number {
  if (!ascii(b, at, 'ID3') || at + 10 > b.length) return 0;
  const size = ((b[at + 6] & 0x7f) << 21) | ((b[at + 7] & 0x7f) << 14) | ((b[at + 8] & 0x7f) << 7) | (b[at + 9] & 0x7f);
  return 10 + size + (b[at + 5] & 0x10 ? 10 : 0);
}

/** Well-known formats we recognise but do not decode, so the error can say what the file is. */
const UNSUPPORTED: Array<[test: (b: Uint8Array) => boolean, name: string]> = [
  [(b) => ascii(b, 0, 'RF64') || ascii(b, 0, 'BW64'), 'RF64/BW64 (WAV over 4 GB)'],
  [(b) => ascii(b, 0, 'RIFX'), 'big-endian WAV (RIFX)'],
  [(b) => ascii(b, 0, 'RIFF') && ascii(b, 8, 'AVI '), 'AVI video'],
  [(b) => b[0] === 0x1a && b[1] === 0x45 && b[2] === 0xdf && b[3] === 0xa3, 'WebM/Matroska'],
  [(b) => ascii(b, 0, 'caff'), 'Core Audio (CAF)'],
  [(b) => b[0] === 0x30 && b[1] === 0x26 && b[2] === 0xb2 && b[3] === 0x75, 'WMA/ASF'],
  [(b) => b[0] === 0xff && (b[1] & 0xf6) === 0xf0, 'raw AAC (ADTS); use an .m4a container'],
  [(b) => ascii(b, 0, 'MThd'), 'MIDI (notes, not audio)'],
];
const SUPPORTED_LIST = 'WAV, MP3, FLAC, Ogg Vorbis, Opus, M4A (AAC/ALAC), AIFF';

/** Which of our formats `bytes` is, by its magic bytes (never by file name). */
export function detectFormat(bytes: Uint8Array): AudioFormat {
  if (bytes.length === 0) fail('EMPTY', 'input is empty (0 bytes)');
  if (ascii(bytes, 0, 'RIFF') && ascii(bytes, 8, 'WAVE')) return 'wav';
  if (ascii(bytes, 0, 'RIFF') && bytes.length < 12) fail('TRUNCATED', `RIFF file ends after ${bytes.length} bytes, inside its header`);
  if (ascii(bytes, 0, 'fLaC')) return 'flac';
  if (ascii(bytes, 0, 'OggS')) return oggCodec(bytes);
  if (ascii(bytes, 0, 'FORM') && (ascii(bytes, 8, 'AIFF') || ascii(bytes, 8, 'AIFC'))) return 'aiff';
  if (ascii(bytes, 4, 'ftyp')) return 'm4a';
  const tag = id3Size(bytes, 0);
  if (tag) {
    if (tag >= bytes.length) fail('TRUNCATED', `file ends inside its ${tag}-byte ID3 tag`);
    if (ascii(bytes, tag, 'fLaC')) return 'flac';
    if (mpegHeader(bytes, tag) || bytes[tag] === 0) return 'mp3'; // some taggers pad after the tag
    fail('UNKNOWN_FORMAT', 'an ID3 tag followed by something that is not MP3 or FLAC');
  }
  if (mpegHeader(bytes, 0)) return 'mp3';
  for (const [test, name] of UNSUPPORTED) {
    if (bytes.length >= 4 && test(bytes)) fail('UNSUPPORTED_FORMAT', `${name} is not supported (supported: ${SUPPORTED_LIST})`);
  }
  fail('UNKNOWN_FORMAT', `not a recognised audio format (supported: ${SUPPORTED_LIST})`);
}

function oggCodec(b: Uint8Array): AudioFormat {
  if (b.length < 28) fail('TRUNCATED', 'Ogg file ends inside its first page header');
  const body = 27 + b[26];
  if (ascii(b, body, '\x01vorbis')) return 'ogg';
  if (ascii(b, body, 'OpusHead')) return 'opus';
  if (ascii(b, body, '\x7fFLAC')) return 'flac';
  if (body + 8 > b.length) fail('TRUNCATED', 'Ogg file ends inside its first page');
  const what = ascii(b, body, 'Speex') ? 'Speex' : ascii(b, body, '\x80theora') ? 'Theora video' : 'an unknown codec';
  fail('UNSUPPORTED_FORMAT', `Ogg stream with ${what} is not supported (Ogg Vorbis, Opus and FLAC are)`);
}

// ---------------------------------------------------------------- MP3 (MPEG-1/2/2.5 layer I/II/III)

interface MpegFrame {
  length: number;
  samples: number;
  sampleRate: number;
  channels: number;
  /** version bits (3: MPEG-1, 2: MPEG-2, 0: MPEG-2.5) and layer (1..3), to check frames agree. */
  kind: number;
  layer: number;
  mpeg1: boolean;
}

const KBPS: Record<string, number[]> = {
  // [version 1 or 2][layer]: kbit/s for bitrate index 1..14
  '1-1': [32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448],
  '1-2': [32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384],
  '1-3': [32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320],
  '2-1': [32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256],
  '2-2': [8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
  '2-3': [8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
};
const MPEG_RATES = [44100, 48000, 32000];

/** Parses the 4-byte MPEG audio frame header at `p`; undefined if it is not one (or free-format). */
function mpegHeader(b: Uint8Array, p: number): MpegFrame | undefined {
  if (p + 4 > b.length || b[p] !== 0xff || (b[p + 1] & 0xe0) !== 0xe0) return undefined;
  const version = (b[p + 1] >> 3) & 3; // 0: 2.5, 1: reserved, 2: MPEG-2, 3: MPEG-1
  const layer = 4 - ((b[p + 1] >> 1) & 3); // bits 01 → III, 10 → II, 11 → I
  const bitrateIndex = b[p + 2] >> 4;
  const rateIndex = (b[p + 2] >> 2) & 3;
  if (version === 1 || layer === 4 || bitrateIndex === 0 || bitrateIndex === 15 || rateIndex === 3) return undefined;
  const mpeg1 = version === 3;
  const kbps = KBPS[`${mpeg1 ? 1 : 2}-${layer}`][bitrateIndex - 1];
  const sampleRate = MPEG_RATES[rateIndex] / (mpeg1 ? 1 : version === 2 ? 2 : 4);
  const padding = (b[p + 2] >> 1) & 1;
  const samples = layer === 1 ? 384 : layer === 3 && !mpeg1 ? 576 : 1152;
  const length = layer === 1
    ? (Math.floor((12000 * kbps) / sampleRate) + padding) * 4
    : Math.floor(((samples / 8) * 1000 * kbps) / sampleRate) + padding;
  const channels = b[p + 3] >> 6 === 3 ? 1 : 2;
  return { length, samples, sampleRate, channels, kind: version * 4 + layer, layer, mpeg1 };
}

function isTrailingTag(b: Uint8Array, p: number): boolean {
  return ascii(b, p, 'TAG') || ascii(b, p, 'APETAGEX') || ascii(b, p, 'LYRICS') || ascii(b, p, 'ID3');
}

/** Walks every MP3 frame header: finds the stream, checks it is not cut short, counts its samples. */
export function probeMp3(b: Uint8Array): StreamProbe {
  const end = b.length;
  const start = id3Size(b, 0);
  // The stream starts at the first header whose successor is also a header (or the end):
  // one lone sync pattern in junk or tag padding is not enough.
  let first = -1;
  let firstFrame: MpegFrame | undefined;
  for (let s = start; s < Math.min(end, start + 65536); s++) {
    const h = mpegHeader(b, s);
    if (!h) continue;
    const next = s + h.length;
    if (next > end) {
      if (s === start) fail('TRUNCATED', `MP3: file ends inside its first frame (${end - s} of ${h.length} bytes)`);
      continue;
    }
    const h2 = next === end ? undefined : mpegHeader(b, next);
    if (next === end || isTrailingTag(b, next) || (h2 && h2.kind === h.kind && h2.sampleRate === h.sampleRate)) {
      first = s;
      firstFrame = h;
      break;
    }
  }
  if (!firstFrame) fail('CORRUPT', 'MP3: no valid MPEG audio frames found');

  // A Xing/Info frame (LAME, ffmpeg) carries no audio but announces the frame count.
  const sideInfo = firstFrame.mpeg1 ? (firstFrame.channels === 1 ? 17 : 32) : (firstFrame.channels === 1 ? 9 : 17);
  const xingAt = first + 4 + sideInfo;
  let xingFrames: number | undefined;
  if (ascii(b, xingAt, 'Xing') || ascii(b, xingAt, 'Info')) {
    const flags = new DataView(b.buffer, b.byteOffset + xingAt + 4, 8).getUint32(0, false);
    if (flags & 1 && xingAt + 12 <= end) xingFrames = new DataView(b.buffer, b.byteOffset + xingAt + 8, 4).getUint32(0, false);
  }

  const sameStream = (h: MpegFrame | undefined): h is MpegFrame => h !== undefined && h.kind === firstFrame.kind && h.sampleRate === firstFrame.sampleRate;
  let p = first;
  let frames = 0;
  let samples = 0;
  const damaged: Array<{ offset: number; bytes: number }> = [];
  while (p < end) {
    const h = mpegHeader(b, p);
    if (!sameStream(h)) {
      // A partial header at the very end is a cut; tags end the walk quietly. Anything else is
      // damage inside the stream: decoders (and ffmpeg) resync at the next good frame, so do we,
      // and the damage is reported rather than the whole file refused.
      if (end - p < 4 && b[p] === 0xff) fail('TRUNCATED', 'MP3: file ends inside a frame header');
      if (isTrailingTag(b, p)) break;
      const next = resync(b, p + 1, end, sameStream);
      if (next < 0) break; // junk to the end: nothing more to decode
      damaged.push({ offset: p, bytes: next - p });
      p = next;
      continue;
    }
    if (p + h.length > end) fail('TRUNCATED', `MP3: last frame is cut short (${end - p} of ${h.length} bytes)`);
    frames++;
    samples += h.samples;
    p += h.length;
  }
  const audioFrames = xingFrames === undefined ? frames : frames - 1;
  // The Info frame's count excludes itself; allow one frame of slack for encoders that count it.
  // Frames lost to damage are reported by the decoder, not counted as a cut.
  if (damaged.length === 0 && xingFrames !== undefined && audioFrames < xingFrames - 1) {
    fail('TRUNCATED', `MP3: header announces ${xingFrames} frames, the file holds ${audioFrames}`);
  }
  return {
    codec: firstFrame.layer === 3 ? 'mp3' : `mp${firstFrame.layer}`,
    sampleRate: firstFrame.sampleRate,
    channels: firstFrame.channels,
    expectedFrames: xingFrames !== undefined ? xingFrames * firstFrame.samples : samples,
    ...(damaged.length > 0 ? { damaged } : {}),
    ...(damaged.length > 0 && xingFrames !== undefined ? { lostFrames: Math.max(0, xingFrames - audioFrames) * firstFrame.samples } : {}),
  };
}

/** The first offset ≥ from holding a frame of the stream followed by another (or the end); -1 if none. */
function resync(b: Uint8Array, from: number, end: number, sameStream: (h: MpegFrame | undefined) => h is MpegFrame): number {
  for (let s = from; s + 4 <= end; s++) {
    if (b[s] !== 0xff) continue;
    const h = mpegHeader(b, s);
    if (!sameStream(h)) continue;
    const next = s + h.length;
    if (next === end || (next < end && (isTrailingTag(b, next) || sameStream(mpegHeader(b, next))))) return s;
  }
  return -1;
}

// ---------------------------------------------------------------- FLAC

interface StreamInfo { sampleRate: number; channels: number; bitDepth: number; totalSamples: number }

/** Reads a 34-byte STREAMINFO block body at `at`. */
function streamInfo(b: Uint8Array, at: number): StreamInfo {
  const sampleRate = (b[at + 10] << 12) | (b[at + 11] << 4) | (b[at + 12] >> 4);
  const channels = ((b[at + 12] >> 1) & 7) + 1;
  const bitDepth = (((b[at + 12] & 1) << 4) | (b[at + 13] >> 4)) + 1;
  const totalSamples = (b[at + 13] & 0x0f) * 2 ** 32 + new DataView(b.buffer, b.byteOffset + at + 14, 4).getUint32(0, false);
  if (sampleRate === 0 || sampleRate > MAX_SAMPLE_RATE) fail('BAD_SAMPLE_RATE', `FLAC: STREAMINFO declares a sample rate of ${sampleRate} Hz`);
  return { sampleRate, channels, bitDepth, totalSamples };
}

/** Walks the metadata blocks of a native FLAC stream and reads STREAMINFO. */
export function probeFlac(b: Uint8Array): StreamProbe {
  if (ascii(b, 0, 'OggS')) return probeOgg(b, 'flac');
  const end = b.length;
  let p = id3Size(b, 0) + 4; // after 'fLaC'
  let info: StreamInfo | undefined;
  for (let last = false; !last;) {
    if (p + 4 > end) fail('TRUNCATED', 'FLAC: file ends inside its metadata');
    last = (b[p] & 0x80) !== 0;
    const type = b[p] & 0x7f;
    const size = (b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3];
    if (p + 4 + size > end) fail('TRUNCATED', `FLAC: metadata block ${type} runs past the end of the file`);
    if (type === 127) fail('CORRUPT', 'FLAC: invalid metadata block type 127');
    if (!info) {
      if (type !== 0 || size < 34) fail('CORRUPT', 'FLAC: first metadata block is not STREAMINFO');
      info = streamInfo(b, p + 4);
    }
    p += 4 + size;
  }
  if (!info) fail('CORRUPT', 'FLAC: no STREAMINFO block');
  if (p >= end && info.totalSamples > 0) fail('TRUNCATED', 'FLAC: file ends before its first audio frame');
  return {
    codec: 'flac',
    sampleRate: info.sampleRate,
    channels: info.channels,
    bitDepth: info.bitDepth,
    // 0 means "unknown" in STREAMINFO
    expectedFrames: info.totalSamples || undefined,
    exactFrames: info.totalSamples > 0,
  };
}

// ---------------------------------------------------------------- Ogg (Vorbis, Opus, FLAC)

/**
 * Walks every Ogg page (27-byte header + segment table + body) and reads the first stream's
 * identification header. A page that runs past the end of the file means the file was cut.
 */
export function probeOgg(b: Uint8Array, codec: 'ogg' | 'opus' | 'flac'): StreamProbe {
  const end = b.length;
  const dv = new DataView(b.buffer, b.byteOffset, end);
  let serial: number | undefined;
  let lastGranule = -1;
  let probe: StreamProbe = {};
  let preSkip = 0;
  let p = 0;
  while (p < end) {
    if (!ascii(b, p, 'OggS')) {
      if (p === 0) fail('CORRUPT', 'Ogg: no page at the start of the file');
      if (end - p < 4 && ascii(b, p, 'OggS'.slice(0, end - p))) fail('TRUNCATED', 'Ogg: file ends inside a page header');
      break; // trailing junk: decoders ignore it too
    }
    if (p + 27 > end) fail('TRUNCATED', 'Ogg: file ends inside a page header');
    const segments = b[p + 26];
    if (p + 27 + segments > end) fail('TRUNCATED', 'Ogg: file ends inside a page header');
    let bodyLength = 0;
    for (let i = 0; i < segments; i++) bodyLength += b[p + 27 + i];
    const body = p + 27 + segments;
    if (body + bodyLength > end) fail('TRUNCATED', `Ogg: last page is cut short (${end - body} of ${bodyLength} bytes)`);
    const pageSerial = dv.getUint32(p + 14, true);
    if (serial === undefined) {
      serial = pageSerial;
      ({ probe, preSkip } = oggIdHeader(b, body, bodyLength, codec));
    }
    const granule = dv.getBigInt64(p + 6, true);
    if (pageSerial === serial && granule >= 0n) lastGranule = Number(granule);
    p = body + bodyLength;
  }
  if (lastGranule >= 0) probe.expectedFrames = Math.max(0, lastGranule - preSkip);
  return probe;
}

function oggIdHeader(b: Uint8Array, at: number, length: number, codec: 'ogg' | 'opus' | 'flac'): { probe: StreamProbe; preSkip: number } {
  const dv = new DataView(b.buffer, b.byteOffset + at, length);
  if (codec === 'ogg') {
    if (length < 30) fail('CORRUPT', 'Ogg Vorbis: identification header too short');
    const channels = dv.getUint8(11);
    const sampleRate = dv.getUint32(12, true);
    if (channels === 0) fail('NO_CHANNELS', 'Ogg Vorbis: header declares 0 channels');
    if (sampleRate === 0 || sampleRate > MAX_SAMPLE_RATE) fail('BAD_SAMPLE_RATE', `Ogg Vorbis: header declares a sample rate of ${sampleRate} Hz`);
    return { probe: { codec: 'vorbis', channels, sampleRate }, preSkip: 0 };
  }
  if (codec === 'opus') {
    if (length < 19) fail('CORRUPT', 'Opus: identification header too short');
    const channels = dv.getUint8(9);
    if (channels === 0) fail('NO_CHANNELS', 'Opus: header declares 0 channels');
    // Opus always decodes at 48 kHz; the header's "input rate" is informative only.
    return { probe: { codec: 'opus', channels, sampleRate: 48000 }, preSkip: dv.getUint16(10, true) };
  }
  // Ogg FLAC: 0x7F 'FLAC' major minor headers(2) 'fLaC' then a STREAMINFO block (4-byte header + 34).
  if (length < 13 + 4 + 34) fail('CORRUPT', 'Ogg FLAC: first packet too short');
  const info = streamInfo(b, at + 13 + 4);
  return { probe: { codec: 'flac', channels: info.channels, sampleRate: info.sampleRate, bitDepth: info.bitDepth }, preSkip: 0 };
}

// ---------------------------------------------------------------- AIFF / AIFC

const AIFC_CODECS: Record<string, string> = {
  NONE: 'pcm_s{bits}be', twos: 'pcm_s{bits}be', sowt: 'pcm_s{bits}le', fl32: 'pcm_f32be', FL32: 'pcm_f32be',
  fl64: 'pcm_f64be', FL64: 'pcm_f64be', alaw: 'alaw', ulaw: 'mulaw', ALAW: 'alaw', ULAW: 'mulaw',
};

/** Reads the COMM chunk (channels, frames, bits, 80-bit float rate) and checks SSND fits in the file. */
export function probeAiff(b: Uint8Array): StreamProbe {
  const end = b.length;
  const dv = new DataView(b.buffer, b.byteOffset, end);
  const aifc = ascii(b, 8, 'AIFC');
  let probe: StreamProbe | undefined;
  let soundBytes = -1;
  let frameBytes = 0;
  for (let p = 12; p + 8 <= end;) {
    const size = dv.getUint32(p + 4, false);
    const body = p + 8;
    if (body + size > end) fail('TRUNCATED', `AIFF: chunk '${String.fromCharCode(...b.subarray(p, p + 4))}' runs past the end of the file`);
    if (ascii(b, p, 'COMM')) {
      if (size < 18) fail('CORRUPT', 'AIFF: COMM chunk too short');
      const channels = dv.getUint16(body, false);
      const frames = dv.getUint32(body + 2, false);
      const bits = dv.getUint16(body + 6, false);
      const exponent = (dv.getUint16(body + 8, false) & 0x7fff) - 16383;
      const mantissa = dv.getUint32(body + 10, false) * 2 ** 32 + dv.getUint32(body + 14, false);
      const sampleRate = Math.round(mantissa * 2 ** (exponent - 63));
      if (channels === 0) fail('NO_CHANNELS', 'AIFF: header declares 0 channels');
      if (!(sampleRate > 0 && sampleRate <= MAX_SAMPLE_RATE)) fail('BAD_SAMPLE_RATE', `AIFF: header declares a sample rate of ${sampleRate} Hz`);
      const compression = aifc && size >= 22 ? String.fromCharCode(...b.subarray(body + 18, body + 22)) : 'NONE';
      const codec = (AIFC_CODECS[compression] ?? compression).replace('{bits}', String(bits));
      probe = { codec, channels, sampleRate, bitDepth: bits, expectedFrames: frames, exactFrames: true };
      // Uncompressed only: bytes per frame, to check the sound data holds the frames COMM announces.
      if (codec.startsWith('pcm_')) frameBytes = channels * (codec.startsWith('pcm_f') ? Number(codec.slice(5, 7)) / 8 : Math.ceil(bits / 8));
    } else if (ascii(b, p, 'SSND') && size >= 8) {
      soundBytes = size - 8 - dv.getUint32(body, false); // minus offset and block size fields, and the offset
    }
    p = body + size + (size & 1);
  }
  if (!probe) fail(end < 64 ? 'TRUNCATED' : 'CORRUPT', 'AIFF: no COMM chunk');
  const frames = probe.expectedFrames ?? 0;
  if (soundBytes < 0 && frames > 0) fail('TRUNCATED', 'AIFF: file ends before its sound data');
  if (frameBytes > 0 && frames * frameBytes > soundBytes) {
    fail('TRUNCATED', `AIFF: header announces ${frames} sample frames, the sound data holds ${Math.floor(Math.max(0, soundBytes) / frameBytes)}`);
  }
  return probe;
}

// ---------------------------------------------------------------- M4A (MP4 audio)

const MP4_CODECS: Record<string, string> = { mp4a: 'aac', alac: 'alac', '.mp3': 'mp3', fLaC: 'flac', Opus: 'opus', 'ac-3': 'ac3' };

/** Boxes the demuxer descends into (@audio/decode-mp4's CONTAINERS, plus moof). */
const MP4_CONTAINERS = new Set(['moov', 'trak', 'mdia', 'minf', 'stbl', 'udta', 'edts', 'sinf', 'wave', 'mvex', 'traf', 'moof']);
/** Sample tables: [offset of the entry count, fixed bytes before the entries, bytes per entry]. */
const MP4_TABLES: Record<string, [number, number, number]> = {
  stco: [4, 8, 4], co64: [4, 8, 8], stsc: [4, 8, 12], stts: [4, 8, 8], ctts: [4, 8, 8], stss: [4, 8, 4],
};

/**
 * Walks the box tree the way the demuxer will and checks every table's entry count against its
 * box size. The demuxer (and its gapless code) loops and allocates straight from these counts: one
 * flipped byte in an stsc or elst count (both found by fuzzing) made it build billions of entries
 * and kill the process with an out-of-memory abort, which no try/catch can stop.
 * Notes where moov, mvhd, stsd are.
 */
function checkMp4Boxes(buf: Buffer, start: number, end: number, depth: number, found: Mp4Boxes): void {
  if (depth > 16) fail('CORRUPT', 'M4A: boxes nested too deeply');
  for (let p = start; p + 8 <= end;) {
    let size = buf.readUInt32BE(p);
    const type = buf.toString('latin1', p + 4, p + 8);
    let header = 8;
    if (size === 1) {
      if (p + 16 > end) fail('TRUNCATED', `M4A: box '${type}' is cut short`);
      size = Number(buf.readBigUInt64BE(p + 8));
      header = 16;
    } else if (size === 0) {
      size = end - p; // the box runs to the end of its parent
    }
    if (size < header) fail('CORRUPT', `M4A: box '${type}' has an invalid size ${size}`);
    if (p + size > end) {
      if (depth === 0) fail('TRUNCATED', `M4A: box '${type}' runs past the end of the file (${end - p} of ${size} bytes)`);
      fail('CORRUPT', `M4A: box '${type}' runs past the end of its parent box`);
    }
    const body = p + header;
    const bodyLength = size - header;
    if (type === 'moov') found.moov = true;
    if (type === 'mvhd' && found.mvhd === undefined && bodyLength >= 24) found.mvhd = body;
    if (type === 'stsd' && found.stsd === undefined && bodyLength >= 16) found.stsd = body;
    if (type === 'meta') checkMp4Boxes(buf, body + 4, p + size, depth + 1, found);
    else if (MP4_CONTAINERS.has(type)) checkMp4Boxes(buf, body, p + size, depth + 1, found);
    else checkMp4Table(buf, type, body, bodyLength);
    p += size;
  }
}

interface Mp4Boxes { moov: boolean; mvhd?: number; stsd?: number }

function checkMp4Table(buf: Buffer, type: string, body: number, length: number): void {
  const bad = (): never => fail('CORRUPT', `M4A: '${type}' table declares more entries than its box holds`);
  const table = MP4_TABLES[type];
  if (table) {
    const [countAt, fixed, entry] = table;
    if (length < fixed) bad();
    if (fixed + buf.readUInt32BE(body + countAt) * entry > length) bad();
  } else if (type === 'elst') {
    // edit list: 12-byte entries (version 0) or 20-byte ones (version 1)
    if (length < 8) bad();
    if (8 + buf.readUInt32BE(body + 4) * (buf[body] === 1 ? 20 : 12) > length) bad();
  } else if (type === 'stsz') {
    if (length < 12) bad();
    const sampleSize = buf.readUInt32BE(body + 4);
    const count = buf.readUInt32BE(body + 8);
    // With one size for all samples there is no list; their bytes must still fit in the file.
    if (sampleSize === 0 ? 12 + 4 * count > length : count > buf.length || count * sampleSize > buf.length) bad();
  } else if (type === 'trun') {
    if (length < 8) bad();
    const flags = buf.readUInt32BE(body) & 0xffffff;
    const count = buf.readUInt32BE(body + 4);
    let perSample = 0;
    for (const bit of [0x100, 0x200, 0x400, 0x800]) if (flags & bit) perSample += 4;
    const fixed = 8 + (flags & 1 ? 4 : 0) + (flags & 4 ? 4 : 0);
    if (perSample ? fixed + perSample * count > length : count > buf.length) bad();
  }
}

/**
 * Checks the box structure (see checkMp4Boxes), then reads the codec (first sample entry) and the
 * movie duration (mvhd): enough for the info and the duration limit; the demuxer does the rest.
 */
export function probeM4a(b: Uint8Array): StreamProbe {
  const buf = Buffer.from(b.buffer, b.byteOffset, b.length);
  const probe: StreamProbe = {};
  const found: Mp4Boxes = { moov: false };
  checkMp4Boxes(buf, 0, b.length, 0, found);
  // The index (moov) is often written last, so a file cut short lacks it.
  if (!found.moov) fail('TRUNCATED', "M4A: no 'moov' index box (the file is incomplete)");
  if (found.stsd !== undefined) {
    // stsd: version/flags, entry count, then the first entry's size and its codec fourcc
    const fourcc = buf.toString('latin1', found.stsd + 12, found.stsd + 16);
    probe.codec = MP4_CODECS[fourcc] ?? fourcc.trim();
  }
  if (found.mvhd !== undefined) {
    const v1 = b[found.mvhd] === 1;
    const at = found.mvhd + (v1 ? 20 : 12); // after version/flags and the two timestamps
    if (at + (v1 ? 12 : 8) <= b.length) {
      const timescale = buf.readUInt32BE(at);
      const duration = v1 ? Number(buf.readBigUInt64BE(at + 4)) : buf.readUInt32BE(at + 4);
      if (timescale > 0 && duration !== 0xffffffff) probe.durationSeconds = duration / timescale;
    }
  }
  return probe;
}
