/**
 * resample(): exact output length, time alignment, in-band fidelity and alias rejection.
 *
 * Measurements (honest by construction):
 *  - in-band: a least-squares fit of a sine at the known frequency; what the fit leaves (noise,
 *    spurs, aliases, ripple that is not a pure gain) is "everything else", and must be ≥ 80 dB down;
 *    the fitted gain must be within 0.1 dB and the fitted phase ~0 (no time shift);
 *  - out-of-band: a tone (or a sweep segment) above the output's Nyquist has no place in the
 *    output, so all output energy there is alias; it must be ≥ 80 dB below the input tone.
 * The first and last 50 ms are left out: they hold the filter's response to the signal starting
 * and stopping abruptly, which is correct behaviour, not aliasing.
 */
import assert from 'node:assert/strict';
import { resample, type AudioData } from '../lib/audio';
import { InvalidArgumentError } from '../lib/errors';
import { db, fitSine, rms, sine } from './helpers/audio';

function mono(rate: number, x: Float32Array): AudioData {
  return { sampleRate: rate, channels: [x] };
}

const EDGE_S = 0.05;

describe('audio resample', () => {
  it('output length is exactly round(length · target / source), for any length and rate pair', async () => {
    const pairs = [[48000, 44100], [44100, 48000], [44100, 16000], [16000, 44100], [48000, 8000], [8000, 48000], [22050, 37800], [37800, 22050], [11025, 44100], [44100, 8000]];
    for (const [from, to] of pairs) {
      for (const length of [0, 1, 2, 7, 441, 1000, 4801]) {
        const out = await resample({ sampleRate: from, channels: [new Float32Array(length).fill(0.1), new Float32Array(length)] }, to);
        assert.equal(out.sampleRate, to);
        assert.equal(out.channels.length, 2);
        for (const ch of out.channels) assert.equal(ch.length, Math.round((length * to) / from), `${from}→${to}, ${length} samples`);
      }
    }
  });

  for (const [from, to] of [[48000, 44100], [44100, 48000], [44100, 16000], [16000, 44100], [48000, 8000], [22050, 37800]]) {
    it(`${from} → ${to}: a 1 kHz sine keeps its gain (±0.1 dB) and phase, everything else ≥ 80 dB down`, async () => {
      const out = await resample(mono(from, sine(from, from, 1000, 0.5)), to);
      const y = out.channels[0];
      const edge = Math.round(EDGE_S * to);
      const fit = fitSine(y, to, 1000, edge, y.length - edge);
      assert.ok(Math.abs(db(fit.amp / 0.5)) <= 0.1, `gain ${db(fit.amp / 0.5).toFixed(4)} dB`);
      assert.ok(fit.residualDb <= -80, `everything else at ${fit.residualDb.toFixed(1)} dB`);
      // phase 0 ± 0.001 rad: aligned to within 0.007 samples at the output rate
      assert.ok(Math.abs(fit.phase) < 1e-3, `phase ${fit.phase} rad`);
    });
  }

  it('48 → 44.1 kHz: tones above the new Nyquist (22.5, 23, 23.9 kHz) come out ≥ 80 dB down', async () => {
    for (const f of [22500, 23000, 23900]) {
      const out = await resample(mono(48000, sine(48000, 48000, f, 0.5)), 44100);
      const y = out.channels[0];
      const edge = Math.round(EDGE_S * 44100);
      const level = db(rms(y, edge, y.length - edge) / (0.5 / Math.SQRT2));
      assert.ok(level <= -80, `${f} Hz alias at ${level.toFixed(1)} dB`);
    }
  });

  it('48 → 44.1 kHz sweep 0–24 kHz: the output while the sweep is above 22.05 kHz is ≥ 80 dB below the passband', async () => {
    // Linear chirp, 2 s: f(t) = 12 kHz/s · t; faded out over its last 10 ms so its end is not a step.
    const from = 48000, to = 44100, seconds = 2, rate = 24000 / seconds;
    const n = from * seconds;
    const x = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const t = i / from;
      x[i] = 0.5 * Math.sin(Math.PI * rate * t * t);
      const left = n - i;
      if (left < 480) x[i] *= 0.5 - 0.5 * Math.cos((Math.PI * left) / 480);
    }
    const y = (await resample(mono(from, x), to)).channels[0];
    const at = (f: number): number => Math.round((f / rate) * to); // output index where the sweep is at f
    const passband = rms(y, at(1000), at(20000));
    // 22.6 kHz onwards: well clear of the new Nyquist (the filter's transition band ends below it)
    const aliases = rms(y, at(22600), at(23800));
    assert.ok(Math.abs(db(passband / (0.5 / Math.SQRT2))) < 0.1, `passband ${db(passband / (0.5 / Math.SQRT2)).toFixed(3)} dB`);
    assert.ok(db(aliases / passband) <= -80, `alias energy at ${db(aliases / passband).toFixed(1)} dB`);
  });

  it('is time-aligned: a band-limited pulse at 0.3 s lands at 0.3 s at the new rate', async () => {
    // Gaussian pulse, σ = 1 ms (its spectrum is negligible above 1.5 kHz), sampled exactly at both rates.
    const pulse = (rate: number, length: number): Float32Array => Float32Array.from({ length }, (_, i) => Math.exp(-0.5 * ((i / rate - 0.3) / 0.001) ** 2));
    for (const [from, to] of [[48000, 44100], [16000, 44100], [44100, 16000]]) {
      const y = (await resample(mono(from, pulse(from, from / 2)), to)).channels[0];
      const ideal = pulse(to, to / 2);
      let worst = 0;
      for (let i = 0; i < y.length; i++) worst = Math.max(worst, Math.abs(y[i] - ideal[i]));
      // a shift of one output sample would leave an error of ~0.3 here
      assert.ok(worst < 1e-4, `${from}→${to}: worst error ${worst}`);
    }
  });

  it('long signals go through in blocks without seams, and the event loop keeps running', async () => {
    // 3 s at 48 kHz = 144000 frames: five 32768-frame blocks.
    const x = sine(48000, 3 * 48000, 997, 0.5);
    // A chain of event-loop turns: it advances once for each turn resample() hands back (one per block).
    let ticks = 0;
    let running = true;
    const tick = (): void => { ticks++; if (running) setImmediate(tick); };
    setImmediate(tick);
    const y = (await resample(mono(48000, x), 44100)).channels[0];
    running = false;
    const ideal = sine(44100, y.length, 997, 0.5);
    const edge = Math.round(EDGE_S * 44100);
    let worst = 0;
    for (let i = edge; i < y.length - edge; i++) worst = Math.max(worst, Math.abs(y[i] - ideal[i]));
    assert.ok(worst < 1e-4, `worst error ${worst} (a seam would show here)`);
    assert.ok(ticks >= 4, `the event loop turned ${ticks} times while resampling 5 blocks (once between each)`);
  });

  it('stereo and 6-channel audio keep their channels apart and in order', async () => {
    const freqs = [200, 300, 500, 700, 1100, 1300];
    const input: AudioData = { sampleRate: 44100, channels: freqs.map((f) => sine(44100, 22050, f, 0.3)) };
    for (const channels of [2, 6]) {
      const out = await resample({ ...input, channels: input.channels.slice(0, channels) }, 48000);
      assert.equal(out.channels.length, channels);
      out.channels.forEach((y, c) => {
        const edge = Math.round(EDGE_S * 48000);
        const fit = fitSine(y, 48000, freqs[c], edge, y.length - edge);
        assert.ok(fit.residualDb < -80 && Math.abs(db(fit.amp / 0.3)) < 0.1, `channel ${c}: ${fit.residualDb.toFixed(1)} dB, amp ${fit.amp}`);
      });
    }
  });

  it('concurrent calls do not disturb each other', async () => {
    const a = mono(48000, sine(48000, 20000, 440, 0.5));
    const b = mono(22050, sine(22050, 9000, 3000, 0.25));
    const [ya, yb] = await Promise.all([resample(a, 44100), resample(b, 37800)]);
    assert.deepEqual(ya, await resample(a, 44100));
    assert.deepEqual(yb, await resample(b, 37800));
  });

  it('quality medium/fastest: faster converters, still flat at 1 kHz and ≥ 80 dB alias rejection', async () => {
    for (const quality of ['medium', 'fastest'] as const) {
      const y = (await resample(mono(48000, sine(48000, 24000, 1000, 0.5)), 44100, { quality })).channels[0];
      const edge = Math.round(EDGE_S * 44100);
      const fit = fitSine(y, 44100, 1000, edge, y.length - edge);
      assert.ok(Math.abs(db(fit.amp / 0.5)) < 0.1 && fit.residualDb < -80 && Math.abs(fit.phase) < 1e-3, `${quality}: ${fit.residualDb.toFixed(1)} dB`);
      const alias = (await resample(mono(48000, sine(48000, 24000, 23000, 0.5)), 44100, { quality })).channels[0];
      assert.ok(db(rms(alias, edge, alias.length - edge) / (0.5 / Math.SQRT2)) < -80, quality);
    }
    await assert.rejects(resample(mono(48000, new Float32Array(4)), 44100, { quality: 'ultra' as 'best' }), InvalidArgumentError);
  });

  it('same rate returns a copy', async () => {
    const input = mono(44100, sine(44100, 100, 440, 0.5));
    const out = await resample(input, 44100);
    assert.deepEqual(out, input);
    assert.notEqual(out.channels[0], input.channels[0]);
    out.channels[0][0] = 1;
    assert.notEqual(input.channels[0][0], 1);
  });

  it('rejects impossible rates and malformed audio with InvalidArgumentError', async () => {
    const x = mono(44100, new Float32Array(10));
    for (const rate of [0, -8000, 1.5, NaN, 200000]) {
      await assert.rejects(resample(x, rate), (e: unknown) => e instanceof InvalidArgumentError && e.code === 'BAD_SAMPLE_RATE', String(rate));
    }
    await assert.rejects(resample({ sampleRate: 44100, channels: [new Float32Array(3), new Float32Array(4)] }, 48000), InvalidArgumentError);
    await assert.rejects(resample({ sampleRate: 0, channels: [new Float32Array(3)] }, 48000), InvalidArgumentError);
    await assert.rejects(resample({ sampleRate: 48000, channels: [] }, 44100), InvalidArgumentError);
    await assert.rejects(resample({ sampleRate: 48000, channels: [Float32Array.of(0, NaN)] }, 44100), (e: unknown) => e instanceof InvalidArgumentError && e.code === 'NON_FINITE');
  });
});
