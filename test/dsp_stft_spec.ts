import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import FFT from 'fft.js';
import type { AudioData } from '../lib/audio/types';
import { frameCount, hannWindow, istft, istftChannel, magnitude, stft, stftChannel } from '../lib/dsp';
import { RealFft } from '../lib/dsp/fft';
import { hannWindow64 } from '../lib/dsp/window';
import { loadPffft, PffftRealFft, type PffftWasm } from '../lib/dsp/pffft';
import type { RealTransform } from '../lib/dsp/real-transform';
import type { Spectrogram, StftParams } from '../lib/dsp';
import { InvalidArgumentError } from '../lib/errors';
import { maxAbsDiff, noise } from './support/numeric';

// dist/test/ → repository root → test/fixtures
const repoRoot = path.resolve(__dirname, '..', '..');
const mir1kDir = path.join(repoRoot, 'test', 'fixtures', 'mir1k-sample', 'Wavfile');

/** Minimal 16-bit PCM WAV reader (MIR-1K clips: 16 kHz, stereo, accompaniment left, voice right). */
function readWav16(file: string): AudioData {
  const buf = fs.readFileSync(file);
  assert.equal(buf.toString('ascii', 0, 4), 'RIFF');
  assert.equal(buf.toString('ascii', 8, 12), 'WAVE');
  let pos = 12;
  let channels = 0;
  let sampleRate = 0;
  while (pos + 8 <= buf.length) {
    const id = buf.toString('ascii', pos, pos + 4);
    const size = buf.readUInt32LE(pos + 4);
    const body = pos + 8;
    if (id === 'fmt ') {
      assert.equal(buf.readUInt16LE(body), 1, 'PCM');
      channels = buf.readUInt16LE(body + 2);
      sampleRate = buf.readUInt32LE(body + 4);
      assert.equal(buf.readUInt16LE(body + 14), 16, '16-bit');
    } else if (id === 'data') {
      const frames = Math.floor(Math.min(size, buf.length - body) / (2 * channels));
      const out = Array.from({ length: channels }, () => new Float32Array(frames));
      for (let i = 0; i < frames; i++) {
        for (let c = 0; c < channels; c++) out[c][i] = buf.readInt16LE(body + 2 * (i * channels + c)) / 32768;
      }
      return { sampleRate, channels: out };
    }
    pos = body + size + (size & 1);
  }
  throw new Error(`${file}: no data chunk`);
}

const P4096: StftParams = { fftSize: 4096, hop: 1024 };

describe('dsp: periodic Hann window', () => {
  for (const N of [16, 1024, 4096]) {
    it(`N = ${N}: w[0] = 0, w[N/2] = 1, w[n] = w[N−n], Σw = N/2`, () => {
      const w = hannWindow(N);
      assert.equal(w.length, N);
      assert.equal(w[0], 0);
      assert.ok(Math.abs(w[N / 2] - 1) < 1e-7);
      for (let n = 1; n < N; n++) assert.ok(Math.abs(w[n] - w[N - n]) < 1e-7, `w[${n}] ≠ w[${N - n}]`);
      let sum = 0;
      for (let n = 0; n < N; n++) sum += w[n];
      assert.ok(Math.abs(sum - N / 2) < 1e-4 * N, `sum ${sum}`);
      assert.ok(Math.abs(w[N / 4] - 0.5) < 1e-7);
    });
  }
  it('is cached per size', () => {
    assert.equal(hannWindow(2048), hannWindow(2048));
  });
  it('rejects sizes that are not positive integers', () => {
    for (const bad of [0, -4, 2.5, NaN]) assert.throws(() => hannWindow(bad), InvalidArgumentError);
  });
});

/** Σ_n a[n]·e^{-2πikn/N} for k = 0..N/2, in double precision: the definition, for reference. */
function naiveRealDft(a: ArrayLike<number>): { re: Float64Array; im: Float64Array } {
  const N = a.length;
  const re = new Float64Array(N / 2 + 1);
  const im = new Float64Array(N / 2 + 1);
  for (let k = 0; k <= N / 2; k++) {
    for (let n = 0; n < N; n++) {
      const phase = (-2 * Math.PI * ((k * n) % N)) / N;
      re[k] += a[n] * Math.cos(phase);
      im[k] += a[n] * Math.sin(phase);
    }
  }
  return { re, im };
}

/** Both real FFTs behind the STFT: fft.js (always there) and PFFFT (WebAssembly SIMD). */
const engines: Array<{ name: string; sizes: number[]; make(N: number): RealTransform }> = [
  { name: 'RealFft (fft.js on the packed frame)', sizes: [16, 32, 64, 128, 256, 1024, 2048, 4096, 8192], make: (N) => new RealFft(N) },
  { name: 'PffftRealFft (PFFFT, WebAssembly SIMD)', sizes: [32, 64, 128, 256, 1024, 2048, 4096, 8192], make: (N) => new PffftRealFft(pffft(), N) },
];
let loadedPffft: PffftWasm | undefined;
function pffft(): PffftWasm {
  assert.ok(loadedPffft, 'PFFFT is not loaded');
  return loadedPffft;
}

for (const engine of engines) describe(`dsp: ${engine.name} against fft.js realTransform and a naive DFT`, () => {
  before(async () => {
    loadedPffft ??= await loadPffft();
  });

  for (const N of engine.sizes) {
    it(`N = ${N}: forward matches fft.js realTransform; inverse gives the frame back`, () => {
      const x = noise(N, N);
      const win = new Float64Array(N).fill(1);
      const f = engine.make(N);
      const re = new Float32Array(N / 2 + 1);
      const im = new Float32Array(N / 2 + 1);
      f.forward(x, 0, win, re, im, 0);
      const ref = new FFT(N);
      const out = ref.createComplexArray() as number[];
      ref.realTransform(out, Array.from(x));
      let err = 0;
      let scale = 0;
      for (let k = 0; k <= N / 2; k++) {
        err = Math.max(err, Math.abs(re[k] - out[2 * k]), Math.abs(im[k] - out[2 * k + 1]));
        scale = Math.max(scale, Math.hypot(out[2 * k], out[2 * k + 1]));
      }
      assert.ok(err <= 1e-6 * scale, `forward error ${err} (peak ${scale})`);
      const back = new Float32Array(N);
      f.inverse(re, im, 0, win, back, 0);
      assert.ok(maxAbsDiff(back, x) < 1e-6);
    });
  }

  for (const N of engine.sizes.filter((n) => [16, 32, 64, 512].includes(n))) {
    it(`N = ${N}: windowed forward at offsets equals the naive DFT`, () => {
      const f = engine.make(N);
      const x = noise(3 * N, 40 + N);
      const win = Float64Array.from(noise(N, 50 + N), (v) => v + 1.5);
      const bins = N / 2 + 1;
      const re = new Float32Array(3 * bins).fill(7);
      const im = new Float32Array(3 * bins).fill(7);
      const start = N + 5;
      f.forward(x, start, win, re, im, bins);
      const seg = Array.from({ length: N }, (_, n) => x[start + n] * win[n]);
      const ref = naiveRealDft(seg);
      const peak = Math.max(...ref.re.map((v, k) => Math.hypot(v, ref.im[k])));
      assert.ok(maxAbsDiff(re.subarray(bins, 2 * bins), ref.re) < 1e-5 * peak);
      assert.ok(maxAbsDiff(im.subarray(bins, 2 * bins), ref.im) < 1e-5 * peak);
      // Only bins [outOffset, outOffset + bins) are written.
      assert.ok(re.subarray(0, bins).every((v) => v === 7) && re.subarray(2 * bins).every((v) => v === 7));
      assert.ok(im.subarray(0, bins).every((v) => v === 7) && im.subarray(2 * bins).every((v) => v === 7));
    });

    it(`N = ${N}: inverse adds weights · (naive inverse DFT) into out, ignoring Im of bins 0 and N/2`, () => {
      const f = engine.make(N);
      const bins = N / 2 + 1;
      const re = noise(2 * bins, 60 + N);
      const im = noise(2 * bins, 70 + N);
      const weights = Float64Array.from(noise(N, 80 + N), (v) => v + 1.5);
      const out = noise(2 * N, 90 + N);
      const before = Float32Array.from(out);
      f.inverse(re, im, bins, weights, out, 3);
      // x[n] = (1/N) Σ_{k=0}^{N−1} X[k] e^{2πikn/N} with X[N−k] = conj X[k], Im X[0] = Im X[N/2] = 0.
      for (let n = 0; n < 2 * N; n++) {
        const m = n - 3;
        if (m < 0 || m >= N) {
          assert.equal(out[n], before[n], `sample ${n} outside the frame changed`);
          continue;
        }
        let v = re[bins] + (m % 2 === 0 ? 1 : -1) * re[bins + N / 2];
        for (let k = 1; k < N / 2; k++) {
          const phase = (2 * Math.PI * ((k * m) % N)) / N;
          v += 2 * (re[bins + k] * Math.cos(phase) - im[bins + k] * Math.sin(phase));
        }
        const want = before[n] + weights[m] * (v / N);
        assert.ok(Math.abs(out[n] - want) < 1e-5, `N ${N} sample ${m}: ${out[n]} vs ${want}`);
      }
    });
  }

  // The STFT's windows are the periodic Hann window times a constant (PFFFT applies those on the spectrum).
  for (const N of engine.sizes.filter((n) => [32, 64, 512].includes(n))) {
    it(`N = ${N}: with c·Hann windows (the STFT's), forward and inverse equal the naive DFT, Im of bins 0 and N/2 ignored`, () => {
      const f = engine.make(N);
      const bins = N / 2 + 1;
      for (const c of [1, 0.6]) {
        const win = c === 1 ? hannWindow64(N) : Float64Array.from(hannWindow64(N), (v) => c * v);
        const x = noise(2 * N, 110 + N);
        const re = new Float32Array(bins);
        const im = new Float32Array(bins);
        f.forward(x, 7, win, re, im, 0);
        const ref = naiveRealDft(Array.from({ length: N }, (_, n) => x[7 + n] * win[n]));
        const peak = Math.max(...ref.re.map((v, k) => Math.hypot(v, ref.im[k])));
        assert.ok(maxAbsDiff(re, ref.re) < 1e-5 * peak && maxAbsDiff(im, ref.im) < 1e-5 * peak, `forward, c = ${c}`);
        assert.equal(im[0], 0);
        assert.equal(im[N / 2], 0);

        const specRe = noise(bins, 120 + N);
        const specIm = noise(bins, 130 + N); // Im of bins 0 and N/2 are not 0 here: they must be ignored
        const out = noise(N + 4, 140 + N);
        const before = Float32Array.from(out);
        f.inverse(specRe, specIm, 0, win, out, 2);
        for (let m = 0; m < N; m++) {
          let v = specRe[0] + (m % 2 === 0 ? 1 : -1) * specRe[N / 2];
          for (let k = 1; k < N / 2; k++) {
            const phase = (2 * Math.PI * ((k * m) % N)) / N;
            v += 2 * (specRe[k] * Math.cos(phase) - specIm[k] * Math.sin(phase));
          }
          const want = before[m + 2] + win[m] * (v / N);
          assert.ok(Math.abs(out[m + 2] - want) < 1e-5, `inverse, c = ${c}, sample ${m}: ${out[m + 2]} vs ${want}`);
        }
        assert.equal(out[0], before[0]);
        assert.equal(out[N + 3], before[N + 3]);
      }
    });
  }

  it(`rejects sizes that are not powers of two ≥ ${engine.sizes[0]}`, () => {
    for (const bad of [0, 8, 12, 100, 4095, engine.sizes[0] / 2]) assert.throws(() => engine.make(bad), RangeError);
  });
});

describe('dsp: framing', () => {
  it('frames = ceil((length + fftSize/2) / hop), a superset of torch center=True frames', () => {
    assert.equal(frameCount(0, P4096), 2);
    assert.equal(frameCount(1, P4096), 3);
    assert.equal(frameCount(1024, P4096), 3);
    assert.equal(frameCount(1025, P4096), 4);
    assert.equal(frameCount(180 * 44100, P4096), 7754);
    for (const L of [1, 100, 1023, 1024, 1025, 5000, 44100]) {
      assert.ok(frameCount(L, P4096) >= 1 + Math.floor(L / 1024));
      assert.equal(stftChannel(new Float32Array(L), P4096).frames, frameCount(L, P4096));
    }
  });

  it('frame t is centred on sample t·hop (an impulse there gives X[k] = (−1)^k)', () => {
    const params: StftParams = { fftSize: 256, hop: 64 };
    for (const t0 of [0, 1, 5]) {
      const x = new Float32Array(1000);
      x[t0 * 64] = 1;
      const s = stftChannel(x, params);
      for (let k = 0; k < s.bins; k++) {
        const i = t0 * s.bins + k;
        assert.ok(Math.abs(s.re[i] - (k % 2 === 0 ? 1 : -1)) < 1e-6, `frame ${t0} bin ${k}: ${s.re[i]}`);
        assert.ok(Math.abs(s.im[i]) < 1e-6);
      }
    }
  });

  it('a subarray view gives the same spectrogram as a copy', () => {
    const big = noise(10000, 11);
    const view = big.subarray(1234, 1234 + 5000);
    const a = stftChannel(view, P4096);
    const b = stftChannel(Float32Array.from(view), P4096);
    assert.deepEqual(a.re, b.re);
    assert.deepEqual(a.im, b.im);
  });

  it('every frame equals fft.js on the zero-padded, windowed segment', () => {
    const params: StftParams = { fftSize: 512, hop: 128 };
    const N = params.fftSize;
    for (const L of [1, 300, 1000, 1280]) {
      const x = noise(L, 7 + L);
      const s = stftChannel(x, params);
      const padded = new Float64Array((s.frames - 1) * params.hop + N);
      padded.set(x, N / 2);
      const w = hannWindow(N);
      const ref = new FFT(N);
      const out = ref.createComplexArray() as number[];
      const seg = new Array<number>(N);
      for (let t = 0; t < s.frames; t++) {
        for (let n = 0; n < N; n++) seg[n] = padded[t * params.hop + n] * w[n];
        ref.realTransform(out, seg);
        for (let k = 0; k < s.bins; k++) {
          assert.ok(Math.abs(s.re[t * s.bins + k] - out[2 * k]) < 1e-4, `L ${L} frame ${t} bin ${k} re`);
          assert.ok(Math.abs(s.im[t * s.bins + k] - out[2 * k + 1]) < 1e-4, `L ${L} frame ${t} bin ${k} im`);
        }
      }
      // The frame after the last one would start past the last sample: nothing is left out.
      assert.ok(s.frames * params.hop - N / 2 >= L);
      assert.ok((s.frames - 1) * params.hop - N / 2 < L);
    }
  });
});

describe('dsp: istft(stft(x)) == x', () => {
  const cases: StftParams[] = [
    { fftSize: 4096, hop: 1024 },
    { fftSize: 2048, hop: 512 },
    { fftSize: 1024, hop: 256 },
    { fftSize: 4096, hop: 2048 },
    { fftSize: 1024, hop: 512 },
    { fftSize: 512, hop: 64 },
    { fftSize: 16, hop: 4 },
    { fftSize: 16, hop: 8 },
  ];
  for (const params of cases) {
    const { fftSize: N, hop } = params;
    const lengths = [0, 1, 2, 7, hop - 1, hop, hop + 1, N / 2, N - 1, N, N + 1, 3 * hop, 5 * hop + 17, 4 * N + 3 * hop, 9 * N + 1];
    it(`${N}/${hop}: lengths ${lengths.join(', ')}, max error < 1e-5, length exact`, () => {
      for (const L of lengths) {
        const x = noise(L, L * 31 + N);
        const s = stftChannel(x, params);
        const y = istftChannel(s.re, s.im, params, L);
        assert.equal(y.length, L);
        const err = L === 0 ? 0 : maxAbsDiff(x, y);
        assert.ok(err < 1e-5, `${N}/${hop} L=${L}: error ${err}`);
      }
    });
  }

  it('mono, stereo and 5 channels, 4096/1024, through stft()/istft()', () => {
    for (const [channels, length] of [[1, 44100], [2, 30000], [5, 9000]]) {
      const audio: AudioData = { sampleRate: 44100, channels: Array.from({ length: channels }, (_, c) => noise(length, 100 + c)) };
      const spec = stft(audio, P4096);
      assert.equal(spec.re.length, channels);
      assert.equal(spec.length, length);
      assert.equal(spec.bins, 2049);
      assert.equal(spec.frames, frameCount(length, P4096));
      assert.equal(spec.re[0].length, spec.frames * spec.bins);
      const back = istft(spec);
      assert.equal(back.sampleRate, 44100);
      assert.equal(back.channels.length, channels);
      for (let c = 0; c < channels; c++) {
        assert.equal(back.channels[c].length, length);
        assert.ok(maxAbsDiff(back.channels[c], audio.channels[c]) < 1e-5, `channel ${c}`);
      }
    }
  });

  it('full-scale input keeps the error below 1e-5 too', () => {
    const L = 20000;
    const x = new Float32Array(L);
    for (let i = 0; i < L; i++) x[i] = i % 2 === 0 ? 1 : -1;
    const s = stftChannel(x, P4096);
    assert.ok(maxAbsDiff(istftChannel(s.re, s.im, P4096, L), x) < 1e-5);
  });

  it('a MIR-1K clip (both channels and their mix) round-trips within 1e-5', () => {
    const file = fs.readdirSync(mir1kDir).filter((f) => f.endsWith('.wav')).sort()[0];
    const clip = readWav16(path.join(mir1kDir, file));
    assert.equal(clip.channels.length, 2);
    const L = clip.channels[0].length;
    assert.ok(L > 16000, 'a clip of at least a second');
    const mix = new Float32Array(L);
    for (let i = 0; i < L; i++) mix[i] = clip.channels[0][i] + clip.channels[1][i];
    const audio: AudioData = { sampleRate: clip.sampleRate, channels: [...clip.channels, mix] };
    for (const params of [P4096, { fftSize: 1024, hop: 256 }]) {
      const back = istft(stft(audio, params));
      for (let c = 0; c < 3; c++) {
        assert.equal(back.channels[c].length, L);
        const err = maxAbsDiff(back.channels[c], audio.channels[c]);
        assert.ok(err < 1e-5, `${file} ch ${c} ${params.fftSize}/${params.hop}: ${err}`);
      }
    }
  });
});

describe('dsp: spectral values', () => {
  it('a sine on bin k peaks in bin k with |X| = N/4 · amplitude (Hann), neighbours N/8 · amplitude', () => {
    const sr = 44100;
    const N = 4096;
    const k0 = 93; // ≈ 1 kHz
    const amp = 0.5;
    const L = 8 * N;
    const x = new Float32Array(L);
    for (let i = 0; i < L; i++) x[i] = amp * Math.sin(2 * Math.PI * (k0 * sr / N) * i / sr + 0.3);
    const spec = stft({ sampleRate: sr, channels: [x] }, P4096);
    const mag = magnitude(spec, 0, 512);
    for (const t of [4, 10, 20]) { // frames fully inside the signal
      const frame = mag.subarray(t * 512, (t + 1) * 512);
      let peak = 0;
      for (let k = 1; k < 512; k++) if (frame[k] > frame[peak]) peak = k;
      assert.equal(peak, k0);
      assert.ok(Math.abs(frame[k0] - (N / 4) * amp) < 1e-3 * (N / 4) * amp, `peak ${frame[k0]}`);
      assert.ok(Math.abs(frame[k0 - 1] - (N / 8) * amp) < 1e-3 * (N / 4) * amp);
      assert.ok(Math.abs(frame[k0 + 1] - (N / 8) * amp) < 1e-3 * (N / 4) * amp);
      assert.ok(frame[k0 + 5] < 1e-3 * (N / 4) * amp, 'Hann leaks only into the two neighbours');
    }
  });

  it('a sine between bins peaks in the nearest bin', () => {
    const sr = 44100;
    const f = 440;
    const x = new Float32Array(sr);
    for (let i = 0; i < x.length; i++) x[i] = 0.8 * Math.sin(2 * Math.PI * f * i / sr);
    const spec = stft({ sampleRate: sr, channels: [x] }, P4096);
    const mag = magnitude(spec, 0, 100);
    const t = 10;
    let peak = 0;
    for (let k = 0; k < 100; k++) if (mag[t * 100 + k] > mag[t * 100 + peak]) peak = k;
    assert.equal(peak, Math.round(f * 4096 / sr));
  });

  it('is linear, and Parseval holds per frame', () => {
    const params: StftParams = { fftSize: 1024, hop: 256 };
    const L = 5000;
    const a = noise(L, 1);
    const b = noise(L, 2);
    const mix = new Float32Array(L);
    for (let i = 0; i < L; i++) mix[i] = 0.25 * a[i] - 0.5 * b[i];
    const sa = stftChannel(a, params);
    const sb = stftChannel(b, params);
    const sm = stftChannel(mix, params);
    for (let i = 0; i < sm.re.length; i++) {
      assert.ok(Math.abs(sm.re[i] - (0.25 * sa.re[i] - 0.5 * sb.re[i])) < 1e-4);
      assert.ok(Math.abs(sm.im[i] - (0.25 * sa.im[i] - 0.5 * sb.im[i])) < 1e-4);
    }
    const N = params.fftSize;
    const w = hannWindow(N);
    const t = 6;
    let energyTime = 0;
    for (let n = 0; n < N; n++) energyTime += (a[t * params.hop - N / 2 + n] * w[n]) ** 2;
    let energyFreq = 0;
    for (let k = 0; k < sa.bins; k++) {
      const e = sa.re[t * sa.bins + k] ** 2 + sa.im[t * sa.bins + k] ** 2;
      energyFreq += k === 0 || k === N / 2 ? e : 2 * e;
    }
    energyFreq /= N;
    assert.ok(Math.abs(energyFreq - energyTime) < 1e-5 * energyTime, `${energyFreq} vs ${energyTime}`);
  });

  it('scaling every bin by g scales the output by g (the mask path)', () => {
    const L = 12345;
    const x = noise(L, 9);
    const s = stftChannel(x, P4096);
    for (let i = 0; i < s.re.length; i++) {
      s.re[i] *= 0.3;
      s.im[i] *= 0.3;
    }
    const y = istftChannel(s.re, s.im, P4096, L);
    for (let i = 0; i < L; i++) assert.ok(Math.abs(y[i] - 0.3 * x[i]) < 1e-5);
  });

  it('magnitude() gives |X| of the first maxBins bins, frame-major', () => {
    const spec = stft({ sampleRate: 16000, channels: [noise(3000, 3), noise(3000, 4)] }, { fftSize: 256, hop: 64 });
    const full = magnitude(spec, 1);
    assert.equal(full.length, spec.frames * spec.bins);
    const part = magnitude(spec, 1, 64);
    assert.equal(part.length, spec.frames * 64);
    for (let t = 0; t < spec.frames; t++) {
      for (let k = 0; k < 64; k++) {
        const i = t * spec.bins + k;
        assert.ok(Math.abs(part[t * 64 + k] - Math.hypot(spec.re[1][i], spec.im[1][i])) < 1e-5);
        assert.equal(part[t * 64 + k], full[i]);
      }
    }
    assert.throws(() => magnitude(spec, 2), InvalidArgumentError);
    assert.throws(() => magnitude(spec, 0, 0), InvalidArgumentError);
    assert.throws(() => magnitude(spec, 0, spec.bins + 1), InvalidArgumentError);
  });
});

describe('dsp: invalid arguments', () => {
  const x = noise(1000, 5);
  const bad: [string, StftParams][] = [
    ['fftSize not a power of two', { fftSize: 1000, hop: 250 }],
    ['fftSize 3000', { fftSize: 3000, hop: 750 }],
    ['fftSize too small', { fftSize: 8, hop: 2 }],
    ['fftSize zero', { fftSize: 0, hop: 1 }],
    ['fftSize negative', { fftSize: -1024, hop: 256 }],
    ['fftSize fractional', { fftSize: 1024.5, hop: 256 }],
    ['fftSize NaN', { fftSize: NaN, hop: 256 }],
    ['hop zero', { fftSize: 1024, hop: 0 }],
    ['hop negative', { fftSize: 1024, hop: -256 }],
    ['hop not dividing', { fftSize: 1024, hop: 300 }],
    ['hop not dividing (3)', { fftSize: 1024, hop: 3 }],
    ['hop > fftSize/2', { fftSize: 1024, hop: 768 }],
    ['hop = fftSize', { fftSize: 1024, hop: 1024 }],
    ['hop > fftSize', { fftSize: 1024, hop: 2048 }],
    ['hop fractional', { fftSize: 1024, hop: 256.5 }],
  ];
  for (const [name, params] of bad) {
    it(`${name} throws InvalidArgumentError`, () => {
      assert.throws(() => stftChannel(x, params), InvalidArgumentError);
      assert.throws(() => frameCount(100, params), InvalidArgumentError);
      assert.throws(() => istftChannel(new Float32Array(0), new Float32Array(0), params, 0), InvalidArgumentError);
    });
  }

  it('bad audio and mismatched spectrograms throw InvalidArgumentError', () => {
    assert.throws(() => stft({ sampleRate: 44100, channels: [] }, P4096), InvalidArgumentError);
    assert.throws(() => stft({ sampleRate: 44100, channels: [new Float32Array(10), new Float32Array(11)] }, P4096), InvalidArgumentError);
    assert.throws(() => stft({ sampleRate: 0, channels: [new Float32Array(10)] }, P4096), InvalidArgumentError);
    const spec: Spectrogram = stft({ sampleRate: 44100, channels: [noise(5000, 1)] }, P4096);
    assert.throws(() => istft({ ...spec, length: spec.length + 5000 }), InvalidArgumentError);
    assert.throws(() => istft({ ...spec, frames: spec.frames + 1 }), InvalidArgumentError);
    assert.throws(() => istft({ ...spec, im: [] }), InvalidArgumentError);
    assert.throws(() => istftChannel(spec.re[0].subarray(1), spec.im[0], P4096, spec.length), InvalidArgumentError);
    assert.throws(() => istftChannel(spec.re[0], spec.im[0], P4096, -1), InvalidArgumentError);
  });
});
