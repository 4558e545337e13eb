/**
 * Live streams (lib/stream) with the shipped default model on the onnx backend:
 *  - algorithmic latency of each setting: the longest a sample waits between going in and its
 *    stems coming out, measured with 10 ms chunks, beside the stated worst case (goal ≤ 1.5 s at
 *    the default, 'balanced');
 *  - throughput: N simultaneous 44.1 kHz stereo streams fed 100 ms chunks as fast as they are
 *    taken; real-time factor = seconds of audio per stream / wall seconds (≥ 1: N streams keep up
 *    in real time; goal N = 8), with peak RSS;
 *  - quality: vocal SDR (BSS Eval v3) of the stream (100 ms chunks) and of whole-file separation
 *    on the 17 MIR-1K sample clips (goal: within 1 dB).
 */
import { peakRssMB } from './peak-rss';
import { resample } from '../lib/audio/resample';
import type { AudioData } from '../lib/audio/types';
import { ClipScorer, listClips, loadClip, separateClip } from '../lib/eval/mir1k';
import { createBackend } from '../lib/model/backends';
import { resolveModelDir } from '../lib/model/locate';
import { DEFAULT_FRAMING } from '../lib/model/signal-framing';
import { LATENCY_PRESETS, latencySeconds, runsPerSecond, type StreamLatency } from '../lib/stream/latency';
import { MaskBatcher } from '../lib/stream/mask-batcher';
import { StreamSeparator } from '../lib/stream/stream-separator';
import { MIR1K_SAMPLE } from '../test/support/paths';

export const title = 'Live streams (default model, onnx backend)';

async function feed(sep: StreamSeparator, channels: Float32Array[], chunk: number): Promise<{ maxHeld: number; vocals: Float32Array[] }> {
  const n = channels[0].length;
  const vocals = channels.map(() => new Float32Array(n));
  let out = 0;
  let maxHeld = 0;
  for (let at = 0; at < n; at += chunk) {
    const o = await sep.push(channels.map((c) => c.subarray(at, at + chunk)));
    o.vocals.forEach((v, c) => vocals[c].set(v, o.first));
    out = o.first + o.vocals[0].length;
    maxHeld = Math.max(maxHeld, Math.min(n, at + chunk) - out);
  }
  const o = await sep.end();
  o.vocals.forEach((v, c) => vocals[c].set(v, o.first));
  return { maxHeld, vocals };
}

/** The 17 sample clips back to back at 44.1 kHz stereo (left and right mixed differently): a song-like signal. */
export async function sampleSong44(): Promise<{ clips: Awaited<ReturnType<typeof loadClip>>[]; song44: AudioData }> {
  const clips = await Promise.all(listClips(MIR1K_SAMPLE).map((r) => loadClip(r)));
  const mono = Float32Array.from(clips.flatMap((c) => Array.from(c.mixture)));
  const song44 = await resample({ sampleRate: 16000, channels: [mono.map((x) => x * 0.25), mono.map((x) => x * 0.2)] }, 44100);
  return { clips, song44 };
}

/**
 * `streams` live 44.1 kHz stereo streams at once, each fed `seconds` of `song` (from its own offset) in
 * 100 ms chunks as fast as they are taken; resolves to the wall seconds. seconds / wall ≥ 1: they keep up.
 */
export async function streamThroughput(batcher: MaskBatcher, song: AudioData, streams: number, seconds: number): Promise<number> {
  const seps = await Promise.all(Array.from({ length: streams }, () => StreamSeparator.create({ sampleRate: 44100, channels: 2 }, batcher)));
  const offset = (k: number): number => (k * 7919 * 441) % (song.channels[0].length - seconds * 44100);
  const chunk = 4410;
  const t0 = performance.now();
  try {
    for (let at = 0; at < seconds * 44100; at += chunk) {
      await Promise.all(seps.map((s, k) => s.push(song.channels.map((c) => c.subarray(offset(k) + at, offset(k) + Math.min(at + chunk, seconds * 44100))))));
    }
    await Promise.all(seps.map((s) => s.end()));
    return (performance.now() - t0) / 1000;
  } finally {
    seps.forEach((s) => s.dispose());
  }
}

export async function run(): Promise<void> {
  const backend = await createBackend(resolveModelDir('default'), { backend: 'onnx' });
  const batcher = new MaskBatcher(backend);
  console.log(`backend: ${backend.description}`);
  try {
    const { clips, song44 } = await sampleSong44();

    console.log('\nlatency (10 ms chunks; worst case measured vs stated; model runs per second per channel):');
    for (const [name, latency] of Object.entries(LATENCY_PRESETS) as Array<[string, StreamLatency]>) {
      const sep = await StreamSeparator.create({ sampleRate: 44100, channels: 2 }, batcher, latency);
      const part = song44.channels.map((c) => c.subarray(0, 20 * 44100));
      const { maxHeld } = await feed(sep, part, 441);
      sep.dispose();
      const stated = latencySeconds(latency, DEFAULT_FRAMING.fftSize, DEFAULT_FRAMING.hop, 44100);
      console.log(`  ${name.padEnd(9)} measured ${(maxHeld / 44100).toFixed(3)} s  stated ${stated.toFixed(3)} s  ${runsPerSecond(latency, DEFAULT_FRAMING.hop, 44100).toFixed(1)} runs/s/ch${name === 'balanced' ? '  (default; goal ≤ 1.5 s)' : ''}`);
    }

    const seconds = 30;
    console.log(`\nthroughput (${seconds} s of 44.1 kHz stereo per stream, 100 ms chunks, all streams at once):`);
    for (const streams of [4, 8, 12]) {
      const wall = await streamThroughput(batcher, song44, streams, seconds);
      console.log(`  ${String(streams).padStart(2)} streams: ${wall.toFixed(1)} s wall → ${(seconds / wall).toFixed(2)}× real time per stream${streams === 8 ? '  (goal ≥ 1×)' : ''}`);
    }
    console.log(`  peak RSS ${peakRssMB()} MB`);

    console.log('\nstream (100 ms chunks, balanced) vs whole-file separation, vocal SDR (BSS Eval v3) on the 17 sample clips:');
    let worst = 0;
    let sumOff = 0, sumStr = 0;
    for (const clip of clips) {
      const scorer = new ClipScorer(clip);
      const off = scorer.score(await separateClip(clip, backend)).vocals.sdr;
      const sep = await StreamSeparator.create({ sampleRate: clip.sampleRate, channels: 1 }, batcher);
      const { vocals } = await feed(sep, [Float32Array.from(clip.mixture)], clip.sampleRate / 10);
      sep.dispose();
      const mix = Float32Array.from(clip.mixture);
      const str = scorer.score({ vocals: vocals[0], accompaniment: mix.map((x, i) => x - vocals[0][i]) }).vocals.sdr;
      worst = Math.max(worst, Math.abs(off - str));
      sumOff += off; sumStr += str;
      console.log(`  ${clip.name.padEnd(18)} whole file ${off.toFixed(2)} dB  stream ${str.toFixed(2)} dB  Δ ${(str - off).toFixed(2)}`);
    }
    console.log(`  mean: whole file ${(sumOff / clips.length).toFixed(2)} dB, stream ${(sumStr / clips.length).toFixed(2)} dB; largest |Δ| ${worst.toFixed(2)} dB (goal ≤ 1 dB)`);
  } finally {
    await backend.dispose();
  }
}
