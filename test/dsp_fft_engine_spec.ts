import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { describeFftEngine, fftEngine, istftChannel, stft, stftChannel } from '../lib/dsp';
import { createBackend } from '../lib/model/backends';
import { LATENCY_PRESETS } from '../lib/stream/latency';
import { MaskBatcher } from '../lib/stream/mask-batcher';
import { StreamSeparator } from '../lib/stream/stream-separator';
import { AudioPool } from '../lib/workers/audio-pool';
import { smallTestModel } from './support/node-red';
import { loopedSong } from './support/node-specs';
import { RealFft } from '../lib/dsp/fft';
import { realFft } from '../lib/dsp/fft-engine';
import { PffftRealFft } from '../lib/dsp/pffft';
import { maxAbsDiff, noise } from './support/numeric';

const distLib = path.resolve(__dirname, '..', 'lib');

/** Runs `body` (CommonJS, `dsp` = dist/lib/dsp, `engine` = its fft-engine.js) in a fresh Node process; its stdout as JSON. */
function inChild(body: string, env: Record<string, string> = {}): unknown {
  const script = `const dsp = require(${JSON.stringify(path.join(distLib, 'dsp'))});\n` +
    `const engine = require(${JSON.stringify(path.join(distLib, 'dsp', 'fft-engine'))});\n(async () => {\n${body}\n})().catch((e) => { console.error(e); process.exit(1); });`;
  const run = spawnSync(process.execPath, ['-'], { input: script, env: { ...process.env, ...env }, encoding: 'utf8', timeout: 30000, maxBuffer: 1 << 28 });
  assert.equal(run.status, 0, run.stderr);
  return JSON.parse(run.stdout) as unknown;
}

describe('dsp: which real FFT a thread uses (fft-engine.ts)', () => {
  it('PFFFT once loaded (the package is an optional dependency, installed here): STFT sizes on PffftRealFft, size 16 on fft.js', () => {
    assert.equal(fftEngine(), 'pffft');
    assert.match(describeFftEngine(), /PFFFT \(WebAssembly SIMD/);
    assert.ok(realFft(4096) instanceof PffftRealFft);
    assert.ok(realFft(16) instanceof RealFft, 'PFFFT takes no real transform shorter than 32');
    assert.equal(realFft(4096), realFft(4096), 'one instance per size per thread');
  });

  it('VOCAL_SPLIT_FFT=fft.js picks fft.js, and the STFT still gives the signal back', () => {
    const got = inChild(`
      await engine.loadFastFft();
      const x = new Float32Array(20000).map((_, i) => Math.sin(i * 0.01) * 0.5);
      const p = { fftSize: 4096, hop: 1024 };
      const s = dsp.stftChannel(x, p);
      const y = dsp.istftChannel(s.re, s.im, p, x.length);
      let err = 0; for (let i = 0; i < x.length; i++) err = Math.max(err, Math.abs(x[i] - y[i]));
      console.log(JSON.stringify({ engine: engine.fftEngine(), line: engine.describeFftEngine(), err, kind: engine.realFft(4096).constructor.name }));`,
    { VOCAL_SPLIT_FFT: 'fft.js' }) as { engine: string; line: string; err: number; kind: string };
    assert.deepEqual([got.engine, got.kind], ['fft.js', 'RealFft']);
    assert.match(got.line, /VOCAL_SPLIT_FFT=fft\.js/);
    assert.ok(got.err < 1e-5, `reconstruction error ${got.err}`);
  });

  it('a thread keeps the engine of its first transform: an STFT before PFFFT loaded stays on fft.js, and says why', () => {
    const got = inChild(`
      const x = new Float32Array(9000).map((_, i) => Math.sin(i * 0.03));
      const first = dsp.stftChannel(x, { fftSize: 1024, hop: 256 });
      await engine.loadFastFft();
      const again = dsp.stftChannel(x, { fftSize: 1024, hop: 256 });
      let same = true; for (let i = 0; i < first.re.length; i++) same = same && first.re[i] === again.re[i] && first.im[i] === again.im[i];
      console.log(JSON.stringify({ engine: engine.fftEngine(), line: engine.describeFftEngine(), same }));`) as { engine: string; line: string; same: boolean };
    assert.equal(got.engine, 'fft.js');
    assert.ok(got.same, 'the same spectrogram before and after the load');
    assert.match(got.line, /PFFFT was (still loading|not loaded)/);
  });

  it('`vocal-split info --backends` says which FFT runs here (text and --json)', () => {
    const cli = path.resolve(__dirname, '..', 'bin', 'vocal-split.js');
    const text = spawnSync(process.execPath, [cli, 'info', '--backends'], { encoding: 'utf8', timeout: 60000 });
    assert.equal(text.status, 0, text.stderr);
    assert.match(text.stdout, /^FFT \(STFT and iSTFT\): PFFFT \(WebAssembly SIMD/m);
    const json = spawnSync(process.execPath, [cli, 'info', '--backends', '--json'], { encoding: 'utf8', timeout: 60000, env: { ...process.env, VOCAL_SPLIT_FFT: 'fft.js' } });
    assert.equal(json.status, 0, json.stderr);
    assert.equal((JSON.parse(json.stdout) as { fft: string }).fft, 'fft.js (VOCAL_SPLIT_FFT=fft.js)');
  });

  it('the two engines give the same STFT and iSTFT to float32 precision (a song-like signal, 4096/1024)', () => {
    const x = noise(44100, 5).map((v, i) => 0.3 * Math.sin(i * 0.05) + 0.05 * v);
    const p = { fftSize: 4096, hop: 1024 };
    const ours = stftChannel(x, p); // this process: PFFFT
    const theirs = inChild(`
      const x = new Float32Array(${JSON.stringify(Array.from(x))});
      const s = dsp.stftChannel(x, { fftSize: 4096, hop: 1024 });
      const y = dsp.istftChannel(s.re, s.im, { fftSize: 4096, hop: 1024 }, x.length);
      console.log(JSON.stringify({ re: Array.from(s.re), im: Array.from(s.im), y: Array.from(y), engine: engine.fftEngine() }));`,
    { VOCAL_SPLIT_FFT: 'fft.js' }) as { re: number[]; im: number[]; y: number[]; engine: string };
    assert.equal(theirs.engine, 'fft.js');
    let peak = 0;
    for (let i = 0; i < theirs.re.length; i++) peak = Math.max(peak, Math.hypot(theirs.re[i], theirs.im[i]));
    assert.ok(maxAbsDiff(ours.re, theirs.re) < 1e-6 * peak && maxAbsDiff(ours.im, theirs.im) < 1e-6 * peak);
    assert.ok(maxAbsDiff(istftChannel(ours.re, ours.im, p, x.length), theirs.y) < 1e-6);
  });

  it('a fresh pool computes on PFFFT whatever its threads\' first task: a stream first gives the in-process stream\'s samples, an STFT first stft()\'s, bit for bit', async function () {
    this.timeout(60_000);
    const backend = await createBackend(await smallTestModel(), { backend: 'onnx' });
    const audio = await loopedSong(3);
    let pool = new AudioPool();
    try {
      const local = await StreamSeparator.create({ sampleRate: 44100, channels: 2 }, new MaskBatcher(backend), LATENCY_PRESETS.balanced);
      const pooled = await pool.openStream({ sampleRate: 44100, channels: 2 }, LATENCY_PRESETS.balanced, backend);
      const [a, b] = await Promise.all([local.push(audio.channels), pooled.push(audio.channels)]);
      assert.ok(a.vocals[0].length > 0);
      assert.equal(maxAbsDiff(b.vocals[0], a.vocals[0]), 0);
      assert.equal(maxAbsDiff(b.accompaniment[1], a.accompaniment[1]), 0);
      local.dispose();
      pooled.dispose();
      await pool.close();
      pool = new AudioPool();
      const params = { fftSize: 4096, hop: 1024 };
      const fromPool = await pool.stft(audio, params);
      const here = stft(audio, params);
      assert.equal(maxAbsDiff(fromPool.re[0], here.re[0]), 0);
      assert.equal(maxAbsDiff(fromPool.im[1], here.im[1]), 0);
    } finally {
      await pool.close();
      await backend.dispose();
    }
  });
});
