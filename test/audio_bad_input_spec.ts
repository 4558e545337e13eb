/**
 * Bad input never crashes or hangs the decoder: each case ends in an AudioDecodeError with the
 * expected code. The elapsed-time assertion (< 1 s) is only a guard against hangs and huge
 * allocations (a 2^31-sample header must be refused from its size fields, not by trying).
 */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { decodeAudio, decodeAudioFile, decodeAudioWithInfo } from '../lib/audio';
import { AudioDecodeError, InvalidArgumentError } from '../lib/errors';
import { FIXTURES, fixture, lcg, timed } from './helpers/audio';

async function expectDecodeError(bytes: Uint8Array, code: string, options?: { maxBytes?: number; maxSeconds?: number }): Promise<AudioDecodeError> {
  const { ms, error } = await timed(() => decodeAudio(bytes, options));
  assert.ok(ms < 1000, `took ${ms.toFixed(0)} ms`);
  assert.ok(error instanceof AudioDecodeError, `expected AudioDecodeError ${code}, got ${error === undefined ? 'success' : String(error)}`);
  assert.equal(error.code, code, error.message);
  assert.ok(error.message.length > 10, 'the message says what is wrong');
  return error;
}

/** Offset of the first `data` chunk's payload in one of our fixtures (no odd chunks before it). */
function dataAt(wav: Buffer): number {
  return wav.indexOf('data') + 8;
}

describe('audio decode: bad input gives a typed error, fast', () => {
  it('empty buffer → EMPTY', async () => {
    await expectDecodeError(new Uint8Array(0), 'EMPTY');
  });

  it('random bytes → UNKNOWN_FORMAT', async () => {
    const rnd = lcg(1);
    const bytes = Uint8Array.from({ length: 4096 }, () => Math.floor(rnd() * 256));
    bytes[0] = 0x12; // not by chance an MPEG sync
    await expectDecodeError(bytes, 'UNKNOWN_FORMAT');
  });

  it('text → UNKNOWN_FORMAT; a non-buffer argument → AudioDecodeError too', async () => {
    await expectDecodeError(Buffer.from('hello, this is not audio at all\n'.repeat(10)), 'UNKNOWN_FORMAT');
    await expectDecodeError('x.wav' as unknown as Uint8Array, 'UNKNOWN_FORMAT');
  });

  it('formats we recognise but do not decode → UNSUPPORTED_FORMAT, naming them', async () => {
    const rf64 = Buffer.from(fixture('wav_s16_mono_48k.wav'));
    rf64.write('RF64', 0, 'latin1');
    assert.match((await expectDecodeError(rf64, 'UNSUPPORTED_FORMAT')).message, /RF64/);
    const webm = Buffer.from([0x1a, 0x45, 0xdf, 0xa3, 0, 0, 0, 0, 0, 0, 0, 0x1f]);
    assert.match((await expectDecodeError(webm, 'UNSUPPORTED_FORMAT')).message, /WebM/);
    const mp3InWav = Buffer.from(fixture('wav_s16_mono_48k.wav'));
    mp3InWav.writeUInt16LE(0x55, 20); // WAVE_FORMAT_MPEGLAYER3
    await expectDecodeError(mp3InWav, 'UNSUPPORTED_FORMAT');
  });

  describe('WAV', () => {
    const wav = fixture('wav_s16_stereo_44k.wav');

    it('truncated inside the data → TRUNCATED', async () => {
      await expectDecodeError(wav.subarray(0, 1000), 'TRUNCATED');
    });

    it('truncated to the header, or inside the header → TRUNCATED', async () => {
      await expectDecodeError(wav.subarray(0, 44), 'TRUNCATED');
      await expectDecodeError(wav.subarray(0, 20), 'TRUNCATED');
      await expectDecodeError(wav.subarray(0, 8), 'TRUNCATED');
    });

    it('header claiming 2^31 samples → TRUNCATED, without allocating them', async () => {
      const u8 = Buffer.from(fixture('wav_u8_mono_16k.wav')); // 1 byte per sample: 2^31 bytes = 2^31 samples
      u8.writeUInt32LE(2 ** 31, dataAt(u8) - 4);
      const before = process.memoryUsage().arrayBuffers;
      const err = await expectDecodeError(u8, 'TRUNCATED');
      assert.match(err.message, /2147483648/);
      assert.ok(process.memoryUsage().arrayBuffers - before < 64 * 1024 * 1024, 'no big allocation');
      const s16 = Buffer.from(wav);
      s16.writeUInt32LE(0xfffffff0, dataAt(s16) - 4); // ~2^30 stereo frames
      await expectDecodeError(s16, 'TRUNCATED');
    });

    it('zero channels → NO_CHANNELS', async () => {
      const b = Buffer.from(wav);
      b.writeUInt16LE(0, 22);
      await expectDecodeError(b, 'NO_CHANNELS');
    });

    it('sample rate 0 or negative in the header → BAD_SAMPLE_RATE', async () => {
      for (const rate of [0, -44100]) {
        const b = Buffer.from(wav);
        b.writeInt32LE(rate, 24);
        await expectDecodeError(b, 'BAD_SAMPLE_RATE');
      }
    });

    it('NaN or Infinity samples in a float WAV → NON_FINITE', async () => {
      for (const bad of [NaN, Infinity, -Infinity]) {
        const b = Buffer.from(fixture('wav_f32_stereo_16k.wav'));
        b.writeFloatLE(bad, dataAt(b) + 8 * 100 + 4); // frame 100, right channel
        const err = await expectDecodeError(b, 'NON_FINITE');
        assert.match(err.message, /channel 1 sample 100/);
      }
      const f64 = Buffer.from(fixture('wav_f64_mono_16k.wav'));
      f64.writeDoubleLE(NaN, dataAt(f64) + 8 * 7);
      await expectDecodeError(f64, 'NON_FINITE');
    });

    it('block align that contradicts the channels and bits → CORRUPT', async () => {
      const b = Buffer.from(wav);
      b.writeUInt16LE(3, 32);
      await expectDecodeError(b, 'CORRUPT');
    });

    it('µ-law / ADPCM headers whose sizes disagree → CORRUPT, fast (found by fuzzing: a 1 GB allocation)', async () => {
      const mulaw = Buffer.from(fixture('wav_mulaw_mono_16k.wav'));
      mulaw.writeUInt16LE(16385, 22); // channels, block align still 1
      await expectDecodeError(mulaw, 'CORRUPT');
      const ima = Buffer.from(fixture('wav_ima_adpcm_mono_16k.wav'));
      ima.writeUInt16LE(65000, 38); // samples per block, far more than a 256-byte block holds
      await expectDecodeError(ima, 'CORRUPT');
    });

    it('a data chunk with no frames → EMPTY', async () => {
      const b = Buffer.from(wav.subarray(0, dataAt(wav)));
      b.writeUInt32LE(0, dataAt(wav) - 4);
      b.writeUInt32LE(b.length - 8, 4);
      await expectDecodeError(b, 'EMPTY');
    });
  });

  describe('compressed formats', () => {
    it('MP3 cut mid-frame → TRUNCATED', async () => {
      const mp3 = fixture('mp3_stereo_44k.mp3');
      await expectDecodeError(mp3.subarray(0, Math.floor(mp3.length / 2)), 'TRUNCATED');
      await expectDecodeError(mp3.subarray(0, 300), 'TRUNCATED'); // inside the first frame
    });

    it('MP3 cut at a frame boundary → TRUNCATED (its Info header counts the frames)', async () => {
      const mp3 = fixture('mp3_stereo_44k.mp3');
      // 128 kbit/s at 44.1 kHz: frames of 417 or 418 bytes; find a boundary by walking sync words.
      let p = mp3.indexOf(Buffer.from([0xff, 0xfb]));
      for (let frames = 0; frames < 20; frames++) p += 417 + ((mp3[p + 2] >> 1) & 1);
      assert.equal(mp3[p], 0xff);
      await expectDecodeError(mp3.subarray(0, p), 'TRUNCATED');
    });

    it('FLAC, Ogg Vorbis, Opus, M4A, AIFF cut short → TRUNCATED', async () => {
      for (const [name, keep] of [
        ['flac_s16_stereo_44k.flac', 0.4], ['vorbis_stereo_44k.ogg', 0.5], ['opus_stereo_48k.opus', 0.5],
        ['m4a_aac_stereo_44k.m4a', 0.5], ['aiff_s16_mono_16k.aiff', 0.5], ['flac_s16_stereo_44k.flac', 0.001],
      ] as const) {
        const bytes = fixture(name);
        await expectDecodeError(bytes.subarray(0, Math.floor(bytes.length * keep)), 'TRUNCATED');
      }
    });

    it('FLAC with sample rate 0 in STREAMINFO → BAD_SAMPLE_RATE', async () => {
      const b = Buffer.from(fixture('flac_s16_stereo_44k.flac'));
      // STREAMINFO body starts at 8; the rate is its bits 80..99
      b[18] = 0; b[19] = 0; b[20] &= 0x0f;
      await expectDecodeError(b, 'BAD_SAMPLE_RATE');
    });

    it('Ogg Vorbis declaring 0 channels → NO_CHANNELS', async () => {
      const b = Buffer.from(fixture('vorbis_stereo_44k.ogg'));
      b[b.indexOf('\x01vorbis', 0, 'latin1') + 11] = 0;
      await expectDecodeError(b, 'NO_CHANNELS');
    });

    it('M4A whose tables claim 4 billion entries → CORRUPT, not an out-of-memory abort', async () => {
      // Found by fuzzing: the demuxer allocates the entries before looking at the box size.
      for (const table of ['stsc', 'stco', 'stsz', 'stts', 'elst']) {
        const b = Buffer.from(fixture('m4a_aac_stereo_44k.m4a'));
        // entry count: after the box name and version/flags (stsz: after its sample size too)
        b.writeUInt32BE(0xf0000001, b.indexOf(table) + (table === 'stsz' ? 12 : 8));
        await expectDecodeError(b, 'CORRUPT');
      }
    });

    it('garbage after a valid MPEG sync word → CORRUPT', async () => {
      const rnd = lcg(7);
      const b = Uint8Array.from({ length: 2000 }, () => Math.floor(rnd() * 256));
      b.set([0xff, 0xfb, 0x90, 0x00], 0); // one plausible header, nothing after it lines up
      await expectDecodeError(b, 'CORRUPT');
    });
  });

  describe('size limits', () => {
    it('input over maxBytes → TOO_LARGE', async () => {
      await expectDecodeError(fixture('wav_s16_stereo_44k.wav'), 'TOO_LARGE', { maxBytes: 1000 });
    });

    it('audio over maxSeconds → TOO_LARGE, from the headers before decoding', async () => {
      for (const name of ['wav_s16_stereo_44k.wav', 'mp3_stereo_44k.mp3', 'flac_s16_stereo_44k.flac', 'vorbis_stereo_44k.ogg', 'opus_stereo_48k.opus', 'm4a_aac_stereo_44k.m4a', 'aiff_s16_mono_16k.aiff']) {
        await expectDecodeError(fixture(name), 'TOO_LARGE', { maxSeconds: 0.5 });
      }
      // and just under the limit it decodes
      await decodeAudio(fixture('wav_s16_stereo_44k.wav'), { maxSeconds: 1 });
    });

    it('decodeAudioFile refuses a file over maxBytes before reading it', async () => {
      const file = path.join(FIXTURES, 'wav_s16_stereo_44k.wav');
      await assert.rejects(decodeAudioFile(file, { maxBytes: 100 }), (e: unknown) => e instanceof AudioDecodeError && e.code === 'TOO_LARGE');
      await assert.rejects(decodeAudioFile(path.join(FIXTURES, 'missing.wav')), { code: 'ENOENT' });
      await assert.rejects(decodeAudioFile(FIXTURES), (e: unknown) => e instanceof InvalidArgumentError && e.code === 'NOT_A_FILE');
    });

    it('nonsense limits → InvalidArgumentError', async () => {
      await assert.rejects(decodeAudio(fixture('wav_u8_mono_16k.wav'), { maxSeconds: 0 }), InvalidArgumentError);
      await assert.rejects(decodeAudio(fixture('wav_u8_mono_16k.wav'), { maxBytes: NaN }), InvalidArgumentError);
    });
  });

  describe('fuzz: damaged copies of every fixture', () => {
    const names = [
      'wav_u8_stereo_16k.wav', 'wav_s16_mono_48k_ffmpeg.wav', 'wav_s24_stereo_16k.wav', 'wav_f32_stereo_16k.wav',
      'wav_s16_6ch_16k.wav', 'wav_mulaw_mono_16k.wav', 'wav_ima_adpcm_mono_16k.wav', 'aiff_s16_mono_16k.aiff', 'flac_s16_stereo_44k.flac',
      'mp3_stereo_44k.mp3', 'vorbis_stereo_44k.ogg', 'opus_stereo_48k.opus', 'm4a_aac_stereo_44k.m4a',
    ];
    for (const name of names) {
      it(`${name}: flipped bytes, cuts and overwritten runs decode or fail cleanly`, async () => {
        const original = fixture(name);
        const rnd = lcg(name.length * 7919);
        for (let k = 0; k < 12; k++) {
          const b = Buffer.from(original);
          let bytes: Buffer = b;
          if (k % 3 === 0) {
            for (let j = 0; j < 10; j++) b[Math.floor(rnd() * b.length)] = Math.floor(rnd() * 256);
          } else if (k % 3 === 1) {
            bytes = b.subarray(0, Math.floor(rnd() * b.length));
          } else {
            const at = Math.floor(rnd() * b.length);
            for (let j = at; j < Math.min(b.length, at + 200); j++) b[j] = Math.floor(rnd() * 256);
          }
          const { ms, value, error } = await timed(() => decodeAudioWithInfo(bytes));
          assert.ok(ms < 1000, `case ${k}: took ${ms.toFixed(0)} ms`);
          if (error !== undefined) {
            assert.ok(error instanceof AudioDecodeError, `case ${k}: ${String(error)}`);
          } else {
            // whatever decodes is well-formed audio
            const { audio } = value!;
            assert.ok(audio.sampleRate > 0 && audio.channels.length > 0 && audio.channels[0].length > 0);
            for (const ch of audio.channels) {
              assert.equal(ch.length, audio.channels[0].length);
              assert.ok(ch.every(Number.isFinite), `case ${k}: non-finite sample passed through`);
            }
          }
        }
      });
    }
  });
});
