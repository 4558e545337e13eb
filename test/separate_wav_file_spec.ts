/**
 * separateWavFile: a long WAV separated straight from file to files in bounded memory gives the
 * same bytes as decoding it whole, separate() and encodeWav(); the CLI takes that path for
 * 44.1 kHz WAV input.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { decodeAudioFile } from '../lib/audio/decode';
import { encodeWav } from '../lib/audio/encode';
import { resample } from '../lib/audio/resample';
import { createBackend } from '../lib/model/backends';
import type { BackendHandle } from '../lib/model/backends/types';
import { separate } from '../lib/separate/separator';
import { isModelRateWav, separateWavFile } from '../lib/separate/separate-wav-file';
import { smallTestModel } from './support/node-red';
import { mir1kClip } from './support/node-specs';
import { FIXTURES } from './support/paths';

describe('separateWavFile (long files, bounded memory)', function () {
  this.timeout(120_000);
  let backend: BackendHandle;
  let dir: string;
  before(async function () {
    backend = await createBackend(await smallTestModel(), { backend: 'onnx' });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vocal-split-wavfile-'));
  });
  after(async function () {
    await backend.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  for (const bitDepth of [16, 24, 32] as const) {
    it(`writes the same ${bitDepth}-bit files as the whole-file path (20 s of stereo, odd length)`, async function () {
      const clip = await resample(await mir1kClip('annar_4_02.wav'), 44100);
      const n = 20 * 44100 + 333;
      const song = { sampleRate: 44100, channels: clip.channels.map((ch, c) => Float32Array.from({ length: n }, (_, i) => ch[(i + c * 777) % ch.length])) };
      const input = path.join(dir, `song${bitDepth}.wav`);
      fs.writeFileSync(input, encodeWav(song, { bitDepth }));
      assert.ok(await isModelRateWav(input));
      const files = { vocals: path.join(dir, `v${bitDepth}.wav`), accompaniment: path.join(dir, `a${bitDepth}.wav`) };
      const seconds = await separateWavFile(input, files, backend, { bitDepth });
      assert.ok(seconds !== false && Math.abs(seconds - n / 44100) < 1e-9);
      const stems = await separate(await decodeAudioFile(input), backend);
      assert.ok(fs.readFileSync(files.vocals).equals(encodeWav(stems.vocals, { bitDepth })), 'vocals: same bytes');
      assert.ok(fs.readFileSync(files.accompaniment).equals(encodeWav(stems.accompaniment, { bitDepth })), 'accompaniment: same bytes');
    });
  }

  it('leaves other rates and formats to the whole-file path', async function () {
    assert.equal(await isModelRateWav(path.join(FIXTURES, 'audio', 'wav_s16_mono_48k.wav')), false);
    assert.equal(await isModelRateWav(path.join(FIXTURES, 'audio', 'mp3_stereo_44k.mp3')), false);
    assert.equal(await separateWavFile(path.join(FIXTURES, 'audio', 'wav_s16_mono_48k.wav'), { vocals: path.join(dir, 'x.wav'), accompaniment: path.join(dir, 'y.wav') }, backend), false);
    assert.equal(fs.existsSync(path.join(dir, 'x.wav')), false, 'nothing written');
  });
});
