/**
 * `npm run bench pool`: the MQTT 5 worker pool on this machine. 30-second stereo 44.1 kHz songs
 * (16-bit WAV, 5.3 MB each) separated with the default model (onnx, 1 thread per process):
 *   local    — one after another in this process (lib/pool's job handler, no broker);
 *   1 worker — all sent at once through mosquitto to one `vocal-split worker`;
 *   2 workers — the same with two.
 * Prints jobs per minute, the speed-up of 2 workers over 1, and the broker's overhead per job
 * (1 worker's time per job minus the local time per job). Needs Debian's mosquitto.
 */
import { createBackend } from '../lib/model/backends';
import { resolveModelDir } from '../lib/model/locate';
import { PoolRequester, separateJobOn } from '../lib/pool';
import { startMosquitto } from '../test/support/mosquitto';
import { WorkerProcess } from '../test/support/mqtt-pool-workers';
import { sampleSongs } from './sample-songs';

export const title = 'Worker pool: jobs per minute on 30-second songs (mosquitto, onnx, 1 thread per worker)';

const JOBS = Number(process.env.POOL_BENCH_JOBS ?? 6);
const SECONDS = 30;

async function local(bytes: Buffer[]): Promise<number> {
  const backend = await createBackend(resolveModelDir(undefined), { backend: 'onnx', threads: 1 });
  const handler = separateJobOn(backend);
  const signal = new AbortController().signal;
  try {
    await handler(bytes[0].subarray(0, 44 + 4 * 44100), { stems: ['vocals', 'accompaniment'], format: 'wav16' }, { signal, onProgress() {} }).catch(() => {}); // warm-up
    const t = performance.now();
    for (const b of bytes) await handler(b, { stems: ['vocals', 'accompaniment'], format: 'wav16' }, { signal, onProgress() {} });
    return performance.now() - t;
  } finally {
    await backend.dispose();
  }
}

async function pool(url: string, bytes: Buffer[], workers: number): Promise<number> {
  const topic = `bench/${workers}/jobs`;
  const procs = await Promise.all(Array.from({ length: workers }, (_, i) =>
    new WorkerProcess(['--broker', url, '--jobs', topic, '--backend', 'onnx', '--threads', '1', '--client-id', `bench-${workers}-${i}`]).start()));
  const requester = new PoolRequester({ broker: { url }, jobsTopic: topic, timeoutMs: 600_000, attempts: 1 });
  try {
    await requester.submit(bytes[0].subarray(0, 44 + 4 * 44100)).catch(() => {}); // warm-up (one worker)
    const t = performance.now();
    const results = await Promise.all(bytes.map((b) => requester.submit(b)));
    const ms = performance.now() - t;
    if (!results.every((r) => r.stems.vocals && r.stems.accompaniment)) throw new Error('a job came back without both stems');
    return ms;
  } finally {
    await requester.close();
    for (const p of procs) await p.kill('SIGTERM');
  }
}

export async function run(): Promise<void> {
  const bytes = await sampleSongs(JOBS, SECONDS);
  const broker = await startMosquitto();
  try {
    const perMin = (ms: number): string => (JOBS / (ms / 60000)).toFixed(2);
    const localMs = await local(bytes);
    console.log(`local (this process)  ${JOBS} jobs in ${(localMs / 1000).toFixed(1)} s: ${perMin(localMs)} jobs/min`);
    const one = await pool(broker.url, bytes, 1);
    console.log(`pool, 1 worker        ${JOBS} jobs in ${(one / 1000).toFixed(1)} s: ${perMin(one)} jobs/min`);
    const two = await pool(broker.url, bytes, 2);
    console.log(`pool, 2 workers       ${JOBS} jobs in ${(two / 1000).toFixed(1)} s: ${perMin(two)} jobs/min (${(one / two).toFixed(2)}× 1 worker)`);
    const overhead = (one - localMs) / JOBS;
    console.log(`broker overhead per job (1 worker − local): ${overhead.toFixed(0)} ms, ${((100 * overhead) / (localMs / JOBS)).toFixed(1)} % of a local job`);
  } finally {
    await broker.stop();
  }
}
