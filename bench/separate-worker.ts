/**
 * One separation in a fresh process, so its peak RSS is its own: `node separate-worker.js <backend> <seconds> [threads]`.
 * The input is a real MIR-1K clip (0 dB mix), looped to the length asked for, stereo, 44.1 kHz;
 * the model is the full Jansson U-Net (random weights: the compute is the same as a trained one).
 * Prints one JSON line.
 */
import * as path from 'node:path';
import { decodeAudioFile } from '../lib/audio/decode';
import { resample } from '../lib/audio/resample';
import { createBackend, type BackendName } from '../lib/model/backends';
import { JANSSON_CONFIG } from '../lib/model/config';
import { randomWeights } from '../lib/model/weights-io';
import { separate } from '../lib/separate/separator';
import { peakRssMB } from './peak-rss';

const MIR1K_CLIP = path.resolve(__dirname, '..', '..', 'test', 'fixtures', 'mir1k-sample', 'Wavfile', 'Kenshin_2_10.wav');

async function main(): Promise<void> {
  const backendName = process.argv[2] as BackendName;
  const seconds = Number(process.argv[3]);
  const threads = process.argv[4] ? Number(process.argv[4]) : undefined;
  const clip = await resample(await decodeAudioFile(MIR1K_CLIP), 44100);
  const length = Math.round(seconds * 44100);
  // Left = accompaniment + voice, right = accompaniment − voice: a stereo song from a real clip.
  const left = new Float32Array(length);
  const right = new Float32Array(length);
  const [acc, voice] = clip.channels;
  for (let i = 0; i < length; i++) {
    const j = i % acc.length;
    left[i] = 0.5 * (acc[j] + voice[j]);
    right[i] = 0.5 * (acc[j] - voice[j]);
  }
  const backend = await createBackend(randomWeights(JANSSON_CONFIG, 1), { backend: backendName, threads });
  const rssBefore = process.memoryUsage().rss;
  // Event-loop responsiveness while separating: the longest gap between timer ticks.
  let maxLag = 0;
  let last = performance.now();
  const ticker = setInterval(() => {
    const now = performance.now();
    maxLag = Math.max(maxLag, now - last - 10);
    last = now;
  }, 10);
  const started = performance.now();
  await separate({ sampleRate: 44100, channels: [left, right] }, backend);
  const ms = performance.now() - started;
  clearInterval(ticker);
  await backend.dispose();
  console.log(JSON.stringify({
    backend: backend.description, seconds, ms: Math.round(ms), realTime: seconds / (ms / 1000),
    peakRssMB: peakRssMB(), rssBeforeMB: Math.round(rssBefore / 2 ** 20),
    maxEventLoopLagMs: Math.round(maxLag),
  }));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
