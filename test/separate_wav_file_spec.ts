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
      assert.ok(await isModelRateWav(input, 44100));
      const files = { vocals: path.join(dir, `v${bitDepth}.wav`), accompaniment: path.join(dir, `a${bitDepth}.wav`) };
      const seconds = await separateWavFile(input, files, backend, { bitDepth });
      assert.ok(seconds !== false && Math.abs(seconds - n / 44100) < 1e-9);
      const stems = await separate(await decodeAudioFile(input), backend);
      assert.ok(fs.readFileSync(files.vocals).equals(encodeWav(stems.vocals, { bitDepth })), 'vocals: same bytes');
      assert.ok(fs.readFileSync(files.accompaniment).equals(encodeWav(stems.accompaniment, { bitDepth })), 'accompaniment: same bytes');
    });
  }

  it('a run that fails midway leaves no output file (written to a temporary name, renamed when complete)', async function () {
    const song = { sampleRate: 44100, channels: [Float32Array.from({ length: 10 * 44100 }, (_, i) => 0.3 * Math.sin(i / 20))] };
    const input = path.join(dir, 'fails.wav');
    fs.writeFileSync(input, encodeWav(song, { bitDepth: 16 }));
    const files = { vocals: path.join(dir, 'fails.vocals.wav'), accompaniment: path.join(dir, 'fails.accompaniment.wav') };
    let calls = 0;
    const failing: BackendHandle = {
      ...backend,
      framing: backend.framing,
      predictMask: (x, batch) => (++calls === 3 ? Promise.reject(new Error('the model failed')) : backend.predictMask(x, batch)),
    };
    await assert.rejects(separateWavFile(input, files, failing, { batchSize: 1 }), /the model failed/);
    assert.ok(calls >= 3);
    const left = fs.readdirSync(dir).filter((f) => f.startsWith('fails.') && f !== 'fails.wav');
    assert.deepEqual(left, [], 'no stem, whole-looking or partial, is left behind');
    // An existing stem from an earlier run is left as it was.
    fs.writeFileSync(files.vocals, 'earlier');
    calls = 0;
    await assert.rejects(separateWavFile(input, files, failing, { batchSize: 1 }), /the model failed/);
    assert.equal(fs.readFileSync(files.vocals, 'utf8'), 'earlier');
  });

  it('refuses a float WAV holding NaN, naming the input and the sample (not the encoder)', async function () {
    const x = Float32Array.from({ length: 3 * 44100 }, (_, i) => 0.2 * Math.sin(i / 30));
    x[100000] = NaN;
    const input = path.join(dir, 'nan.wav');
    fs.writeFileSync(input, encodeWav({ sampleRate: 44100, channels: [new Float32Array(x.length)] }, { bitDepth: 32 }).fill(0));
    const bytes = encodeWav({ sampleRate: 44100, channels: [x.map((v) => (Number.isNaN(v) ? 0 : v))] }, { bitDepth: 32 });
    bytes.writeFloatLE(NaN, bytes.length - 4 * (x.length - 100000));
    fs.writeFileSync(input, bytes);
    const files = { vocals: path.join(dir, 'nan.vocals.wav'), accompaniment: path.join(dir, 'nan.accompaniment.wav') };
    await assert.rejects(separateWavFile(input, files, backend), /^AudioDecodeError: WAV: channel 0 sample 100000 is NaN/);
    assert.equal(fs.existsSync(files.vocals), false);
  });

  it('leaves other rates and formats to the whole-file path', async function () {
    assert.equal(await isModelRateWav(path.join(FIXTURES, 'audio', 'wav_s16_mono_48k.wav'), 44100), false);
    assert.equal(await isModelRateWav(path.join(FIXTURES, 'audio', 'mp3_stereo_44k.mp3'), 44100), false);
    assert.equal(await separateWavFile(path.join(FIXTURES, 'audio', 'wav_s16_mono_48k.wav'), { vocals: path.join(dir, 'x.wav'), accompaniment: path.join(dir, 'y.wav') }, backend), false);
    assert.equal(fs.existsSync(path.join(dir, 'x.wav')), false, 'nothing written');
  });
});
