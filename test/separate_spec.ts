import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { decodeAudioFile } from '../lib/audio/decode';
import type { AudioData } from '../lib/audio/types';
import { createBackend } from '../lib/model/backends';
import type { UNetConfig } from '../lib/model/config';
import { createRandomModel } from '../lib/model/weights-io';
import { frameCount } from '../lib/dsp/stft-plan';
import { stftFrames } from '../lib/dsp/frame-range';
import { InvalidArgumentError } from '../lib/errors';
import { resample } from '../lib/audio/resample';
import { DEFAULT_FRAMING, MODEL_RESAMPLING } from '../lib/model/signal-framing';
import { runMaskEngine, type FrameSource } from '../lib/separate/mask-engine';
import { separate, SeparationAbortedError } from '../lib/separate/separator';
import { planPatches } from '../lib/separate/patches';
import { MIR1K_SAMPLE } from './support/paths';
import { fixedMaskBackend } from './support/test-backends';

const SMALL: UNetConfig = { bins: 64, frames: 64, baseFilters: 4, depth: 3, channelsIn: 1 };
const RATE = 44100;

function sine(hz: number, seconds: number, amplitude = 0.5, rate = RATE): Float32Array {
  const x = new Float32Array(Math.round(seconds * rate));
  for (let i = 0; i < x.length; i++) x[i] = amplitude * Math.sin((2 * Math.PI * hz * i) / rate);
  return x;
}

function maxAbsDiff(a: Float32Array, b: Float32Array, from = 0, to = a.length): number {
  let m = 0;
  for (let i = from; i < to; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** Sample indices where one patch hands over to the next (frame t is centred on sample t·hop). */
function patchBorders(length: number, frames: number, overlap: number): number[] {
  const plan = planPatches(Math.ceil((length + 2048) / 1024), frames, overlap);
  return plan.starts.slice(1).map((s) => s * 1024);
}

describe('separator (lib/separate)', function () {
  it('plans patches that cover every frame with the given overlap', function () {
    assert.deepEqual(planPatches(10, 64, 16).starts, [0]);
    assert.deepEqual(planPatches(64, 64, 16).starts, [0]);
    assert.deepEqual(planPatches(65, 64, 16).starts, [0, 48]);
    const plan = planPatches(1000, 64, 16);
    const last = plan.starts[plan.starts.length - 1];
    assert.ok(last + 64 >= 1000 && last + 16 < 1000);
    assert.throws(() => planPatches(100, 64, 40), /overlap/);
  });

  it('hands out samples as they become final: every range said final is already what separate() returns', async function () {
    const left = sine(440, 6);
    const right = sine(3000, 6, 0.3);
    const backend = fixedMaskBackend(SMALL, (bin) => (bin % 3) / 2);
    const seen: Array<{ upTo: number; vocals: Float32Array[]; accompaniment: Float32Array[] }> = [];
    const stems = await separate({ sampleRate: RATE, channels: [left, right] }, backend, {
      onFinalSamples: (now, upTo) => seen.push({ upTo, vocals: now.vocals.channels.map((c) => c.slice(0, upTo)), accompaniment: now.accompaniment.channels.map((c) => c.slice(0, upTo)) }),
    });
    assert.ok(seen.length >= 4, `${seen.length} calls for a 6 s song`);
    assert.deepEqual(seen.map((s) => s.upTo), [...seen.map((s) => s.upTo)].sort((a, b) => a - b), 'ascending');
    assert.equal(seen.at(-1)?.upTo, left.length);
    for (const s of seen) {
      for (let c = 0; c < 2; c++) {
        assert.equal(maxAbsDiff(s.vocals[c], stems.vocals.channels[c]), 0, `vocals below ${s.upTo} changed after being said final`);
        assert.equal(maxAbsDiff(s.accompaniment[c], stems.accompaniment.channels[c]), 0, `accompaniment below ${s.upTo} changed`);
      }
    }
    // With resampling (48 kHz in, the model at 44.1 kHz) the stems are only final at the end: one call.
    const calls: number[] = [];
    await separate({ sampleRate: 48000, channels: [sine(440, 2, 0.5, 48000)] }, backend, { onFinalSamples: (_, upTo) => calls.push(upTo) });
    assert.deepEqual(calls, [96000]);
  });

  it('an identity mask gives the input back, unchanged across patch borders (no seams)', async function () {
    const x = sine(440, 6);
    const stems = await separate({ sampleRate: RATE, channels: [x] }, fixedMaskBackend(SMALL, () => 1));
    const borders = patchBorders(x.length, SMALL.frames, SMALL.frames / 4);
    assert.ok(borders.length >= 3, `a 6 s signal spans ${borders.length + 1} patches`);
    assert.ok(maxAbsDiff(stems.vocals.channels[0], x) < 1e-5, 'vocals = input');
    assert.ok(maxAbsDiff(stems.accompaniment.channels[0], new Float32Array(x.length)) < 1e-5, 'accompaniment = 0');
  });

  it('a frequency-dependent mask keeps a low sine and removes a high one, full band, with no seams at patch borders', async function () {
    // 64 model bins cover 0–689 Hz at 4096/44.1 kHz; the mask passes bins < 20 (< 215 Hz). A 3 kHz sine
    // lies above the model's bins, so only the mask extension (mean of the top quarter: 0) removes it.
    const low = sine(100, 6, 0.4);
    const high = sine(3000, 6, 0.4);
    const mix = low.map((v, i) => v + high[i]);
    const stems = await separate({ sampleRate: RATE, channels: [mix] }, fixedMaskBackend(SMALL, (f) => (f < 20 ? 1 : 0)));
    const vocals = stems.vocals.channels[0];
    // Away from the signal's start and end (where the sines switch on and off) the result is the low sine.
    const edge = 4096;
    const err = maxAbsDiff(vocals, low, edge, mix.length - edge);
    assert.ok(err < 2e-3, `max error ${err}`);
    for (const border of patchBorders(mix.length, SMALL.frames, SMALL.frames / 4)) {
      if (border < edge || border > mix.length - edge) continue;
      const local = maxAbsDiff(vocals, low, border - 2048, border + 2048);
      assert.ok(local <= err + 1e-7, `no extra error at the patch border ${border}`);
    }
    assert.ok(maxAbsDiff(stems.accompaniment.channels[0], high, edge, mix.length - edge) < 2e-3);
  });

  it('keeps the sample rate, length and channel count at 16, 48 and 22.05 kHz, mono to 3 channels, each channel separated on its own', async function () {
    const backend = fixedMaskBackend(SMALL, (f) => 0.5 + 0.4 * Math.sin(f));
    for (const [rate, channels] of [[16000, 1], [48000, 2], [22050, 3]] as const) {
      const audio: AudioData = { sampleRate: rate, channels: Array.from({ length: channels }, (_, c) => sine(220 * (c + 1), 2.3, 0.3, rate)) };
      const stems = await separate(audio, backend);
      for (const stem of [stems.vocals, stems.accompaniment]) {
        assert.equal(stem.sampleRate, rate);
        assert.equal(stem.channels.length, channels);
        for (const ch of stem.channels) assert.equal(ch.length, audio.channels[0].length);
      }
      // Channels are separated independently: each equals its own mono separation.
      for (let c = 0; c < channels; c++) {
        const alone = await separate({ sampleRate: rate, channels: [audio.channels[c]] }, backend);
        assert.ok(maxAbsDiff(stems.vocals.channels[c], alone.vocals.channels[0]) < 1e-6, `${rate} Hz channel ${c} = its mono separation`);
      }
    }
  });

  it('gives back the input\'s length when the round trip through the model\'s rate would come back a sample long or short', async function () {
    // 48006 samples at 48 kHz are 44106 at 44.1 kHz, which resample back to 48007; 48031 → 44128 → 48030.
    const backend = fixedMaskBackend(SMALL, () => 1);
    for (const n of [48006, 48031]) {
      const x = sine(440, n / 48000, 0.5, 48000);
      assert.equal(x.length, n);
      const stems = await separate({ sampleRate: 48000, channels: [x] }, backend);
      assert.equal(stems.vocals.channels[0].length, n);
      // With a mask of one the vocals are the input's round trip through 44.1 kHz, resampled back to n
      // samples: the filter's own output to the last sample, not a zero pad or a cut.
      const at44 = await resample({ sampleRate: 48000, channels: [x] }, 44100, MODEL_RESAMPLING);
      const back = (await resample(at44, 48000, { ...MODEL_RESAMPLING, length: n })).channels[0];
      assert.ok(Math.abs(back[n - 1]) > 0.05, 'the round trip\'s last sample is not silence');
      const err = maxAbsDiff(stems.vocals.channels[0], back);
      assert.ok(err < 1e-5, `${n}: the vocals differ from the round trip by ${err}`);
    }
  });

  it('batches patches and reports progress up to 1', async function () {
    const backend = fixedMaskBackend(SMALL, () => 1);
    const progress: number[] = [];
    await separate({ sampleRate: RATE, channels: [sine(440, 5), sine(660, 5)] }, backend, { batchSize: 3, onProgress: (f) => progress.push(f) });
    assert.ok(backend.calls.every((b) => b <= 3) && backend.calls.some((b) => b === 3));
    assert.equal(progress[progress.length - 1], 1);
    assert.ok(progress.every((p, i) => i === 0 || p >= progress[i - 1]));
  });

  it('stops between batches when aborted: no batch is queued after the abort', async function () {
    const x = sine(440, 10);
    const patches = patchBorders(x.length, SMALL.frames, SMALL.frames / 4).length + 1;
    const whole = fixedMaskBackend(SMALL, () => 1);
    await separate({ sampleRate: RATE, channels: [x] }, whole, { batchSize: 1 });
    assert.equal(whole.calls.length, patches, `a run without abort asks for all ${patches} patches`);
    const controller = new AbortController();
    const backend = fixedMaskBackend(SMALL, () => 1);
    const progress: number[] = [];
    const run = separate({ sampleRate: RATE, channels: [x] }, backend, {
      batchSize: 1,
      onProgress: (f) => {
        progress.push(f);
        if (progress.length === 2) controller.abort();
      },
      signal: controller.signal,
    });
    await assert.rejects(run, SeparationAbortedError);
    // Two batches done, the third already in flight when the abort came (the separator keeps one
    // batch queued ahead); nothing after it.
    assert.equal(backend.calls.length, 3);
    assert.deepEqual(progress, [1 / patches, 2 / patches]);
  });

  it('a throwing onFinal rejects the run, and the batch already in flight never ends as an unhandled rejection', async function () {
    const seen: unknown[] = [];
    const onUnhandled = (reason: unknown): void => { seen.push(reason); };
    process.on('unhandledRejection', onUnhandled);
    let inFlightSettled!: () => void;
    const settled = new Promise<void>((resolve) => { inFlightSettled = resolve; });
    const backend = fixedMaskBackend(SMALL, () => 1);
    const failing = {
      ...backend,
      predictMask(input: Float32Array, batch: number): Promise<Float32Array> {
        if (backend.calls.length === 0) return backend.predictMask(input, batch);
        backend.calls.push(batch);
        // The second batch, queued while the first is finished, fails a turn later.
        return new Promise((_, reject) => setImmediate(() => {
          reject(new Error('second batch failed'));
          setImmediate(inFlightSettled);
        }));
      },
    };
    const x = sine(440, 5);
    const source: FrameSource = {
      channels: 1, frames: frameCount(x.length, DEFAULT_FRAMING), bins: 2049,
      read: (_c, first, count, re, im) => stftFrames(x, DEFAULT_FRAMING, first, count, re, im),
    };
    try {
      await assert.rejects(runMaskEngine(source, failing, () => { throw new Error('onFinal failed'); }, { batchSize: 1 }), /onFinal failed/);
      await settled;
      await new Promise((r) => setImmediate(r));
    } finally {
      process.removeListener('unhandledRejection', onUnhandled);
    }
    assert.equal(backend.calls.length, 2, 'the second batch was in flight');
    assert.deepEqual(seen.map(String), []);
  });

  it('rejects audio it cannot separate with a clear error', async function () {
    const backend = fixedMaskBackend(SMALL, () => 1);
    await assert.rejects(separate({ sampleRate: RATE, channels: [] }, backend), /audio has no channels/);
    await assert.rejects(separate({ sampleRate: 0, channels: [new Float32Array(10)] }, backend), /sample rate 0 is not an integer/);
    await assert.rejects(separate({ sampleRate: RATE, channels: [new Float32Array(10), new Float32Array(11)] }, backend), /channel 1 has 11 samples, channel 0 has 10/);
    const nan = sine(440, 1);
    nan[777] = NaN;
    await assert.rejects(separate({ sampleRate: RATE, channels: [nan] }, backend), (err: Error) => err instanceof InvalidArgumentError && /channel 0 sample 777 is NaN/.test(err.message));
    assert.equal(backend.calls.length, 0, 'nothing reaches the model');
  });

  describe('with a real (small, random) U-Net on a MIR-1K clip', function () {
    let dir: string;
    before(async function () {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vocal-split-sep-'));
      await createRandomModel(dir, SMALL, { seed: 7 });
    });
    after(function () {
      fs.rmSync(dir, { recursive: true, force: true });
    });

    it('separates a 16 kHz stereo clip on onnx and wasm with matching stems; vocals + accompaniment = mixture to float rounding', async function () {
      const audio = await decodeAudioFile(path.join(MIR1K_SAMPLE, 'Kenshin_2_10.wav'));
      const results = [];
      for (const name of ['onnx', 'wasm'] as const) {
        const backend = await createBackend(dir, { backend: name });
        try {
          results.push(await separate(audio, backend));
        } finally {
          await backend.dispose();
        }
      }
      const [onnx, wasm] = results;
      for (let c = 0; c < 2; c++) {
        assert.equal(onnx.vocals.channels[c].length, audio.channels[c].length);
        const sum = onnx.vocals.channels[c].map((v, i) => v + onnx.accompaniment.channels[c][i]);
        assert.ok(maxAbsDiff(sum, audio.channels[c]) <= 6e-8, 'vocals + accompaniment = mixture to float rounding: the complement is taken at the input\'s rate');
        assert.ok(onnx.vocals.channels[c].every(Number.isFinite));
        assert.ok(maxAbsDiff(onnx.vocals.channels[c], wasm.vocals.channels[c]) < 1e-4, 'onnx and wasm agree');
        // A random net still masks: the vocals are neither silence nor the whole mixture.
        const energy = (x: Float32Array) => x.reduce((s, v) => s + v * v, 0);
        const ratio = energy(onnx.vocals.channels[c]) / energy(audio.channels[c]);
        assert.ok(ratio > 0.001 && ratio < 0.999, `vocal energy ratio ${ratio}`);
      }
    });
  });
});
