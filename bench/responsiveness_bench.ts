/**
 * Responsiveness of `npm start` (the demo: real Node-RED, the example flows, the shipped default
 * model) while it splits songs, as a user of the home's other flows feels it:
 *  1. a 3-minute MP3, then a 3-minute WAV POSTed to /karaoke: the Node-RED process's longest
 *     event-loop delay (measured inside it by loop-probe.ts; goal ≤ 50 ms), the editor's worst answer
 *     (GET / every 20 ms; goal ≤ 100 ms), and each song's end-to-end speed (goals: WAV ≥ 50×, MP3 ≥ 40×
 *     real time on 2 cores);
 *  2. 10 concurrent 30-second uploads: the editor's worst answer (goal ≤ 200 ms);
 *  3. 2 live streams (MQTT, 100 ms chunks of 44.1 kHz stereo PCM, sent in real time to the live
 *     jukebox flow) while a 10-minute song is split: each stream's worst latency, from a sample's
 *     chunk being published to its karaoke sample arriving back (goal ≤ 1.5 s).
 * Songs are the MIR-1K sample clips looped (the MP3 is encoded by ffmpeg, which must be installed).
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import mqtt from 'mqtt';
import { encodeWav } from '../lib/audio/encode';
import { resample } from '../lib/audio/resample';
import type { AudioData } from '../lib/audio/types';
import { listClips, loadClip } from '../lib/eval/mir1k';
import { encodePcm } from '../lib/stream/pcm';
import { postOnFreshConnection, startDemo, type Demo } from '../test/support/demo';
import { MIR1K_SAMPLE } from '../test/support/paths';

export const title = 'Responsiveness: the demo (npm start) while it splits songs';

let mixture: Float32Array | undefined;

/** `seconds` of 44.1 kHz stereo from the sample clips, looped, starting at clip `offset`. */
async function song(seconds: number, offset = 0): Promise<AudioData> {
  if (!mixture) {
    const clips = await Promise.all(listClips(MIR1K_SAMPLE).map((r) => loadClip(r)));
    const mono16 = Float32Array.from(clips.flatMap((c) => Array.from(c.mixture)));
    mixture = (await resample({ sampleRate: 16000, channels: [mono16] }, 44100)).channels[0];
  }
  const src = mixture;
  const n = Math.round(seconds * 44100);
  const start = Math.round(offset * 7.3 * 44100);
  const left = new Float32Array(n);
  const right = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const x = src[(start + i) % src.length];
    left[i] = 0.24 * x;
    right[i] = 0.2 * x;
  }
  return { sampleRate: 44100, channels: [left, right] };
}

function toMp3(wav: Buffer): Buffer | undefined {
  const r = spawnSync('ffmpeg', ['-v', 'error', '-f', 'wav', '-i', 'pipe:0', '-b:a', '192k', '-f', 'mp3', 'pipe:1'], { input: wav, maxBuffer: 1 << 30 });
  return r.status === 0 ? r.stdout : undefined;
}

/** Polls the editor (GET /) every `everyMs` until stopped; resolves with the answer times. */
function pollEditor(base: string, everyMs: number): { stop(): Promise<number[]> } {
  const times: number[] = [];
  let on = true;
  const loop = (async () => {
    while (on) {
      const t = performance.now();
      await fetch(`${base}/`).then((r) => r.arrayBuffer());
      times.push(performance.now() - t);
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return { stop: async () => { on = false; await loop; return times; } };
}

/** The demo's event-loop figures since the last call (loop-probe.ts, on SIGUSR2). */
async function loopDelay(demo: Demo): Promise<{ maxMs: number; p99Ms: number }> {
  const seen = demo.output().split('loop-probe ').length;
  process.kill(demo.pid, 'SIGUSR2');
  for (;;) {
    const parts = demo.output().split('loop-probe ');
    if (parts.length > seen) return JSON.parse(parts[parts.length - 1].split('\n')[0]) as { maxMs: number; p99Ms: number };
    await new Promise((r) => setTimeout(r, 20));
  }
}

function worst(times: number[]): string {
  const sorted = [...times].sort((a, b) => a - b);
  return `worst ${Math.round(sorted.at(-1) ?? 0)} ms, p99 ${Math.round(sorted[Math.floor(sorted.length * 0.99)] ?? 0)} ms, median ${Math.round(sorted[Math.floor(sorted.length / 2)] ?? 0)} ms (${sorted.length} requests)`;
}

async function karaoke(demo: Demo, body: Buffer, seconds: number, label: string): Promise<void> {
  await loopDelay(demo); // start a fresh window
  const editor = pollEditor(demo.base, 20);
  const t0 = performance.now();
  const answer = await postOnFreshConnection(`${demo.base}/karaoke`, body);
  const wall = (performance.now() - t0) / 1000;
  const times = await editor.stop();
  const loop = await loopDelay(demo);
  if (answer.status !== 200) throw new Error(`${label}: HTTP ${answer.status} ${answer.body.toString().slice(0, 200)}`);
  console.log(`${label}: ${wall.toFixed(1)} s end to end → ${(seconds / wall).toFixed(1)}× real time`);
  console.log(`  event loop: max delay ${loop.maxMs} ms (p99 ${loop.p99Ms} ms; goal ≤ 50 ms)`);
  console.log(`  editor: ${worst(times)} (goal ≤ 100 ms)`);
}

/** Streams `audio` to the live jukebox flow as `player`, in real time; resolves with the worst latency seen. */
async function liveStream(demo: Demo, player: string, audio: AudioData, until: () => boolean): Promise<{ worstS: number; chunks: number }> {
  const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${demo.mqttPort}`);
  const chunk = 4410;
  const sentAt: number[] = [];
  let received = 0;
  let worstS = 0;
  await client.subscribeAsync(`jukebox/live/${player}/karaoke`);
  client.on('message', (_topic, payload: Buffer) => {
    received += payload.length / 4; // s16le stereo frames
    if (received === 0) return;
    const k = Math.floor((received - 1) / chunk);
    const sent = sentAt[k];
    if (sent !== undefined) worstS = Math.max(worstS, (performance.now() - sent) / 1000);
  });
  const t0 = performance.now();
  let k = 0;
  for (; (k + 1) * chunk <= audio.channels[0].length && until(); k++) {
    const due = t0 + k * 100;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    sentAt[k] = performance.now();
    await client.publishAsync(`jukebox/live/${player}/in`, encodePcm(audio.channels.map((c) => c.subarray(k * chunk, (k + 1) * chunk)), 's16le'));
  }
  // Wait for what is still in flight (the stream's look-ahead), then end the stream.
  const deadline = performance.now() + 10_000;
  while (received < k * chunk - 3 * 44100 && performance.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  await client.publishAsync(`jukebox/live/${player}/in`, Buffer.alloc(0));
  await client.endAsync();
  return { worstS, chunks: k };
}

export async function run(): Promise<void> {
  const probe = path.join(__dirname, 'loop-probe.js');
  const previous = process.env.NODE_OPTIONS;
  process.env.NODE_OPTIONS = `${previous ?? ''} --require ${probe}`.trim();
  const demo = await startDemo(['is running', 'Started flows', 'Connected to broker'], 'vocal-split-responsive-');
  if (previous === undefined) delete process.env.NODE_OPTIONS;
  else process.env.NODE_OPTIONS = previous;
  try {
    console.log('(figures from a shared machine: compare them with the load average printed at the end)');
    const wav3 = encodeWav(await song(180), { bitDepth: 16 });
    const mp3 = toMp3(encodeWav(await song(180, 3), { bitDepth: 16 }));
    // Warm-up: the model loads on the first job.
    await postOnFreshConnection(`${demo.base}/karaoke`, encodeWav(await song(5), { bitDepth: 16 }));

    console.log('\n1. one song after the other (POST /karaoke):');
    if (mp3) await karaoke(demo, mp3, 180, `3-minute MP3 (${(mp3.length / 2 ** 20).toFixed(1)} MB)`);
    else console.log('3-minute MP3: skipped (ffmpeg is not installed)');
    await karaoke(demo, wav3, 180, `3-minute WAV (${(wav3.length / 2 ** 20).toFixed(1)} MB)`);

    console.log('\n2. 10 concurrent 30-second uploads:');
    const uploads = await Promise.all(Array.from({ length: 10 }, async (_, k) => encodeWav(await song(30, k), { bitDepth: 16 })));
    await loopDelay(demo);
    const editor = pollEditor(demo.base, 20);
    const t0 = performance.now();
    const answers = await Promise.all(uploads.map((u) => postOnFreshConnection(`${demo.base}/karaoke`, u)));
    const wall = (performance.now() - t0) / 1000;
    const times = await editor.stop();
    const loop = await loopDelay(demo);
    console.log(`  ${answers.filter((a) => a.status === 200).length}/10 answered 200 in ${wall.toFixed(1)} s (${(300 / wall).toFixed(1)}× real time in all)`);
    console.log(`  event loop: max delay ${loop.maxMs} ms (p99 ${loop.p99Ms} ms)`);
    console.log(`  editor: ${worst(times)} (goal ≤ 200 ms)`);

    console.log('\n3. 2 live streams (MQTT, 100 ms chunks in real time) while a 10-minute song is split:');
    const live = await song(600, 5);
    const alone = await Promise.all(['p1', 'p2'].map((p, i) => {
      const t = performance.now();
      return liveStream(demo, `${p}-alone-${i}`, live, () => performance.now() - t < 15_000);
    }));
    console.log(`  alone (15 s): worst latency ${alone.map((s) => `${s.worstS.toFixed(2)} s`).join(', ')}`);
    const ten = encodeWav(await song(600, 9), { bitDepth: 16 });
    let splitting = true;
    await loopDelay(demo);
    const t1 = performance.now();
    const split = postOnFreshConnection(`${demo.base}/karaoke`, ten).finally(() => { splitting = false; });
    const during = await Promise.all(['p1', 'p2'].map((p) => liveStream(demo, p, live, () => splitting)));
    const answer = await split;
    const splitWall = (performance.now() - t1) / 1000;
    const loop3 = await loopDelay(demo);
    console.log(`  10-minute WAV: HTTP ${answer.status} after ${splitWall.toFixed(1)} s (${(600 / splitWall).toFixed(1)}× real time)`);
    console.log(`  during the split: worst latency ${during.map((s) => `${s.worstS.toFixed(2)} s over ${(s.chunks / 10).toFixed(0)} s`).join(', ')} (goal ≤ 1.5 s)`);
    console.log(`  event loop: max delay ${loop3.maxMs} ms (p99 ${loop3.p99Ms} ms)`);
    console.log(`\nload average (1, 5, 15 min): ${(await import('node:os')).loadavg().map((l) => l.toFixed(1)).join(', ')} on ${(await import('node:os')).availableParallelism()} cores`);
  } finally {
    await demo.stop();
  }
}
