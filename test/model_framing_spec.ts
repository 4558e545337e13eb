/**
 * A model's framing (model.json's userDefinedMetadata.vocalSplit.stft) is read and used on every
 * path: separate(), long WAV files, the CLI, streams; framing the code cannot run is refused at load
 * with the file and the value named. (The U-Net mask node's check is in node_unet_mask_spec, the
 * cross-fade at other framing in crossfade_spec.)
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { decodeAudioFile } from '../lib/audio/decode';
import { resample } from '../lib/audio/resample';
import { encodeWav } from '../lib/audio/encode';
import { stftChannel } from '../lib/dsp/stft';
import { createBackend } from '../lib/model/backends';
import type { BackendHandle } from '../lib/model/backends/types';
import type { UNetConfig } from '../lib/model/config';
import { ModelError } from '../lib/model/errors';
import { DEFAULT_FRAMING, MODEL_RESAMPLING, type ModelFraming } from '../lib/model/signal-framing';
import { readModel } from '../lib/model/model-folder';
import { createRandomModel } from '../lib/model/weights-io';
import { separate } from '../lib/separate/separator';
import { isModelRateWav, separateWavFile } from '../lib/separate/separate-wav-file';
import { MaskBatcher } from '../lib/stream/mask-batcher';
import { StreamSeparator } from '../lib/stream/stream-separator';
import { noise } from './support/numeric';
import { REPO_ROOT } from './support/paths';

const SMALL: UNetConfig = { bins: 64, frames: 64, baseFilters: 4, depth: 3, channelsIn: 1 };
const OTHER: ModelFraming = { fftSize: 2048, hop: 512, sampleRate: 22050 };
const CLI = path.join(REPO_ROOT, 'dist', 'bin', 'vocal-split.js');

/** The handle, recording each patch it is asked for. */
function recording(backend: BackendHandle): BackendHandle & { inputs: Float32Array[] } {
  const inputs: Float32Array[] = [];
  const per = backend.config.bins * backend.config.frames;
  return {
    ...backend,
    framing: backend.framing,
    inputs,
    predictMask(input, batch) {
      for (let b = 0; b < batch; b++) inputs.push(input.slice(b * per, (b + 1) * per));
      return backend.predictMask(input, batch);
    },
    dispose: () => backend.dispose(),
  };
}

/** The model input of the first patch of `x` under `framing`: |X| of the first F bins, [F, T], / max. */
function firstPatch(x: Float32Array, framing: ModelFraming): Float32Array {
  const { bins: F, frames: T } = SMALL;
  const spec = stftChannel(x, framing);
  const out = new Float32Array(F * T);
  let max = 0;
  for (let t = 0; t < Math.min(T, spec.frames); t++) {
    for (let f = 0; f < F; f++) {
      const i = t * spec.bins + f;
      out[f * T + t] = Math.sqrt(spec.re[i] ** 2 + spec.im[i] ** 2);
      max = Math.max(max, out[f * T + t]);
    }
  }
  return out.map((v) => v / (max + 1e-8));
}

function maxDiff(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  return a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
}

describe('model framing (model.json stft)', function () {
  this.timeout(120_000);
  let dir: string;
  let other: string;
  before(async function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vocal-split-framing-'));
    other = path.join(dir, 'other');
    await createRandomModel(other, SMALL, { seed: 4, framing: OTHER });
  });
  after(function () {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('is read from model.json (and is the default framing when model.json has no stft block)', async function () {
    assert.deepEqual((await readModel(other)).framing, OTHER);
    const backend = await createBackend(other, { backend: 'onnx' });
    try {
      assert.deepEqual(backend.framing, OTHER);
    } finally {
      await backend.dispose();
    }
    const legacy = path.join(dir, 'legacy');
    await createRandomModel(legacy, SMALL, { seed: 4 });
    const json = JSON.parse(fs.readFileSync(path.join(legacy, 'model.json'), 'utf8'));
    delete json.userDefinedMetadata.vocalSplit.stft;
    fs.writeFileSync(path.join(legacy, 'model.json'), JSON.stringify(json));
    assert.deepEqual((await readModel(legacy)).framing, DEFAULT_FRAMING);
  });

  it('refuses framing the code cannot run, naming the file and the value', async function () {
    const cases: Array<[unknown, RegExp]> = [
      [{ fftSize: 3000, hop: 750, sampleRate: 44100 }, /fftSize must be a power of two.*3000/],
      [{ fftSize: 4096, hop: 1000, sampleRate: 44100 }, /hop must divide fftSize.*1000/],
      [{ fftSize: 4096, hop: 1024, sampleRate: 4000 }, /sampleRate must be an integer in 8000\.\.192000 Hz, got 4000/],
      [{ fftSize: 4096, hop: 1024, sampleRate: '44100' }, /sampleRate must be an integer/],
      [{ fftSize: 64, hop: 16, sampleRate: 44100 }, /reads 64 bins; a 64-point STFT has 33/],
      ['4096/1024', /must be an object/],
    ];
    for (const [stft, pattern] of cases) {
      const bad = path.join(dir, 'bad');
      await createRandomModel(bad, SMALL, { seed: 1 });
      const jsonPath = path.join(bad, 'model.json');
      const json = JSON.parse(fs.readFileSync(jsonPath, 'utf8'));
      json.userDefinedMetadata.vocalSplit.stft = stft;
      fs.writeFileSync(jsonPath, JSON.stringify(json));
      await assert.rejects(readModel(bad), (err: Error) => {
        assert.ok(err instanceof ModelError, String(err));
        assert.ok(err.message.includes(jsonPath), err.message);
        assert.match(err.message, pattern);
        return true;
      });
      await assert.rejects(createBackend(bad, { backend: 'onnx' }), pattern);
    }
  });

  it('separate() resamples to the model\'s rate and frames with its STFT', async function () {
    const x = noise(3 * 16000, 9);
    const backend = recording(await createBackend(other, { backend: 'onnx' }));
    try {
      const stems = await separate({ sampleRate: 22050, channels: [noise(3 * 22050, 9)] }, backend, { batchSize: 1 });
      assert.equal(stems.vocals.channels[0].length, 3 * 22050);
      const got = backend.inputs[0];
      assert.ok(maxDiff(got, firstPatch(noise(3 * 22050, 9), OTHER)) < 1e-6, 'the first patch is |STFT 2048/512| of the 22.05 kHz input');
      assert.ok(maxDiff(got, firstPatch(noise(3 * 22050, 9), { ...DEFAULT_FRAMING, sampleRate: 22050 })) > 0.01, 'and not the 4096/1024 one');
      backend.inputs.length = 0;
      await separate({ sampleRate: 16000, channels: [x] }, backend, { batchSize: 1 });
      const at22 = (await resample({ sampleRate: 16000, channels: [x] }, 22050, MODEL_RESAMPLING)).channels[0];
      assert.ok(maxDiff(backend.inputs[0], firstPatch(at22, OTHER)) < 1e-6, '16 kHz input: resampled to 22.05 kHz first');
    } finally {
      await backend.dispose();
    }
  });

  it('long WAV files at the model\'s rate go straight from file to files, the same bytes as separate(); the CLI takes that path', async function () {
    const song = { sampleRate: 22050, channels: [noise(4 * 22050 + 11, 1), noise(4 * 22050 + 11, 2)] };
    const input = path.join(dir, 'song.wav');
    fs.writeFileSync(input, encodeWav(song, { bitDepth: 16 }));
    assert.equal(await isModelRateWav(input, 22050), true);
    assert.equal(await isModelRateWav(input, 44100), false);
    const backend = await createBackend(other, { backend: 'onnx' });
    try {
      const files = { vocals: path.join(dir, 'v.wav'), accompaniment: path.join(dir, 'a.wav') };
      assert.ok(await separateWavFile(input, files, backend));
      const stems = await separate(await decodeAudioFile(input), backend);
      assert.ok(fs.readFileSync(files.vocals).equals(encodeWav(stems.vocals, { bitDepth: 16 })), 'separateWavFile = separate()');
      const out = path.join(dir, 'cli');
      await promisify(execFile)(process.execPath, [CLI, 'separate', input, '-o', out, '--model', other, '--backend', 'onnx']);
      assert.ok(fs.readFileSync(path.join(out, 'song.vocals.wav')).equals(fs.readFileSync(files.vocals)), 'the CLI gives the same file');
    } finally {
      await backend.dispose();
    }
  });

  it('a stream is resampled to the model\'s rate and framed with its STFT', async function () {
    const backend = recording(await createBackend(other, { backend: 'onnx' }));
    try {
      const sep = await StreamSeparator.create({ sampleRate: 22050, channels: 1 }, new MaskBatcher(backend), { lookahead: 8, step: 16, fade: 8 });
      assert.deepEqual(sep.framing, OTHER);
      const x = noise(3 * 22050, 9);
      await sep.push([x]);
      await sep.end();
      sep.dispose();
      assert.ok(Math.abs(sep.latencySeconds - (2048 + 32 * 512) / 22050) < 1e-12, 'latency in the model\'s hops');
      // The first run sees the first 16 frames at the end of its patch, silence before.
      const { bins: F, frames: T } = SMALL;
      const spec = stftChannel(x, OTHER);
      let max = 0;
      for (let t = 0; t < 16; t++) for (let f = 0; f < F; f++) max = Math.max(max, Math.hypot(spec.re[t * spec.bins + f], spec.im[t * spec.bins + f]));
      const got = backend.inputs[0];
      for (const [t, f] of [[0, 3], [7, 10], [15, 63]]) {
        const i = t * spec.bins + f;
        const expected = Math.hypot(spec.re[i], spec.im[i]) / (max + 1e-8);
        assert.ok(Math.abs(got[f * T + (T - 16 + t)] - expected) < 1e-6, `frame ${t} bin ${f}`);
      }
    } finally {
      await backend.dispose();
    }
  });
});
