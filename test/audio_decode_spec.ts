/**
 * Decoding every fixture format against the known signal it was made from (make-fixtures.sh):
 * mono 440 Hz at 0.5; stereo 440 Hz at 0.5 left, 1000 Hz at 0.25 right; 6 channels at 0.3.
 * Lossless files must match the signal to within half a step of their bit depth, sample by sample;
 * lossy ones must keep the tone's frequency, amplitude and timing within codec tolerances.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { decodeAudio, decodeAudioFile, decodeAudioWithInfo, type AudioFormat } from '../lib/audio';
import {
  FIXTURES, MIR1K_SAMPLE, db, fitSine, fixture, rms, zeroCrossingFrequency,
} from './helpers/audio';

type Tone = [freq: number, amp: number];
const MONO: Tone[] = [[440, 0.5]];
const STEREO: Tone[] = [[440, 0.5], [1000, 0.25]];
const SIX: Tone[] = [200, 300, 500, 700, 1100, 1300].map((f): Tone => [f, 0.3]);

interface Case {
  file: string;
  format: AudioFormat;
  codec: string;
  rate: number;
  tones: Tone[];
  seconds: number;
  /** Lossless: bit depth the samples are quantised to (they must match the signal within half a step). */
  bits?: number;
  sampleFormat?: 'int' | 'float';
  /** Lossy: largest amplitude error (dB) and highest "everything but the tone" level (dB) allowed. */
  lossy?: { ampDb: number; residualDb: number };
}

const CASES: Case[] = [
  { file: 'wav_u8_mono_16k.wav', format: 'wav', codec: 'pcm_u8', rate: 16000, tones: MONO, seconds: 1, bits: 8, sampleFormat: 'int' },
  { file: 'wav_u8_stereo_16k.wav', format: 'wav', codec: 'pcm_u8', rate: 16000, tones: STEREO, seconds: 1, bits: 8, sampleFormat: 'int' },
  { file: 'wav_s16_stereo_44k.wav', format: 'wav', codec: 'pcm_s16le', rate: 44100, tones: STEREO, seconds: 1, bits: 16, sampleFormat: 'int' },
  { file: 'wav_s16_mono_48k.wav', format: 'wav', codec: 'pcm_s16le', rate: 48000, tones: MONO, seconds: 1, bits: 16, sampleFormat: 'int' },
  { file: 'wav_s16_mono_48k_ffmpeg.wav', format: 'wav', codec: 'pcm_s16le', rate: 48000, tones: MONO, seconds: 1, bits: 16, sampleFormat: 'int' },
  { file: 'wav_s24_stereo_16k.wav', format: 'wav', codec: 'pcm_s24le', rate: 16000, tones: STEREO, seconds: 1, bits: 24, sampleFormat: 'int' },
  { file: 'wav_s32_stereo_16k.wav', format: 'wav', codec: 'pcm_s32le', rate: 16000, tones: STEREO, seconds: 1, bits: 32, sampleFormat: 'int' },
  { file: 'wav_f32_stereo_16k.wav', format: 'wav', codec: 'pcm_f32le', rate: 16000, tones: STEREO, seconds: 1, bits: 32, sampleFormat: 'float' },
  { file: 'wav_f64_mono_16k.wav', format: 'wav', codec: 'pcm_f64le', rate: 16000, tones: MONO, seconds: 1, bits: 64, sampleFormat: 'float' },
  { file: 'wav_s16_6ch_16k.wav', format: 'wav', codec: 'pcm_s16le', rate: 16000, tones: SIX, seconds: 0.5, bits: 16, sampleFormat: 'int' },
  { file: 'aiff_s16_mono_16k.aiff', format: 'aiff', codec: 'pcm_s16be', rate: 16000, tones: MONO, seconds: 1, bits: 16, sampleFormat: 'int' },
  { file: 'flac_s16_stereo_44k.flac', format: 'flac', codec: 'flac', rate: 44100, tones: STEREO, seconds: 1.5, bits: 16, sampleFormat: 'int' },
  { file: 'flac_s24_mono_48k.flac', format: 'flac', codec: 'flac', rate: 48000, tones: MONO, seconds: 1.5, bits: 24, sampleFormat: 'int' },
  // G.711 µ-law keeps ~38 dB SNR at this level; IMA ADPCM (4 bits) ~ 30 dB.
  { file: 'wav_mulaw_mono_16k.wav', format: 'wav', codec: 'pcm_mulaw', rate: 16000, tones: MONO, seconds: 1, lossy: { ampDb: 0.1, residualDb: -30 } },
  { file: 'wav_ima_adpcm_mono_16k.wav', format: 'wav', codec: 'adpcm_ima', rate: 16000, tones: MONO, seconds: 1, lossy: { ampDb: 0.2, residualDb: -25 } },
  { file: 'mp3_stereo_44k.mp3', format: 'mp3', codec: 'mp3', rate: 44100, tones: STEREO, seconds: 1.5, lossy: { ampDb: 0.5, residualDb: -20 } },
  { file: 'mp3_mono_16k.mp3', format: 'mp3', codec: 'mp3', rate: 16000, tones: MONO, seconds: 1.5, lossy: { ampDb: 0.5, residualDb: -20 } },
  { file: 'vorbis_stereo_44k.ogg', format: 'ogg', codec: 'vorbis', rate: 44100, tones: STEREO, seconds: 1.5, lossy: { ampDb: 0.5, residualDb: -20 } },
  { file: 'vorbis_mono_16k.ogg', format: 'ogg', codec: 'vorbis', rate: 16000, tones: MONO, seconds: 1.5, lossy: { ampDb: 0.5, residualDb: -20 } },
  // Opus always decodes at 48 kHz, whatever rate went into the encoder.
  { file: 'opus_stereo_48k.opus', format: 'opus', codec: 'opus', rate: 48000, tones: STEREO, seconds: 1.5, lossy: { ampDb: 0.5, residualDb: -20 } },
  { file: 'opus_mono_16k.opus', format: 'opus', codec: 'opus', rate: 48000, tones: MONO, seconds: 1.5, lossy: { ampDb: 0.5, residualDb: -20 } },
  { file: 'm4a_aac_stereo_44k.m4a', format: 'm4a', codec: 'aac', rate: 44100, tones: STEREO, seconds: 1.5, lossy: { ampDb: 0.5, residualDb: -20 } },
];

describe('audio decode: fixtures of known signals', () => {
  for (const c of CASES) {
    it(`${c.file}: ${c.format}/${c.codec}, ${c.rate} Hz, ${c.tones.length} ch${c.bits ? `, ${c.bits}-bit exact` : ''}`, async () => {
      const info = await decodeAudioWithInfo(fixture(c.file));
      const { audio } = info;
      assert.equal(info.format, c.format);
      assert.equal(info.codec, c.codec);
      assert.equal(audio.sampleRate, c.rate);
      assert.equal(audio.channels.length, c.tones.length);
      const n = audio.channels[0].length;
      for (const ch of audio.channels) assert.equal(ch.length, n);
      if (c.bits) {
        assert.equal(n, Math.round(c.seconds * c.rate), 'lossless files keep their exact length');
        assert.equal(info.bitDepth, c.bits);
        assert.equal(info.sampleFormat, c.sampleFormat);
      } else {
        assert.ok(Math.abs(n - c.seconds * c.rate) <= 0.01 * c.rate, `length ${n} within 10 ms of ${c.seconds} s`);
        assert.equal(info.bitDepth, undefined);
      }
      assert.ok(Math.abs(info.durationSeconds - n / c.rate) < 1e-9);

      c.tones.forEach(([freq, amp], ch) => {
        const x = audio.channels[ch];
        if (c.bits) {
          // Sample by sample: the file holds round(A·sin(2πfn/rate) · 2^(bits-1)), or the float itself.
          const step = c.sampleFormat === 'float' || c.bits >= 32 ? 0 : 1 / 2 ** (c.bits - 1);
          const tol = step * 0.5001 + 1e-7;
          let worst = 0;
          for (let i = 0; i < n; i++) worst = Math.max(worst, Math.abs(x[i] - amp * Math.sin((2 * Math.PI * freq * i) / c.rate)));
          assert.ok(worst <= tol, `channel ${ch}: worst error ${worst} > ${tol}`);
        } else {
          const edge = Math.round(0.1 * c.rate); // codec start-up and end transients
          const fit = fitSine(x, c.rate, freq, edge, n - edge);
          const f = zeroCrossingFrequency(x, c.rate, edge, n - edge);
          assert.ok(Math.abs(f / freq - 1) < 0.005, `channel ${ch}: zero crossings say ${f.toFixed(1)} Hz, not ${freq}`);
          assert.ok(Math.abs(db(fit.amp / amp)) <= c.lossy!.ampDb, `channel ${ch}: amplitude ${fit.amp.toFixed(4)} vs ${amp}`);
          assert.ok(fit.residualDb <= c.lossy!.residualDb, `channel ${ch}: everything but the tone at ${fit.residualDb.toFixed(1)} dB`);
          // Decoders must drop encoder delay/padding: the tone starts at phase 0 at sample 0.
          assert.ok(Math.abs(fit.phase) < 0.1, `channel ${ch}: phase ${fit.phase.toFixed(3)} rad (misaligned start)`);
        }
      });
    });
  }
});

describe('audio decode: WAV container details', () => {
  /** The data chunk's payload, located by a plain search (fixtures have no odd chunks before it). */
  function dataChunk(wav: Buffer): { at: number; size: number } {
    const at = wav.indexOf('data') + 8;
    return { at, size: wav.readUInt32LE(at - 4) };
  }

  it('skips an odd-sized chunk and its RIFF pad byte (audio-decode alone returns nothing here)', async () => {
    const wav = fixture('wav_s16_mono_48k.wav');
    const odd = Buffer.concat([Buffer.from('LIST'), Buffer.from([3, 0, 0, 0]), Buffer.from('abc'), Buffer.from([0])]);
    const patched = Buffer.concat([wav.subarray(0, 36), odd, wav.subarray(36)]);
    patched.writeUInt32LE(patched.length - 8, 4);
    const [a, b] = await Promise.all([decodeAudio(wav), decodeAudio(patched)]);
    assert.deepEqual(b.channels, a.channels);
  });

  it('reads piped sox/ffmpeg output, whose sizes are placeholders, to the end of the file', async () => {
    const wav = fixture('wav_s16_stereo_44k.wav');
    const expected = await decodeAudio(wav);
    for (const placeholder of [0xffffffff, 0x7ffff000]) {
      const piped = Buffer.from(wav);
      piped.writeUInt32LE(placeholder, 4);
      piped.writeUInt32LE(placeholder, dataChunk(piped).at - 4);
      const got = await decodeAudio(piped);
      assert.deepEqual(got.channels, expected.channels, `placeholder 0x${placeholder.toString(16)}`);
    }
  });

  it('ignores chunks after the data, and a trailing partial frame', async () => {
    const wav = fixture('wav_s16_stereo_44k.wav');
    const expected = await decodeAudio(wav);
    const withTail = Buffer.concat([wav, Buffer.from('junk'), Buffer.from([2, 0, 0, 0, 1, 2])]);
    assert.deepEqual((await decodeAudio(withTail)).channels, expected.channels);
    // data size not a multiple of the block: the partial last frame is dropped
    const partial = Buffer.from(wav);
    partial.writeUInt32LE(dataChunk(wav).size - 1, dataChunk(wav).at - 4);
    const got = await decodeAudio(partial);
    assert.equal(got.channels[0].length, expected.channels[0].length - 1);
  });

  it('decodes from a Uint8Array at an odd offset inside a larger buffer', async () => {
    // 16-bit and float WAVs are read through typed views where aligned, through DataView here: same samples.
    for (const name of ['wav_s16_stereo_44k.wav', 'wav_s16_6ch_16k.wav', 'wav_s24_stereo_16k.wav', 'wav_f32_stereo_16k.wav', 'wav_f64_mono_16k.wav', 'flac_s16_stereo_44k.flac']) {
      const bytes = fixture(name);
      const big = new Uint8Array(bytes.length + 7);
      big.set(bytes, 3);
      const view = big.subarray(3, 3 + bytes.length);
      assert.deepEqual((await decodeAudio(view)).channels, (await decodeAudio(bytes)).channels, name);
    }
  });

  it('keeps a stereo MP3 stereo when both channels are identical', async () => {
    // audio-decode folds identical MP3 channels to mono; the frame header says stereo.
    const stereo = await decodeAudio(fixture('mp3_stereo_44k.mp3'));
    assert.equal(stereo.channels.length, 2);
    const mono = await decodeAudio(fixture('mp3_mono_16k.mp3'));
    assert.equal(mono.channels.length, 1);
  });

  it('decodes an MP3 with a damaged middle as ffmpeg does (up to the damage, and on after it), and says what was skipped', async () => {
    const whole = Buffer.from(fixture('mp3_stereo_44k.mp3'));
    const damaged = Buffer.from(whole);
    const mid = Math.floor(whole.length / 2);
    damaged.fill(0, mid, mid + 3000);
    const good = (await decodeAudioWithInfo(whole)).audio.channels[0];
    const got = await decodeAudioWithInfo(damaged);
    assert.ok(got.skipped, 'the damage is reported');
    assert.equal(got.skipped.regions.length, 1);
    const [region] = got.skipped.regions;
    // The walk notices the damage at the first frame header it destroyed (a frame is ≤ 1441 bytes).
    assert.ok(region.offset >= mid && region.offset < mid + 1441 && region.offset + region.bytes >= mid + 3000, `the skipped bytes ${JSON.stringify(region)} cover the damage`);
    assert.match(got.skipped.message, /^MP3: skipped 1 damaged stretch \(\d+ bytes at byte \d+\); about 0\.\d\d s of audio is missing$/);
    const x = got.audio.channels[0];
    // ffmpeg resyncs at the next good frame too: the same length, to a couple of frames (1152 samples each).
    const ffmpeg = execFileSync('ffmpeg', ['-v', 'quiet', '-i', '-', '-f', 'f32le', '-ac', '1', '-'], { input: damaged, maxBuffer: 1 << 26 });
    assert.ok(Math.abs(x.length - ffmpeg.length / 4) <= 2 * 1152, `decoded ${x.length} samples, ffmpeg ${ffmpeg.length / 4}`);
    assert.ok(Math.abs(got.skipped.missingSeconds - (good.length - x.length) / 44100) < 0.03, 'the missing time is what went missing');
    // Up to the damage, the same samples as the intact file.
    let same = 0;
    while (same < x.length && x[same] === good[same]) same++;
    assert.ok(same > 0.45 * good.length, `${same} of ${good.length} samples equal before the damage`);
    // The intact file reports nothing.
    assert.equal((await decodeAudioWithInfo(whole)).skipped, undefined);
  });

  it('decodeAudioFile reads the same samples as decodeAudio', async () => {
    const file = path.join(FIXTURES, 'flac_s24_mono_48k.flac');
    const [a, b] = await Promise.all([decodeAudioFile(file), decodeAudio(fs.readFileSync(file))]);
    assert.deepEqual(a, b);
  });
});

describe('audio decode: a real MIR-1K clip', () => {
  const dir = path.join(MIR1K_SAMPLE, 'Wavfile');

  it('decodes a 16 kHz stereo MIR-1K clip (left accompaniment, right voice)', async function () {
    const name = fs.readdirSync(dir).filter((f) => f.endsWith('.wav')).sort()[0];
    const bytes = fs.readFileSync(path.join(dir, name));
    const info = await decodeAudioWithInfo(bytes);
    assert.equal(info.format, 'wav');
    assert.equal(info.bitDepth, 16);
    assert.equal(info.audio.sampleRate, 16000);
    assert.equal(info.audio.channels.length, 2);
    // 16-bit stereo: 4 bytes a frame after the 44-byte header
    assert.equal(info.audio.channels[0].length, (bytes.length - 44) / 4);
    const [left, right] = info.audio.channels;
    assert.ok(info.durationSeconds > 2 && info.durationSeconds < 20, `${info.durationSeconds} s`);
    assert.ok(rms(left) > 0.001 && rms(right) > 0.001, 'both channels carry sound');
    let diff = 0;
    for (let i = 0; i < left.length; i++) diff += (left[i] - right[i]) ** 2;
    assert.ok(Math.sqrt(diff / left.length) > 0.001, 'the two channels are different sources');
  });
});
