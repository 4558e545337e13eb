/**
 * A 60-minute stereo 44.1 kHz 16-bit WAV (635 MB) separated by the CLI's path for such files
 * (lib/separate/separate-wav-file: from the file to the two stem files in bounded memory) with the
 * default model on onnx. Prints the time and this process's peak RSS (goal ≤ 1.5 GB). The song is
 * written to a temporary folder first, a block at a time, and removed afterwards.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { wavHeader, wavSamples } from '../lib/audio/encode';
import { resample } from '../lib/audio/resample';
import { listClips, loadClip } from '../lib/eval/mir1k';
import { createBackend } from '../lib/model/backends';
import { resolveModelDir } from '../lib/model/locate';
import { separateWavFile } from '../lib/separate/separate-wav-file';
import { MIR1K_SAMPLE } from '../test/support/paths';
import { peakRssMB } from './peak-rss';

export const title = 'A 60-minute stereo WAV (44.1 kHz, 16-bit) through `vocal-split separate`';

const MINUTES = Number(process.env.LONG_MINUTES ?? 60);

export async function run(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vocal-split-long-'));
  try {
    const clips = await Promise.all(listClips(MIR1K_SAMPLE).map((r) => loadClip(r)));
    const mono = Float32Array.from(clips.flatMap((c) => Array.from(c.mixture)));
    const loop = await resample({ sampleRate: 16000, channels: [mono.map((x) => 0.22 * x), mono.map((x) => 0.18 * x)] }, 44100);
    const frames = MINUTES * 60 * 44100;
    const input = path.join(dir, 'hour.wav');
    const fd = fs.openSync(input, 'w');
    fs.writeSync(fd, wavHeader(44100, 2, frames, { bitDepth: 16 }));
    const block = 44100 * 10;
    for (let at = 0; at < frames; at += block) {
      const n = Math.min(block, frames - at);
      const chunk = loop.channels.map((ch) => Float32Array.from({ length: n }, (_, i) => ch[(at + i) % ch.length]));
      fs.writeSync(fd, wavSamples(chunk, 0, n, { bitDepth: 16 }));
    }
    fs.closeSync(fd);
    const rssBefore = peakRssMB();
    const backend = await createBackend(resolveModelDir('default'), { backend: 'onnx' });
    try {
      const t0 = performance.now();
      const seconds = await separateWavFile(input, { vocals: path.join(dir, 'v.wav'), accompaniment: path.join(dir, 'a.wav') }, backend);
      const wall = (performance.now() - t0) / 1000;
      const size = (f: string): string => (fs.statSync(path.join(dir, f)).size / 2 ** 20).toFixed(0);
      console.log(`${MINUTES} min (${size('hour.wav')} MB in; ${size('v.wav')} + ${size('a.wav')} MB out) in ${wall.toFixed(1)} s = ${(Number(seconds) / wall).toFixed(1)}× real time with ${backend.description}`);
      console.log(`peak RSS ${peakRssMB()} MB (goal ≤ 1536 MB; ${rssBefore} MB before the model loaded and the separation started)`);
    } finally {
      await backend.dispose();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
