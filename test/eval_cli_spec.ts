import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { createRandomModel } from '../lib/model/weights-io';
import { MIR1K_SAMPLE, REPO_ROOT } from './support/paths';

const run = promisify(execFile);
const CLI = path.join(REPO_ROOT, 'dist', 'bin', 'vocal-split.js');

interface Scores { sdr: number; sir: number; sar: number; nsdr: number }
interface Stems { vocals: Scores; accompaniment: Scores }
interface Global { gnsdr: number; gsdr: number; gsir: number; gsar: number }
interface EvalJson {
  split: string;
  model: { name: string; backend: string };
  summary: { model: { vocals: Global }; irm: { vocals: Global; accompaniment: Global }; mixture: { vocals: Global; accompaniment: Global } };
  clips: Array<{ name: string; singer: string; samples: number; model: Stems; irm: Stems; mixture: Stems; timing: Record<string, number> }>;
  failed: unknown[];
}

/** The numbers of the table row that starts with `label`. */
function row(stdout: string, label: string): number[] {
  const line = stdout.split('\n').find((l) => l.startsWith(label));
  assert.ok(line, `no '${label}' row in:\n${stdout}`);
  return line.slice(label.length).trim().split(/\s+/).map((v) => (v === '∞' ? Infinity : v === '–' ? NaN : Number(v)));
}

describe('vocal-split eval (CLI, MIR-1K protocol)', function () {
  let dir: string;
  before(async function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vocal-split-eval-'));
    await createRandomModel(path.join(dir, 'tiny'), { bins: 64, frames: 64, baseFilters: 4, depth: 3, channelsIn: 1 }, { seed: 3 });
  });
  after(function () {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('scores 2 test clips of the sample: one table, per-clip JSON, ideal mask well above the mixture', async function () {
    const json = path.join(dir, 'scores.json');
    const { stdout, stderr } = await run(process.execPath, [
      CLI, 'eval', '--mir1k', MIR1K_SAMPLE, '--model', path.join(dir, 'tiny'), '--limit', '2', '--backend', 'onnx', '--json', json,
    ]);
    assert.match(stdout, /MIR-1K test split: 2 clips/);
    assert.match(stdout, /GNSDR +GSIR +GSAR +GNSDR +GSIR +GSAR/);
    const model = row(stdout, 'tiny (this model)');
    const irm = row(stdout, 'ideal ratio mask (ceiling)');
    const mixture = row(stdout, 'mixture (floor)');
    assert.equal(model.length, 6);
    assert.ok(model.every(Number.isFinite), `model row ${model.join(' ')}`);
    assert.deepEqual([mixture[0], mixture[3]], [0, 0], 'the mixture\'s NSDR is 0');
    assert.ok(irm[0] > mixture[0] + 5 && irm[3] > mixture[3] + 5, `IRM GNSDR ${irm[0]}/${irm[3]} vs mixture ${mixture[0]}/${mixture[3]}`);
    assert.ok(irm[1] > mixture[1] + 5, 'IRM GSIR above the mixture');
    assert.deepEqual(row(stdout, 'DRNN (Huang et al. 2014)').slice(0, 3), [7.45, 13.08, 9.68]);
    assert.equal(row(stdout, 'RPCA (Huang et al. 2012)')[0], 3.15);
    assert.match(stderr, /per-clip scores: .*scores\.json/);

    const doc = JSON.parse(fs.readFileSync(json, 'utf8')) as EvalJson;
    assert.equal(doc.split, 'test');
    assert.equal(doc.model.backend, 'onnx');
    assert.deepEqual(doc.clips.map((c) => c.name), ['Ani_1_06', 'Kenshin_2_10']);
    assert.deepEqual(doc.failed, []);
    for (const c of doc.clips) {
      assert.ok(c.samples > 16000);
      for (const method of [c.model, c.irm]) {
        for (const s of [method.vocals, method.accompaniment]) {
          for (const v of [s.sdr, s.sir, s.sar, s.nsdr]) assert.ok(Number.isFinite(v), `${c.name}: ${JSON.stringify(s)}`);
        }
      }
      assert.ok(Number.isFinite(c.mixture.vocals.sdr) && c.mixture.vocals.nsdr === 0);
      // NSDR is SDR minus the mixture's SDR, clip by clip.
      assert.ok(Math.abs(c.model.vocals.nsdr - (c.model.vocals.sdr - c.mixture.vocals.sdr)) < 1e-9);
      assert.ok(c.irm.vocals.sdr > c.mixture.vocals.sdr + 5);
      assert.ok(c.timing.total > 0);
    }
    // The table shows the JSON's summary, weighted by clip length.
    const [a, b] = doc.clips;
    const gnsdr = (a.irm.vocals.nsdr * a.samples + b.irm.vocals.nsdr * b.samples) / (a.samples + b.samples);
    assert.ok(Math.abs(doc.summary.irm.vocals.gnsdr - gnsdr) < 1e-9);
    assert.equal(irm[0], Number(gnsdr.toFixed(2)));
  });

  it('fails with one clear line for a missing folder, a bad split and a singer with no clips', async function () {
    const fails = async (args: string[], pattern: RegExp): Promise<void> => {
      await assert.rejects(run(process.execPath, [CLI, 'eval', ...args]), (err: { code: number; stderr: string }) => {
        assert.equal(err.code, 1);
        assert.equal(err.stderr.trim().split('\n').length, 1, err.stderr);
        assert.match(err.stderr, pattern);
        return true;
      });
    };
    await fails([], /missing --mir1k/);
    await fails(['--mir1k', path.join(dir, 'nowhere')], /no MIR-1K Wavfile folder at/);
    await fails(['--mir1k', MIR1K_SAMPLE, '--split', 'val'], /--split must be train, dev, test/);
    await fails(['--mir1k', MIR1K_SAMPLE, '--singers', 'amy'], /no clips of 'amy' in the test split/);
    await fails(['--mir1k', MIR1K_SAMPLE, '--split', 'train'], /no train-split clips/);
    await fails(['--mir1k', MIR1K_SAMPLE, '--limit', '0'], /--limit must be an integer/);
  });
});
