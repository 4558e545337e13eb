/**
 * Decode and resample speed on a 3-minute stereo 44.1 kHz song-like signal: WAV written by our
 * encoder, MP3 and FLAC written by ffmpeg (skipped with a note when ffmpeg is missing).
 * Real-time factor = audio duration / processing time (higher is faster).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { decodeAudio, encodeWav, resample, type AudioData } from '../lib/audio';

export const title = 'audio: decode (WAV, MP3, FLAC) and resample 44.1 → 48 kHz, 3 min stereo';

const RATE = 44100;
const SECONDS = 180;

/** A few detuned, slowly swelling partials per channel plus a little noise: dense, music-like, |x| < 0.9. */
function songLike(): AudioData {
  const n = RATE * SECONDS;
  let seed = 1;
  const noise = (): number => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32 - 0.5) * 0.04;
  const partials = [[110, 0.2], [220.5, 0.15], [329.6, 0.12], [440, 0.1], [659.3, 0.08], [1318.5, 0.05], [2637, 0.03]];
  const channels = [0, 1].map((c) => {
    const x = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const t = i / RATE;
      let v = noise();
      for (const [f, a] of partials) v += a * (0.6 + 0.4 * Math.sin(2 * Math.PI * 0.25 * t + f)) * Math.sin(2 * Math.PI * f * (1 + c * 0.001) * t);
      x[i] = v;
    }
    return x;
  });
  return { sampleRate: RATE, channels };
}

async function time<T>(fn: () => Promise<T> | T): Promise<{ ms: number; value: T }> {
  const t0 = performance.now();
  const value = await fn();
  return { ms: performance.now() - t0, value };
}

function report(label: string, ms: number, extra = ''): void {
  console.log(`${label.padEnd(34)} ${ms.toFixed(0).padStart(6)} ms   ${(SECONDS / (ms / 1000)).toFixed(1).padStart(6)}× real time${extra}`);
}

export async function run(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vocal-split-bench-'));
  try {
    const audio = songLike();
    const enc = await time(() => encodeWav(audio, { bitDepth: 16 }));
    report('encodeWav 16-bit', enc.ms, `   (${(enc.value.length / 2 ** 20).toFixed(1)} MiB)`);
    const wavFile = path.join(dir, 'song.wav');
    fs.writeFileSync(wavFile, enc.value);

    const files: Array<[string, string]> = [['WAV 16-bit (ours)', wavFile]];
    const ffmpeg = spawnSync('ffmpeg', ['-version'], { stdio: 'ignore' }).status === 0;
    if (ffmpeg) {
      for (const [label, name, args] of [
        ['MP3 192 kbit/s (ffmpeg)', 'song.mp3', ['-c:a', 'libmp3lame', '-b:a', '192k']],
        ['FLAC 16-bit (ffmpeg)', 'song.flac', ['-c:a', 'flac']],
      ] as const) {
        const out = path.join(dir, name);
        const r = spawnSync('ffmpeg', ['-v', 'error', '-y', '-i', wavFile, ...args, out]);
        if (r.status === 0) files.push([label, out]);
        else console.log(`${label}: ffmpeg failed, skipped (${r.stderr.toString().trim()})`);
      }
    } else {
      console.log('ffmpeg not found: MP3 and FLAC decoding skipped');
    }

    for (const [label, file] of files) {
      const bytes = fs.readFileSync(file);
      // First run includes loading the codec (wasm compile); the second is the steady state.
      const cold = await time(() => decodeAudio(bytes));
      const warm = await time(() => decodeAudio(bytes));
      report(`decode ${label}`, warm.ms, `   (first run ${cold.ms.toFixed(0)} ms, ${(bytes.length / 2 ** 20).toFixed(1)} MiB in)`);
    }

    for (const quality of ['best', 'medium'] as const) {
      const rs = await time(() => resample(audio, 48000, { quality }));
      report(`resample 44.1 → 48 kHz (${quality})`, rs.ms);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
