/**
 * `npm run bench cuda` (scripts/gpu-check.sh runs it on the GPU machine): the cuda backend with the
 * shipped default model against onnxruntime on the CPU.
 *  - parity: masks of real song patches, cuda vs cpu, max |difference| (goal ≤ 1e-3; exit code 1 if over);
 *  - patches per second at several batch sizes;
 *  - a 3-minute stereo 44.1 kHz song end to end (goal ≤ 1 s), beside the same run with an instant
 *    mask: the CPU side alone (STFT, patch normalisation, cross-fade, iSTFT), which bounds the total;
 *  - simultaneous live streams (44.1 kHz stereo, 100 ms chunks) that keep up in real time (goal ≥ 100).
 * Without a working cuda backend it prints what is missing and exits with code 3.
 * CUDA_BENCH_DRY_RUN=1 runs every step on the onnx backend with small sizes: a check of this script
 * on a machine without a GPU (its figures mean nothing).
 */
import { probeCuda } from '../lib/model/backends/cuda-probe';
import { createBackend, type BackendHandle } from '../lib/model/backends';
import { resolveModelDir } from '../lib/model/locate';
import { separate } from '../lib/separate/separator';
import { MaskBatcher } from '../lib/stream/mask-batcher';
import { peakRssMB } from './peak-rss';
import { sampleSong44, streamThroughput } from './stream_bench';
import type { AudioData } from '../lib/audio/types';

export const title = 'cuda backend (default model): parity with the CPU, patches/s, a 3-minute song, live streams';

const PARITY_GOAL = 1e-3;

/** A handle that records every input it is given (the patches exactly as the separator makes them). */
function recording(backend: BackendHandle, into: Float32Array[]): BackendHandle {
  return { ...backend, name: backend.name, description: backend.description, config: backend.config, batchSize: backend.batchSize,
    predictMask: (input, batch) => { into.push(input.slice()); return backend.predictMask(input, batch); },
    dispose: () => backend.dispose() };
}

/** A handle that answers at once with an all-ones mask: what separate() costs without inference. */
function instant(backend: BackendHandle): BackendHandle {
  return { ...backend, predictMask: async (input) => new Float32Array(input.length).fill(1), dispose: async () => {} };
}

/** `seconds` of the sample song, looped, 44.1 kHz stereo. */
function loop(song: AudioData, seconds: number): AudioData {
  const n = Math.round(seconds * 44100);
  return { sampleRate: 44100, channels: song.channels.map((c) => Float32Array.from({ length: n }, (_, i) => c[i % c.length])) };
}

async function median(runs: number, fn: () => Promise<unknown>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  return times.sort((a, b) => a - b)[Math.floor(runs / 2)];
}

export async function run(): Promise<void> {
  const dry = process.env.CUDA_BENCH_DRY_RUN === '1';
  const probe = probeCuda();
  if (!probe.available && !dry) {
    console.log('the cuda backend cannot run here:');
    for (const m of probe.missing) console.log(`  - ${m.message}`);
    process.exitCode = 3;
    return;
  }
  const model = resolveModelDir('default');
  const cpu = await createBackend(model, { backend: 'onnx' });
  const t0 = performance.now();
  const gpu = await createBackend(model, { backend: dry ? 'onnx' : 'cuda' });
  if (dry) console.log('DRY RUN on onnx (CUDA_BENCH_DRY_RUN=1): checks this script, the figures mean nothing');
  console.log(`cuda: ${gpu.description} (start-up ${(performance.now() - t0).toFixed(0)} ms)\ncpu:  ${cpu.description}`);
  try {
    const { song44 } = await sampleSong44();
    const per = gpu.config.bins * gpu.config.frames * gpu.config.channelsIn;

    // Parity on the patches of 30 s of real music.
    const inputs: Float32Array[] = [];
    await separate(loop(song44, dry ? 5 : 30), recording(cpu, inputs));
    let worst = 0;
    let patches = 0;
    for (const input of inputs) {
      const batch = input.length / per;
      const [a, b] = await Promise.all([cpu.predictMask(input, batch), gpu.predictMask(input, batch)]);
      for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
      patches += batch;
    }
    const ok = worst <= PARITY_GOAL;
    console.log(`\nparity: max |cuda − cpu| = ${worst.toExponential(2)} over ${patches} patches of a real song (goal ≤ ${PARITY_GOAL}): ${ok ? 'PASS' : 'FAIL'}`);
    if (!ok) process.exitCode = 1;

    console.log('\npatches per second (median of 5 after 2 warm-ups; one patch = 512 bins × 128 frames):');
    const sample = Float32Array.from({ length: 256 * per }, (_, i) => inputs[0][i % inputs[0].length]);
    for (const batch of dry ? [1, 4] : [1, 16, 64, 128, 256]) {
      const x = sample.subarray(0, batch * per);
      await median(2, () => gpu.predictMask(x, batch));
      const ms = await median(5, () => gpu.predictMask(x, batch));
      console.log(`  batch ${String(batch).padStart(3)}: ${ms.toFixed(1).padStart(7)} ms → ${(batch / (ms / 1000)).toFixed(0).padStart(6)} patches/s`);
    }

    const songSeconds = dry ? 10 : 180;
    const song = loop(song44, songSeconds);
    await separate(loop(song44, 10), gpu); // warm-up
    const wall = await median(dry ? 1 : 3, () => separate(song, gpu));
    const cpuSide = await median(dry ? 1 : 3, () => separate(song, instant(gpu)));
    console.log(`\n${songSeconds} s stereo 44.1 kHz song, end to end (median of 3): ${(wall / 1000).toFixed(2)} s = ${(songSeconds / (wall / 1000)).toFixed(0)}× real time (goal for 180 s: ≤ 1 s)`);
    console.log(`  the CPU side alone (STFT, patches, cross-fade, iSTFT, one thread; instant mask): ${(cpuSide / 1000).toFixed(2)} s`);

    console.log('\nlive streams at once (44.1 kHz stereo, 100 ms chunks; real-time factor per stream):');
    const batcher = new MaskBatcher(gpu);
    let keepUp = 0;
    for (const streams of dry ? [1, 2] : [16, 32, 64, 128, 256]) {
      const seconds = dry ? 2 : 10;
      const rtf = seconds / (await streamThroughput(batcher, song44, streams, seconds));
      console.log(`  ${String(streams).padStart(3)} streams: ${rtf.toFixed(2)}× real time per stream`);
      if (rtf < 1) break;
      keepUp = streams;
    }
    console.log(`  → ${keepUp} simultaneous live streams keep up in real time (goal ≥ 100); peak RSS ${peakRssMB()} MB`);
  } finally {
    await gpu.dispose();
    await cpu.dispose();
  }
}
