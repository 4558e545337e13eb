/**
 * Without onnxruntime-node (an offline `npm install` drops the optional dependency), backend 'auto'
 * runs on wasm, about 5× slower: the nodes and the CLI say so. Each check runs a child process with
 * test/support/without-onnxruntime.js preloaded, and once without it, where onnx is there and nothing
 * is said.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { encodeWav } from '../lib/audio/encode';
import { resample } from '../lib/audio/resample';
import { smallTestModel } from './support/node-red';
import { mir1kClip } from './support/node-specs';
import { REPO_ROOT } from './support/paths';

const run = promisify(execFile);
const WITHOUT_ONNX = ['--require', path.join(__dirname, 'support', 'without-onnxruntime.js')];
const NOTICE = /running on wasm, about 5× slower than onnx: onnxruntime-node is not installed \(npm install onnxruntime-node --onnxruntime-node-install=skip\)/;

describe('without onnxruntime-node, the slow path is visible', function () {
  this.timeout(60_000);
  let model: string;
  let dir: string;
  before(async () => {
    model = await smallTestModel();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vocal-split-no-onnx-'));
    fs.writeFileSync(path.join(dir, 'song.wav'), encodeWav(await resample(await mir1kClip('Ani_1_06.wav'), 44100), { bitDepth: 16 }));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  async function nodeReport(preload: string[]): Promise<{ statuses: Array<{ fill?: string; text?: string }>; warnings: string[] }> {
    const { stdout } = await run(process.execPath, [...preload, path.join(__dirname, 'support', 'model-node-report.js'), model], { cwd: REPO_ROOT });
    return JSON.parse(stdout.trim().split('\n').pop() as string) as { statuses: Array<{ fill?: string; text?: string }>; warnings: string[] };
  }

  it('the vocal split node: a yellow status "wasm (slow: no onnxruntime-node)" and a warning with the reason at deploy', async function () {
    const without = await nodeReport(WITHOUT_ONNX);
    assert.deepEqual(without.statuses.at(-1), { fill: 'yellow', shape: 'ring', text: 'wasm (slow: no onnxruntime-node)' });
    assert.equal(without.warnings.length, 1, without.warnings.join('\n'));
    assert.match(without.warnings[0], NOTICE);
    const withOnnx = await nodeReport([]);
    assert.deepEqual(withOnnx.statuses.at(-1), { fill: 'green', shape: 'ring', text: 'onnx' });
    assert.deepEqual(withOnnx.warnings, []);
  });

  it('the CLI: separate prints a note with the reason, and still writes both stems', async function () {
    const cli = (preload: string[]) => run(process.execPath, [...preload, path.join(REPO_ROOT, 'dist', 'bin', 'vocal-split.js'),
      'separate', path.join(dir, 'song.wav'), '-o', dir, '--model', model]);
    const without = await cli(WITHOUT_ONNX);
    assert.match(without.stderr, new RegExp(`note: ${NOTICE.source}`));
    assert.match(without.stderr, /with .*wasm/i);
    for (const stem of ['vocals', 'accompaniment']) assert.ok(fs.statSync(path.join(dir, `song.${stem}.wav`)).size > 44);
    const withOnnx = await cli([]);
    assert.doesNotMatch(withOnnx.stderr, /note:|slower/);
  });
});
