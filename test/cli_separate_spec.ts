import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { decodeAudioFile } from '../lib/audio/decode';
import { createRandomModel } from '../lib/model/weights-io';
import { FIXTURES, REPO_ROOT } from './support/paths';

const run = promisify(execFile);
const CLI = path.join(REPO_ROOT, 'dist', 'bin', 'vocal-split.js');

describe('vocal-split separate (CLI)', function () {
  let dir: string;
  before(async function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vocal-split-cli-'));
    await createRandomModel(path.join(dir, 'model'), { bins: 64, frames: 64, baseFilters: 4, depth: 3, channelsIn: 1 }, { seed: 3 });
  });
  after(function () {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('splits a real MP3 into <name>.vocals.wav and <name>.accompaniment.wav that sum to the mixture', async function () {
    const input = path.join(FIXTURES, 'audio', 'mp3_stereo_44k.mp3');
    const out = path.join(dir, 'out');
    const { stdout, stderr } = await run(process.execPath, [CLI, 'separate', input, '-o', out, '--model', path.join(dir, 'model'), '--backend', 'onnx', '--bits', '32']);
    const vocalsFile = path.join(out, 'mp3_stereo_44k.vocals.wav');
    const accompanimentFile = path.join(out, 'mp3_stereo_44k.accompaniment.wav');
    assert.deepEqual(stdout.trim().split('\n'), [vocalsFile, accompanimentFile]);
    assert.match(stderr, /real time.*onnxruntime/);
    const mixture = await decodeAudioFile(input);
    const vocals = await decodeAudioFile(vocalsFile);
    const accompaniment = await decodeAudioFile(accompanimentFile);
    for (const stem of [vocals, accompaniment]) {
      assert.equal(stem.sampleRate, mixture.sampleRate);
      assert.equal(stem.channels.length, 2);
      assert.equal(stem.channels[0].length, mixture.channels[0].length);
    }
    for (let c = 0; c < 2; c++) {
      let err = 0;
      for (let i = 0; i < mixture.channels[c].length; i++) {
        err = Math.max(err, Math.abs(vocals.channels[c][i] + accompaniment.channels[c][i] - mixture.channels[c][i]));
      }
      assert.ok(err < 1e-4, `channel ${c}: |vocals + accompaniment − mixture| ≤ ${err}`);
    }
  });

  it('fails with one clear line for a missing model, a bad backend and a corrupt input', async function () {
    const input = path.join(FIXTURES, 'audio', 'wav_s16_mono_48k.wav');
    await assert.rejects(run(process.execPath, [CLI, 'separate', input, '--model', 'no-such-model']), (err: { code: number; stderr: string }) => {
      assert.equal(err.code, 1);
      assert.match(err.stderr, /no model named 'no-such-model'/);
      return true;
    });
    await assert.rejects(run(process.execPath, [CLI, 'separate', input, '--backend', 'gpu-magic']), /unknown backend 'gpu-magic'/);
    const corrupt = path.join(dir, 'corrupt.mp3');
    fs.writeFileSync(corrupt, Buffer.alloc(5000, 0x55));
    await assert.rejects(run(process.execPath, [CLI, 'separate', corrupt, '--model', path.join(dir, 'model')]), (err: { code: number; stderr: string }) => {
      assert.equal(err.code, 1);
      assert.equal(err.stderr.trim().split('\n').length, 1);
      return true;
    });
  });
});
