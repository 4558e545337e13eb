/**
 * STFT + iSTFT of a 3-minute stereo 44.1 kHz signal at 4096/1024, in this process (one core).
 * Goal: ≥ 300× real time. Prints the median of 3 timed runs after one warm-up run (on this thread's
 * engine: PFFFT where installed, see lib/dsp/fft-engine.ts), then the per-frame cost of
 * PffftRealFft (lib/dsp/pffft.ts) and RealFft (fft.js's complex transform on the packed frame,
 * lib/dsp/fft.ts) beside fft.js used directly (realTransform; completeSpectrum + inverseTransform).
 */
import * as os from 'node:os';
import FFT from 'fft.js';
import type { AudioData } from '../lib/audio/types';
import { describeFftEngine, istft, loadFastFft, stft } from '../lib/dsp';
import { RealFft } from '../lib/dsp/fft';
import { loadPffft, PffftRealFft } from '../lib/dsp/pffft';
import type { RealTransform } from '../lib/dsp/real-transform';
import { hannWindow64 } from '../lib/dsp/window';

export const title = 'STFT + iSTFT, 3 min stereo 44.1 kHz, 4096/1024';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function ms(from: bigint, to: bigint): number {
  return Number(to - from) / 1e6;
}

/** Best per-call µs of `fn` over short batches (short, so a busy machine's preemptions fall out). */
function perCall(fn: (i: number) => void): number {
  let best = Infinity;
  for (let round = 0; round < 100; round++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < 20; i++) fn(i);
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / 20 / 1e3);
  }
  return best;
}

async function kernels(): Promise<void> {
  const N = 4096;
  const bins = N / 2 + 1;
  const x = new Float32Array(N * 8);
  for (let i = 0; i < x.length; i++) x[i] = Math.sin(i * 0.01) + 0.1 * Math.sin(i * 0.37);
  const w = hannWindow64(N);
  const re = new Float32Array(bins * 4);
  const im = new Float32Array(bins * 4);
  const out = new Float32Array(N * 8);
  const ours = (f: RealTransform): { fwd: number; inv: number } => ({
    fwd: perCall((i) => f.forward(x, (i & 15) * 1024, w, re, im, (i & 3) * bins)),
    inv: perCall((i) => f.inverse(re, im, (i & 3) * bins, w, out, (i & 15) * 1024)),
  });
  const pffft = await loadPffft().then((wasm) => ours(new PffftRealFft(wasm, N)), (err: Error) => err);
  const fftJs = ours(new RealFft(N));
  // fft.js used directly: windowed copy in, realTransform; for the inverse the Hermitian
  // spectrum completed and inverseTransform'd (fft.js has no real inverse). Plain arrays, as
  // RealFft passes fft.js: mixing them with typed arrays would slow both down.
  const ref = new FFT(N);
  const frame = new Array<number>(N).fill(0);
  const spec = ref.createComplexArray() as number[];
  const time = ref.createComplexArray() as number[];
  const theirs = {
    fwd: perCall((i) => {
      const s = (i & 15) * 1024;
      for (let n = 0; n < N; n++) frame[n] = x[s + n] * w[n];
      ref.realTransform(spec, frame);
      const o = (i & 3) * bins;
      for (let k = 0; k < bins; k++) { re[o + k] = spec[2 * k]; im[o + k] = spec[2 * k + 1]; }
    }),
    inv: perCall((i) => {
      const o = (i & 3) * bins;
      for (let k = 0; k < bins; k++) { spec[2 * k] = re[o + k]; spec[2 * k + 1] = im[o + k]; }
      ref.completeSpectrum(spec);
      ref.inverseTransform(time, spec);
      const s = (i & 15) * 1024;
      for (let n = 0; n < N; n++) out[s + n] += time[2 * n] * w[n];
    }),
  };
  console.log(`kernel      per 4096-frame, best of 100×20: ` + (pffft instanceof Error ? `PFFFT did not load (${pffft.message}); `
    : `PffftRealFft forward ${pffft.fwd.toFixed(1)} µs, inverse+OLA ${pffft.inv.toFixed(1)} µs; `) +
    `RealFft forward ${fftJs.fwd.toFixed(1)} µs, inverse+OLA ${fftJs.inv.toFixed(1)} µs; ` +
    `fft.js alone: realTransform ${theirs.fwd.toFixed(1)} µs, inverseTransform+OLA ${theirs.inv.toFixed(1)} µs`);
}

export async function run(): Promise<void> {
  await loadFastFft();
  const sampleRate = 44100;
  const seconds = 180;
  const length = seconds * sampleRate;
  const channels: Float32Array[] = [];
  let seed = 12345;
  for (let c = 0; c < 2; c++) {
    const ch = new Float32Array(length);
    // Tone plus deterministic noise: speed does not depend on content, but silence could
    // flatter it (denormals, zero pages).
    for (let i = 0; i < length; i++) {
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
      ch[i] = 0.3 * Math.sin((2 * Math.PI * (220 + 110 * c) * i) / sampleRate) + 0.1 * (seed / 2 ** 32 - 0.5);
    }
    channels.push(ch);
  }
  const audio: AudioData = { sampleRate, channels };
  const params = { fftSize: 4096, hop: 1024 };

  const stftMs: number[] = [];
  const istftMs: number[] = [];
  const cpuMs: number[] = [];
  let maxErr = 0;
  let frames = 0;
  for (let r = 0; r < 4; r++) {
    const cpu0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    const spec = stft(audio, params);
    const t1 = process.hrtime.bigint();
    const back = istft(spec);
    const t2 = process.hrtime.bigint();
    const cpu = process.cpuUsage(cpu0);
    frames = spec.frames;
    if (r === 0) {
      for (let c = 0; c < 2; c++) {
        const a = channels[c];
        const b = back.channels[c];
        for (let i = 0; i < length; i++) maxErr = Math.max(maxErr, Math.abs(a[i] - b[i]));
      }
      continue; // warm-up
    }
    stftMs.push(ms(t0, t1));
    istftMs.push(ms(t1, t2));
    cpuMs.push((cpu.user + cpu.system) / 1e3);
  }
  const totals = stftMs.map((v, k) => v + istftMs[k]);
  const total = median(totals);
  const runs = (xs: number[]): string => xs.map((v) => v.toFixed(0)).join(', ');
  console.log(`machine     ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'}), load average ${os.loadavg()[0].toFixed(2)}, Node ${process.version}`);
  console.log(`fft         ${describeFftEngine()}`);
  console.log(`signal      ${seconds} s × 2 channels, ${frames} frames per channel (${2 * frames} forward + ${2 * frames} inverse FFTs)`);
  console.log(`stft        ${median(stftMs).toFixed(1)} ms   (runs: ${runs(stftMs)})`);
  console.log(`istft       ${median(istftMs).toFixed(1)} ms   (runs: ${runs(istftMs)})`);
  console.log(`total       ${total.toFixed(1)} ms   (process CPU time: ${runs(cpuMs)} ms)`);
  console.log(`real time   ${(seconds / (total / 1000)).toFixed(0)}× (goal ≥ 300×)`);
  console.log(`round trip  max |x − istft(stft(x))| = ${maxErr.toExponential(2)}`);
  await kernels();
}
