import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { globalScores, globalStemScores, withNsdr } from '../lib/eval/metrics';
import { DEV_CLIPS, listClips, loadClip, splitOf, unitRms } from '../lib/eval/mir1k';
import { formatTable, PUBLISHED_ROWS } from '../lib/eval/report';
import { MIR1K_SAMPLE } from './support/paths';

describe('MIR-1K protocol (lib/eval/mir1k, metrics)', function () {
  it('splits as Huang et al.: abjones/amy train, four dev clips, every other singer test', function () {
    assert.equal(splitOf('abjones_1_01'), 'train');
    assert.equal(splitOf('amy_10_02'), 'train');
    for (const d of DEV_CLIPS) assert.equal(splitOf(d), 'dev');
    assert.equal(splitOf('Ani_1_06'), 'test');
    assert.equal(splitOf('khair_2_03'), 'test');
    // A folder with one clip of each kind (the files are only listed, never read).
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vocal-split-mir1k-'));
    try {
      for (const n of ['amy_9_08', 'amy_1_01', 'abjones_2_03', 'bobon_1_01', 'Ani_2_02', 'notes']) fs.writeFileSync(path.join(dir, `${n}${n === 'notes' ? '.txt' : '.wav'}`), '');
      fs.writeFileSync(path.join(dir, 'yifen_1_01.WAV'), '');
      assert.deepEqual(listClips(dir).map((c) => c.name), ['Ani_2_02', 'bobon_1_01', 'yifen_1_01']);
      assert.deepEqual(listClips(dir, { split: 'train' }).map((c) => c.name), ['abjones_2_03', 'amy_1_01']);
      assert.deepEqual(listClips(dir, { split: 'dev' }).map((c) => c.name), ['amy_9_08']);
      assert.deepEqual(listClips(dir, { singers: ['bobon', 'yifen'], limit: 1 }).map((c) => c.name), ['bobon_1_01']);
      assert.throws(() => listClips(dir, { singers: ['amy'] }), /no clips of 'amy' in the test split/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('lists the 17 sample clips as test clips, one per singer, and loads one as RMS-1 sources', async function () {
    const clips = listClips(MIR1K_SAMPLE);
    assert.equal(clips.length, 17);
    assert.equal(new Set(clips.map((c) => c.singer)).size, 17);
    const clip = await loadClip(clips[0]);
    assert.equal(clip.sampleRate, 16000);
    const rms = (x: Float64Array): number => Math.sqrt(x.reduce((s, v) => s + v * v, 0) / x.length);
    assert.ok(Math.abs(rms(clip.voice) - 1) < 1e-12 && Math.abs(rms(clip.accompaniment) - 1) < 1e-12);
    assert.equal(clip.mixture[1000], clip.voice[1000] + clip.accompaniment[1000]);
    assert.deepEqual(Array.from(unitRms(new Float32Array(4))), [0, 0, 0, 0], 'silence stays silence');
  });

  it('NSDR is SDR minus the mixture\'s; global scores weight clips by length', function () {
    const s = withNsdr({ sdr: 7, sir: 12, sar: 9 }, { sdr: 0.5, sir: 0.5, sar: 250 });
    assert.deepEqual(s, { sdr: 7, sir: 12, sar: 9, nsdr: 6.5 });
    const g = globalScores([
      { length: 100, scores: { sdr: 1, sir: 2, sar: 3, nsdr: 4 } },
      { length: 300, scores: { sdr: 5, sir: 6, sar: 7, nsdr: 8 } },
    ]);
    assert.deepEqual(g, { gsdr: 4, gsir: 5, gsar: 6, gnsdr: 7 });
    const both = globalStemScores([{ length: 1, scores: { vocals: s, accompaniment: { ...s, nsdr: 1 } } }]);
    assert.equal(both.vocals.gnsdr, 6.5);
    assert.equal(both.accompaniment.gnsdr, 1);
  });

  it('prints published rows with dashes where a paper gives no number, and ∞ for rounding-noise ratios', function () {
    const lines = formatTable([{ label: 'mixture', vocals: { gnsdr: 0, gsir: 0.16, gsar: 267 }, accompaniment: { gnsdr: 0, gsir: 0.08, gsar: 271 } }, ...PUBLISHED_ROWS]);
    assert.match(lines[2], /^mixture +0\.00 +0\.16 +∞ +0\.00 +0\.08 +∞$/);
    assert.match(lines[lines.length - 1], /^DRNN \(Huang et al\. 2014\) +7\.45 +13\.08 +9\.68 +– +– +–$/);
  });
});
