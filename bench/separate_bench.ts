/**
 * End-to-end separation of a 3-minute stereo 44.1 kHz song with the full Jansson U-Net, per backend:
 * time, real-time factor, peak RSS; and a 10-minute song's peak RSS beside it (memory must be bounded
 * by the patch size, not the song's length). Each run is its own process (bench/separate-worker.ts).
 * Goals on the 2-core reference machine: onnx ≥ 60× real time with peak RSS ≤ 600 MB; wasm ≥ 5×.
 */
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { probeBackends } from '../lib/model/backends';

export const title = 'Separation end to end (full Jansson U-Net, stereo 44.1 kHz)';

interface WorkerResult {
  backend: string;
  seconds: number;
  ms: number;
  realTime: number;
  peakRssMB: number;
  rssBeforeMB: number;
  maxEventLoopLagMs: number;
}

function runWorker(backend: string, seconds: number, threads?: number): WorkerResult {
  const args = [path.join(__dirname, 'separate-worker.js'), backend, String(seconds), ...(threads ? [String(threads)] : [])];
  const out = execFileSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 20 });
  return JSON.parse(out.trim().split('\n').pop() ?? '{}') as WorkerResult;
}

export async function run(): Promise<void> {
  const available = (await probeBackends()).filter((b) => b.available && b.name !== 'cpu').map((b) => b.name);
  const rows: Array<[string, WorkerResult]> = [];
  for (const name of available) {
    const runs: Array<[string, number, number | undefined]> = name === 'onnx'
      ? [['onnx (1 thread)', 180, 1], ['onnx (2 threads)', 180, 2], ['onnx (1 thread)', 600, 1]]
      : [[name, 180, undefined], [name, 600, undefined]];
    for (const [label, seconds, threads] of runs) {
      const result = runWorker(name, seconds, threads);
      rows.push([label, result]);
      console.log(`${label.padEnd(18)} ${String(seconds / 60).padStart(2)} min: ${String(result.ms).padStart(6)} ms  ` +
        `${result.realTime.toFixed(1).padStart(6)}× real time  peak RSS ${result.peakRssMB} MB  ` +
        `max event-loop lag ${result.maxEventLoopLagMs} ms  (${result.backend})`);
    }
  }
}
