/**
 * Does moving a song's work into the worker pool keep its speed? A 3-minute 44.1 kHz stereo WAV and
 * MP3 (the MIR-1K sample clips looped; the MP3 by ffmpeg) are split by the shipped default model on
 * the onnx engine, bytes in and two WAVs out, twice each:
 *  - in the pool (lib/workers: decode, STFT, masks, iSTFT, complement, encode in a worker thread,
 *    the masks from the shared onnx worker);
 *  - on the main thread (decodeAudio, separate, encodeWav), as before the pool.
 * Prints real-time factors (goals in the pool: WAV ≥ 50×, MP3 ≥ 40× on 2 cores), the main thread's
 * longest event-loop delay during each run, and the pool run's CPU time (the speed the cores allow).
 * Last, why that CPU time is more than its parts: the song's audio work (everything but the U-Net, with
 * a stand-in mask) timed on one thread alone, then while an onnx session computes on the other core.
 */
import { spawnSync } from 'node:child_process';
import * as os from 'node:os';
import { decodeAudio } from '../lib/audio/decode';
import { encodeWav } from '../lib/audio/encode';
import type { AudioData } from '../lib/audio/types';
import { resample } from '../lib/audio/resample';
import { describeFftEngine, loadFastFft } from '../lib/dsp/fft-engine';
import { listClips, loadClip } from '../lib/eval/mir1k';
import { createBackend } from '../lib/model/backends';
import type { BackendHandle } from '../lib/model/backends/types';
import { resolveModelDir } from '../lib/model/locate';
import { separate } from '../lib/separate/separator';
import { AudioPool } from '../lib/workers/audio-pool';
import { MIR1K_SAMPLE } from '../test/support/paths';
import { watchEventLoopGap } from './event-loop-gap';
import { peakRssMB } from './peak-rss';

export const title = 'Worker pool vs main thread: 3-minute songs, bytes in, two WAVs out (default model, onnx)';

const SECONDS = 180;

/** Runs `work` while a 10 ms timer measures the longest gap; resolves with seconds, that gap and the process's CPU seconds (all threads). */
async function timed(work: () => Promise<unknown>): Promise<{ s: number; maxGapMs: number; cpuS: number }> {
  const gap = watchEventLoopGap();
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  await work();
  const s = (performance.now() - t0) / 1000;
  const used = process.cpuUsage(cpu);
  return { s, maxGapMs: Math.round(gap.stop()), cpuS: (used.user + used.system) / 1e6 };
}

/** One batch of made-up patches for `backend` (deterministic values in [0, 1)). */
function patchBatch(backend: BackendHandle): Float32Array {
  const { bins, frames, channelsIn } = backend.config;
  return new Float32Array(backend.batchSize * bins * frames * channelsIn).map((_, i) => ((i * 7919) % 1000) / 1000);
}

/** Wall time per patch of batches run one after the other (one session busy, the other idle): how fast this host computes right now. */
async function msPerPatch(backend: BackendHandle): Promise<number> {
  const batch = backend.batchSize;
  const input = patchBatch(backend);
  await backend.predictMask(input, batch);
  const runs = 8;
  const t0 = performance.now();
  for (let r = 0; r < runs; r++) await backend.predictMask(input, batch);
  return (performance.now() - t0) / (runs * batch);
}

/** A mask engine that computes nothing worth the name: separate()'s audio work alone, without the U-Net. */
function standInMasks(like: BackendHandle): BackendHandle {
  return {
    name: like.name, description: 'stand-in masks', config: like.config, batchSize: like.batchSize, parallelRuns: like.parallelRuns, framing: like.framing,
    predictMask: async (input) => input.map((v) => (v > 0.3 ? 0.9 : 0.1)),
    dispose: async () => undefined,
  };
}

/**
 * Seconds separate() takes on this thread with stand-in masks, alone and while `backend` computes
 * batches back to back (one onnx session busy on the other core), alternated over a few rounds.
 */
async function audioWorkBesideInference(audio: AudioData, backend: BackendHandle): Promise<{ alone: number[]; beside: number[] }> {
  const standIn = standInMasks(backend);
  const input = patchBatch(backend);
  const seconds = async (): Promise<number> => {
    const t0 = performance.now();
    await separate(audio, standIn);
    return (performance.now() - t0) / 1000;
  };
  const alone: number[] = [];
  const beside: number[] = [];
  await seconds(); // warm-up
  for (let round = 0; round < 3; round++) {
    alone.push(await seconds());
    let busy = true;
    const inference = (async () => { while (busy) await backend.predictMask(input, backend.batchSize); })();
    await backend.predictMask(input, backend.batchSize); // the session is computing before the clock starts
    beside.push(await seconds());
    busy = false;
    await inference;
  }
  return { alone, beside };
}

export async function run(): Promise<void> {
  const clips = await Promise.all(listClips(MIR1K_SAMPLE).map((r) => loadClip(r)));
  const mono = Float32Array.from(clips.flatMap((c) => Array.from(c.mixture)));
  const at44 = (await resample({ sampleRate: 16000, channels: [mono] }, 44100)).channels[0];
  const n = SECONDS * 44100;
  const left = new Float32Array(n).map((_, i) => 0.24 * at44[i % at44.length]);
  const right = new Float32Array(n).map((_, i) => 0.2 * at44[(i + 44100) % at44.length]);
  const wav = encodeWav({ sampleRate: 44100, channels: [left, right] }, { bitDepth: 16 });
  const ff = spawnSync('ffmpeg', ['-v', 'error', '-f', 'wav', '-i', 'pipe:0', '-b:a', '192k', '-f', 'mp3', 'pipe:1'], { input: wav, maxBuffer: 1 << 30 });
  const inputs: Array<[string, Buffer]> = [['WAV', wav]];
  if (ff.status === 0) inputs.push(['MP3', ff.stdout]);
  else console.log('MP3: skipped (ffmpeg is not installed)');

  const backend = await createBackend(resolveModelDir('default'), { backend: 'onnx' });
  const pool = new AudioPool();
  await loadFastFft(); // the same choice the pool's threads make (fft-engine.ts)
  console.log(`backend: ${backend.description}; pool: ${pool.fileWorkers} file worker(s) + 1 live worker; ${os.availableParallelism()} cores; FFT: ${describeFftEngine()}`);
  console.log(`this machine now: ${(await msPerPatch(backend)).toFixed(1)} ms per U-Net patch, one batch of ${backend.batchSize} at a time (the same work takes more or less time as the host is busy: compare runs by it)`);
  try {
    const warmUp = encodeWav({ sampleRate: 44100, channels: [left.subarray(0, 5 * 44100), right.subarray(0, 5 * 44100)] });
    await pool.separate(warmUp, backend, { output: { kind: 'wav', bitDepth: 16 } });
    for (const [label, bytes] of inputs) {
      const inPool = await timed(() => pool.separate(bytes, backend, { output: { kind: 'wav', bitDepth: 16 } }));
      const onMain = await timed(async () => {
        const stems = await separate(await decodeAudio(bytes), backend);
        encodeWav(stems.vocals);
        encodeWav(stems.accompaniment);
      });
      console.log(`${label}: pool ${(SECONDS / inPool.s).toFixed(1)}× real time (main thread's longest pause ${inPool.maxGapMs} ms)` +
        ` · main thread ${(SECONDS / onMain.s).toFixed(1)}× (longest pause ${onMain.maxGapMs} ms)`);
      // The bound the CPU sets: this much work on this many cores cannot go faster.
      const cores = os.availableParallelism();
      console.log(`  pool: ${inPool.cpuS.toFixed(1)} s of CPU (all threads) → at most ${(SECONDS * cores / inPool.cpuS).toFixed(1)}× on ${cores} cores; ` +
        `the cores were ${Math.round((100 * inPool.cpuS) / (cores * inPool.s))} % busy`);
    }
    const { alone, beside } = await audioWorkBesideInference({ sampleRate: 44100, channels: [left, right] }, backend);
    const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const span = (xs: number[]): string => `${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)}`;
    console.log(`audio work of the WAV on one thread, stand-in masks (no U-Net): alone ${median(alone).toFixed(2)} s (${span(alone)}), ` +
      `while one onnx session computes on the other core ${median(beside).toFixed(2)} s (${span(beside)}): ` +
      `+${Math.round(100 * (median(beside) / median(alone) - 1))} %`);
    console.log(`peak RSS ${peakRssMB()} MB; load average ${os.loadavg().map((l) => l.toFixed(1)).join(', ')} (busy machine: compare)`);
  } finally {
    await pool.close();
    await backend.dispose();
  }
}
