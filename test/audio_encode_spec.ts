/**
 * encodeWav: header layout, rounding and clipping, and that sox and ffmpeg read back exactly the
 * integers (PCM) or the bits (float) we meant to write.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { decodeAudio, encodeWav, type AudioData, type WavBitDepth } from '../lib/audio';
import { WavBuilder } from '../lib/audio/encode';
import { InvalidArgumentError } from '../lib/errors';
import { fixture, hasTool, lcg, runTool, sine, toolWarnings } from './helpers/audio';

/** Reference quantiser, written independently of encode.ts: round half to even, then clip. */
function expectedInt(x: number, bits: number): number {
  const full = 2 ** (bits - 1);
  const v = x * full;
  let r = Math.floor(v);
  const frac = v - r;
  if (frac > 0.5 || (frac === 0.5 && r % 2 !== 0)) r += 1;
  return Math.max(-full, Math.min(full - 1, r)) + 0; // + 0 turns -0 into 0
}

/** Edge values (ties, clipping, full scale, tiny) followed by a sine and noise: what every check uses. */
function testSignal(channels: number, length: number, bits: number): AudioData {
  const step = 1 / 2 ** (bits - 1);
  const edges = [0, 1, -1, 1.5, -1.5, 0.5 * step, 1.5 * step, -0.5 * step, -1.5 * step, 2.5 * step, 1 - 0.5 * step, 1e-12, -1e-12, 0.999999, -0.999999];
  const rnd = lcg(bits * 31 + channels);
  return {
    sampleRate: 44100,
    channels: Array.from({ length: channels }, (_, c) => {
      const x = sine(44100, length, 440 * (c + 1), 0.7);
      for (let i = 0; i < length; i++) x[i] += (rnd() - 0.5) * 0.2;
      x.set(edges.map((e) => (c % 2 ? -e : e)).slice(0, length));
      return x;
    }),
  };
}

function interleaveInts(audio: AudioData, bits: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < audio.channels[0].length; i++) for (const ch of audio.channels) out.push(expectedInt(ch[i], bits));
  return out;
}

function readInts(raw: Buffer, bytes: 2 | 3 | 4): number[] {
  const out: number[] = [];
  for (let p = 0; p + bytes <= raw.length; p += bytes) out.push(raw.readIntLE(p, bytes));
  return out;
}

describe('audio encode: WAV header', () => {
  const mono = (n: number): AudioData => ({ sampleRate: 48000, channels: [new Float32Array(n)] });

  it('16-bit mono/stereo: the canonical 44-byte WAVE_FORMAT_PCM header', () => {
    const wav = encodeWav({ sampleRate: 44100, channels: [new Float32Array(10), new Float32Array(10)] }, { bitDepth: 16 });
    assert.equal(wav.length, 44 + 40);
    assert.equal(wav.toString('latin1', 0, 4), 'RIFF');
    assert.equal(wav.readUInt32LE(4), wav.length - 8);
    assert.equal(wav.toString('latin1', 8, 16), 'WAVEfmt ');
    assert.equal(wav.readUInt32LE(16), 16);
    assert.equal(wav.readUInt16LE(20), 1); // WAVE_FORMAT_PCM
    assert.equal(wav.readUInt16LE(22), 2);
    assert.equal(wav.readUInt32LE(24), 44100);
    assert.equal(wav.readUInt32LE(28), 44100 * 4);
    assert.equal(wav.readUInt16LE(32), 4);
    assert.equal(wav.readUInt16LE(34), 16);
    assert.equal(wav.toString('latin1', 36, 40), 'data');
    assert.equal(wav.readUInt32LE(40), 40);
  });

  for (const [bits, channels, subFormat, mask] of [[24, 2, 1, 0x3], [32, 1, 3, 0x4], [16, 6, 1, 0x3f], [16, 3, 1, 0], [24, 8, 1, 0x63f]] as const) {
    it(`${bits === 32 ? 'float' : `${bits}-bit`} ${channels} ch: WAVE_FORMAT_EXTENSIBLE, SubFormat ${subFormat}, mask 0x${mask.toString(16)}, fact`, () => {
      const audio: AudioData = { sampleRate: 96000, channels: Array.from({ length: channels }, () => new Float32Array(5)) };
      const wav = encodeWav(audio, { bitDepth: bits });
      assert.equal(wav.readUInt32LE(16), 40);
      assert.equal(wav.readUInt16LE(20), 0xfffe);
      assert.equal(wav.readUInt16LE(22), channels);
      assert.equal(wav.readUInt16LE(32), (channels * bits) / 8);
      assert.equal(wav.readUInt16LE(34), bits);
      assert.equal(wav.readUInt16LE(36), 22); // cbSize
      assert.equal(wav.readUInt16LE(38), bits); // valid bits
      assert.equal(wav.readUInt32LE(40), mask);
      assert.equal(wav.toString('hex', 44, 60), `${subFormat.toString(16).padStart(2, '0')}00000000001000800000aa00389b71`);
      assert.equal(wav.toString('latin1', 60, 64), 'fact');
      assert.equal(wav.readUInt32LE(68), 5);
      assert.equal(wav.toString('latin1', 72, 76), 'data');
      assert.equal(wav.readUInt32LE(76), (5 * channels * bits) / 8);
      assert.equal(wav.length, 80 + (5 * channels * bits) / 8 + (((5 * channels * bits) / 8) & 1));
    });
  }

  it('pads an odd-sized data chunk to an even length (24-bit mono, odd frame count)', () => {
    const wav = encodeWav(mono(3), { bitDepth: 24 });
    assert.equal(wav.readUInt32LE(76), 9);
    assert.equal(wav.length, 80 + 10);
    assert.equal(wav.readUInt32LE(4), wav.length - 8);
    assert.equal(wav[wav.length - 1], 0);
  });

  it('defaults to 16-bit; rejects bad bit depths and bad audio with InvalidArgumentError', () => {
    assert.equal(encodeWav(mono(1)).readUInt16LE(34), 16);
    const bad = (fn: () => unknown, code: string): void => {
      assert.throws(fn, (e: unknown) => e instanceof InvalidArgumentError && e.code === code);
    };
    bad(() => encodeWav(mono(1), { bitDepth: 8 as WavBitDepth }), 'BAD_BIT_DEPTH');
    bad(() => encodeWav({ sampleRate: 48000, channels: [] }), 'NO_CHANNELS');
    bad(() => encodeWav({ sampleRate: 0, channels: [new Float32Array(1)] }), 'BAD_SAMPLE_RATE');
    bad(() => encodeWav({ sampleRate: 44100.5, channels: [new Float32Array(1)] }), 'BAD_SAMPLE_RATE');
    bad(() => encodeWav({ sampleRate: 48000, channels: [new Float32Array(2), new Float32Array(3)] }), 'CHANNEL_MISMATCH');
    bad(() => encodeWav({ sampleRate: 48000, channels: [Float32Array.of(0, NaN)] }, { bitDepth: 32 }), 'NON_FINITE');
  });
});

describe('audio encode: samples', () => {
  for (const bits of [16, 24] as const) {
    it(`${bits}-bit: round half to even, clip to the code range, symmetric 2^${bits - 1} scale`, async () => {
      const audio = testSignal(2, 2000, bits);
      const wav = encodeWav(audio, { bitDepth: bits });
      const ints = readInts(wav.subarray(bits === 16 ? 44 : 80), (bits / 8) as 2 | 3);
      assert.deepEqual(ints, interleaveInts(audio, bits));
      const full = 2 ** (bits - 1);
      // spot checks of the edge values written at the start of channel 0
      assert.deepEqual(ints.filter((_, i) => i % 2 === 0).slice(0, 11), [0, full - 1, -full, full - 1, -full, 0, 2, 0, -2, 2, full - 1]);
      // and our decoder maps the codes back to code / 2^(bits-1) exactly
      const back = await decodeAudio(wav);
      back.channels.forEach((ch, c) => ch.forEach((v, i) => assert.equal(v, ints[i * 2 + c] / full)));
    });
  }

  it('float: samples are written bit for bit, values beyond ±1 kept', async () => {
    const audio = testSignal(2, 500, 24);
    const back = await decodeAudio(encodeWav(audio, { bitDepth: 32 }));
    assert.deepEqual(back.channels, audio.channels);
  });

  it('decode → encode gives back the fixture files\' own samples (16 and 24-bit, and FLAC → WAV)', async () => {
    const dataOf = (wav: Buffer): Buffer => wav.subarray(wav.indexOf('data') + 8);
    for (const [name, bits] of [['wav_s16_stereo_44k.wav', 16], ['wav_s24_stereo_16k.wav', 24], ['wav_s16_6ch_16k.wav', 16]] as const) {
      const original = fixture(name);
      const again = encodeWav(await decodeAudio(original), { bitDepth: bits });
      assert.ok(dataOf(again).equals(dataOf(original)), name);
    }
    // The FLAC fixture holds the same 16-bit samples (1.5 s of them) as the 1 s WAV.
    const fromFlac = encodeWav(await decodeAudio(fixture('flac_s16_stereo_44k.flac')), { bitDepth: 16 });
    const wav = dataOf(fixture('wav_s16_stereo_44k.wav'));
    assert.ok(dataOf(fromFlac).subarray(0, wav.length).equals(wav), 'FLAC → WAV is lossless');
  });
});

describe('audio encode: a WAV built a range of frames at a time (WavBuilder)', () => {
  for (const [bits, channels] of [[16, 2], [24, 1], [32, 3]] as Array<[WavBitDepth, number]>) {
    it(`${bits === 32 ? 'float' : `${bits}-bit`} ${channels} ch: ranges written out of order give encodeWav's bytes`, () => {
      const audio = testSignal(channels, 10001, bits);
      const built = new WavBuilder(audio.sampleRate, channels, 10001, { bitDepth: bits });
      for (const [from, to] of [[4000, 10001], [0, 1], [1, 2500], [2500, 4000], [4000, 4000]]) built.write(audio.channels, from, to);
      assert.ok(built.bytes.equals(encodeWav(audio, { bitDepth: bits })));
    });
  }

  it('refuses a NaN, naming its place in the file, and ranges or channel counts that do not fit', () => {
    const audio = testSignal(2, 1000, 16);
    audio.channels[1][700] = NaN;
    const built = new WavBuilder(audio.sampleRate, 2, 1000);
    built.write(audio.channels, 0, 600);
    assert.throws(() => built.write(audio.channels, 600, 1000), (e: unknown) => e instanceof InvalidArgumentError && /channel 1 sample 700 is NaN/.test(e.message));
    assert.throws(() => built.write(audio.channels, 900, 1001), /not within the file's 1000/);
    assert.throws(() => built.write([audio.channels[0]], 0, 10), /1 channels for a file of 2/);
  });
});

describe('audio encode: sox and ffmpeg read our files back exactly', function () {
  let dir = '';
  const sox = hasTool('sox');
  const ffmpeg = hasTool('ffmpeg') && hasTool('ffprobe');
  before(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vocal-split-encode-')); });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  function write(name: string, audio: AudioData, bitDepth: WavBitDepth): string {
    const file = path.join(dir, name);
    fs.writeFileSync(file, encodeWav(audio, { bitDepth }));
    return file;
  }

  for (const [bits, channels] of [[16, 1], [16, 2], [24, 2], [16, 6], [24, 6]] as const) {
    it(`${bits}-bit ${channels} ch: the integers sox and ffmpeg read are the ones we computed`, function () {
      if (!sox || !ffmpeg) this.skip();
      const audio = testSignal(channels, 3001, bits);
      const file = write(`pcm${bits}_${channels}.wav`, audio, bits);
      const expected = interleaveInts(audio, bits);
      // sox reads 24-bit into its 32-bit samples unchanged (shifted left by 8)
      const soxInts = readInts(runTool('sox', ['-V1', file, '-t', bits === 16 ? 's16' : 's32', '-']), bits === 16 ? 2 : 4);
      assert.deepEqual(bits === 16 ? soxInts : soxInts.map((v) => v / 256), expected);
      const ffInts = readInts(runTool('ffmpeg', ['-v', 'error', '-i', file, '-f', bits === 16 ? 's16le' : 's24le', '-']), (bits / 8) as 2 | 3);
      assert.deepEqual(ffInts, expected);
      // the header says what it is, to both, without warnings
      assert.equal(runTool('soxi', ['-r', file]).toString().trim(), '44100');
      assert.equal(runTool('soxi', ['-c', file]).toString().trim(), String(channels));
      assert.equal(runTool('soxi', ['-b', file]).toString().trim(), String(bits));
      assert.equal(runTool('soxi', ['-s', file]).toString().trim(), '3001');
      const probe = JSON.parse(runTool('ffprobe', ['-v', 'warning', '-of', 'json', '-show_entries', 'stream=codec_name,sample_rate,channels', file]).toString()) as { streams: Array<Record<string, unknown>> };
      assert.deepEqual(probe.streams[0], { codec_name: `pcm_s${bits}le`, sample_rate: '44100', channels });
      // ffmpeg notes "Guessed Channel Layout" for every plain (non-extensible) PCM WAV, sox's included
      const ffWarnings = toolWarnings('ffmpeg', ['-v', 'warning', '-i', file, '-f', 'null', '-']).replace(/^Guessed Channel Layout.*\n/m, '');
      assert.equal(ffWarnings, '');
      assert.equal(toolWarnings('sox', ['-V2', file, '-n']), '');
    });
  }

  it('float: ffmpeg reads the same 32-bit floats bit for bit (beyond ±1 too); sox too, within its 32-bit fixed point', function () {
    if (!sox || !ffmpeg) this.skip();
    const audio = testSignal(2, 2000, 24);
    const file = write('float.wav', audio, 32);
    const ours = Buffer.alloc(2000 * 2 * 4);
    for (let i = 0; i < 2000; i++) for (let c = 0; c < 2; c++) ours.writeFloatLE(audio.channels[c][i], (i * 2 + c) * 4);
    assert.ok(runTool('ffmpeg', ['-v', 'warning', '-i', file, '-f', 'f32le', '-']).equals(ours), 'ffmpeg: bit-exact');
    // sox converts through 32-bit integers (clipping at ±1), so give it values on a 2^-23 grid inside [-1, 1)
    const rnd = lcg(99);
    const grid: AudioData = { sampleRate: 48000, channels: [Float32Array.from({ length: 1000 }, () => Math.floor((rnd() * 2 - 1) * 2 ** 23) / 2 ** 23)] };
    const gridFile = write('float_grid.wav', grid, 32);
    const soxRaw = runTool('sox', ['-V1', gridFile, '-t', 'f32', '-']);
    assert.ok(soxRaw.equals(Buffer.from(grid.channels[0].buffer)), 'sox: bit-exact on the grid');
    assert.equal(runTool('soxi', ['-e', gridFile]).toString().trim(), 'Floating Point PCM');
  });

  it('24-bit mono with an odd frame count (padded data chunk) reads back with the right length', function () {
    if (!sox || !ffmpeg) this.skip();
    const file = write('odd.wav', { sampleRate: 8000, channels: [Float32Array.of(0.25, -0.5, 0.75)] }, 24);
    assert.deepEqual(readInts(runTool('sox', ['-V1', file, '-t', 's32', '-']), 4).map((v) => v / 256), [2097152, -4194304, 6291456]);
    assert.equal(readInts(runTool('ffmpeg', ['-v', 'warning', '-i', file, '-f', 's24le', '-']), 3).length, 3);
  });
});
