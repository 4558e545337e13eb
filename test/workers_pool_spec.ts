/**
 * lib/workers: the worker-thread pool that runs the heavy per-song work off the main thread.
 * The generic pool with a test worker (crash, busy, requests), then the audio pool on real songs
 * with a real onnx engine: same stems as in-process, cancellation, live streams, priorities.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { decodeAudio } from '../lib/audio/decode';
import type { AudioData } from '../lib/audio/types';
import { cachedEngineCount, createBackend, probeBackends } from '../lib/model/backends';
import { InferenceScheduler } from '../lib/model/backends/scheduler';
import type { InferenceEngine } from '../lib/model/backends/types';
import { separate } from '../lib/separate/separator';
import { LATENCY_PRESETS } from '../lib/stream/latency';
import { MaskBatcher } from '../lib/stream/mask-batcher';
import { StreamSeparator } from '../lib/stream/stream-separator';
import { AudioPool } from '../lib/workers/audio-pool';
import { WorkerPool } from '../lib/workers/pool';
import { FILE_LANE_NICE } from '../lib/workers/thread-priority';
import { TaskAbortedError, WorkerCrashedError } from '../lib/workers/wire-errors';
import { FIXTURES, smallTestModel } from './support/node-red';
import { loopedSong as song, maxAbsDiff } from './support/node-specs';

const TEST_WORKER = path.join(__dirname, 'support', 'crashing-worker.js');

/** Polls until `pool.idle`; resolves with how long it took, rejects after `limitMs`. */
async function untilIdle(isIdle: () => boolean, limitMs = 1000, describe: () => unknown = () => ''): Promise<number> {
  const t0 = performance.now();
  while (!isIdle()) {
    if (performance.now() - t0 > limitMs) throw new Error(`not idle after ${limitMs} ms: ${JSON.stringify(describe())}`);
    await new Promise((r) => setTimeout(r, 10));
  }
  return performance.now() - t0;
}

describe('worker pool (lib/workers)', function () {
  this.timeout(60_000);

  describe('generic pool', function () {
    let pool: WorkerPool;
    afterEach(async () => { await pool.close(); });

    it('a crashing worker fails its job with a clear error, and the next job works', async function () {
      pool = new WorkerPool({ script: TEST_WORKER, fileWorkers: 1 });
      assert.equal(await pool.run({ type: 'echo', value: 1 }), 1);
      await assert.rejects(pool.run({ type: 'crash' }), (err: unknown) =>
        err instanceof WorkerCrashedError && /crashed \(exit code 3\)/.test(err.message));
      assert.equal(await pool.run({ type: 'echo', value: 2 }), 2);
      // A job waiting behind the crashing one runs on the fresh worker.
      const [crashed, next] = await Promise.allSettled([pool.run({ type: 'crash' }), pool.run({ type: 'echo', value: 3 })]);
      assert.equal(crashed.status, 'rejected');
      assert.deepEqual(next, { status: 'fulfilled', value: 3 });
      assert.equal(pool.stats().workers, 1);
    });

    it('file jobs run at a lower CPU priority than the main thread and the live lane (Linux: nice per thread)', async function () {
      if (process.platform !== 'linux') this.skip();
      pool = new WorkerPool({ script: TEST_WORKER, fileWorkers: 1 });
      const before = os.getPriority(0);
      assert.equal(await pool.run({ type: 'nice' }), Math.max(before, FILE_LANE_NICE));
      assert.equal(await pool.run({ type: 'nice' }, { lane: 'live' }), before, 'the live lane keeps the process priority');
      assert.equal(os.getPriority(0), before, 'the main thread is untouched');
    });

    it('cancelling a job stops even a worker stuck in a synchronous call; the pool is idle at once', async function () {
      pool = new WorkerPool({ script: TEST_WORKER, fileWorkers: 1 });
      const controller = new AbortController();
      const spinning = pool.run({ type: 'spin', ms: 30_000 }, { signal: controller.signal });
      const waiting = pool.run({ type: 'echo', value: 'after' });
      await new Promise((r) => setTimeout(r, 200));
      const t0 = performance.now();
      controller.abort();
      await assert.rejects(spinning, TaskAbortedError);
      assert.equal(await waiting, 'after', 'the queued job runs on a fresh worker');
      assert.ok(performance.now() - t0 < 5000);
      await untilIdle(() => pool.idle);
      assert.deepEqual(pool.stats(), { workers: 1, running: 0, queued: 0, requests: 0 });
    });

    it('a job cancelled while it waits never runs', async function () {
      pool = new WorkerPool({ script: TEST_WORKER, fileWorkers: 1 });
      const first = pool.run({ type: 'echo', value: 'first', ms: 300 });
      const controller = new AbortController();
      const second = pool.run({ type: 'spin', ms: 30_000 }, { signal: controller.signal });
      assert.equal(pool.stats().queued, 1);
      controller.abort();
      await assert.rejects(second, TaskAbortedError);
      assert.equal(pool.stats().queued, 0);
      assert.equal(await first, 'first');
    });

    it('answers a task\'s requests on the main thread; a request of a cancelled task is aborted', async function () {
      const seen: AbortSignal[] = [];
      pool = new WorkerPool({
        script: TEST_WORKER, fileWorkers: 1,
        onRequest: async (request, { signal }) => {
          seen.push(signal);
          if (request === 'hang') await new Promise((r) => signal.addEventListener('abort', r));
          return { value: `answer to ${String(request)}` };
        },
      });
      assert.equal(await pool.run({ type: 'ask', request: 'q' }), 'answer to q');
      const controller = new AbortController();
      const hanging = pool.run({ type: 'ask', request: 'hang' }, { signal: controller.signal });
      while (seen.length < 2) await new Promise((r) => setTimeout(r, 5));
      assert.equal(pool.stats().requests, 1);
      controller.abort();
      await assert.rejects(hanging, TaskAbortedError);
      assert.ok(seen[1].aborted, 'the request was told its task is gone');
      await untilIdle(() => pool.idle);
    });
  });

  describe('inference priority', function () {
    it('live requests are served before the file requests already waiting; aborted ones leave the queue', async function () {
      const order: string[] = [];
      const engine: InferenceEngine = {
        name: 'onnx', description: 'recording engine', batchSize: 4, config: { bins: 1, frames: 1, baseFilters: 1, depth: 1, channelsIn: 1 },
        predictMask: async (input) => {
          order.push(String(input[0]));
          await new Promise((r) => setTimeout(r, 20));
          return input.slice();
        },
        dispose: async () => {},
      };
      const scheduler = new InferenceScheduler(engine, 2);
      const ask = (tag: number, priority: 'live' | 'file', signal?: AbortSignal): Promise<Float32Array> =>
        scheduler.predictMask(Float32Array.of(tag), 1, { priority, signal });
      const controller = new AbortController();
      const all = [ask(1, 'file'), ask(2, 'file'), ask(3, 'file'), ask(4, 'file', controller.signal), ask(5, 'file'), ask(9, 'live')];
      controller.abort();
      const settled = await Promise.allSettled(all);
      assert.deepEqual(order, ['1', '2', '9', '3', '5'], 'the live patch overtakes the waiting file batches');
      assert.equal(settled[3].status, 'rejected');
      assert.equal(scheduler.pending, 0);
    });

    it('an engine of 2 sessions keeps one for live streams while they run; files get both again when they stop', async function () {
      const running = new Map<string, () => void>();
      const started: string[] = [];
      let onStart: (() => void) | undefined;
      const engine: InferenceEngine = {
        name: 'onnx', description: 'two-session engine', batchSize: 4, parallelRuns: 2, config: { bins: 1, frames: 1, baseFilters: 1, depth: 1, channelsIn: 1 },
        predictMask: (input) => new Promise<Float32Array>((resolve) => {
          const tag = String(input[0]);
          started.push(tag);
          running.set(tag, () => { running.delete(tag); resolve(input.slice()); });
          onStart?.();
        }),
        dispose: async () => {},
      };
      const windowMs = 150;
      const scheduler = new InferenceScheduler(engine, undefined, windowMs);
      const ask = (tag: number, priority: 'live' | 'file'): Promise<Float32Array> => scheduler.predictMask(Float32Array.of(tag), 1, { priority });
      const finish = async (tag: number, p: Promise<Float32Array>): Promise<void> => {
        (running.get(String(tag)) as () => void)();
        await p;
      };
      const live1 = ask(101, 'live');
      const files = [1, 2, 3].map((tag) => ask(tag, 'file'));
      assert.deepEqual(started, ['101', '1'], 'one session for the stream, one for files: the other file batches wait');
      await finish(101, live1);
      await finish(1, files[0]);
      assert.deepEqual(started, ['101', '1', '2'], 'still one file run at a time while the stream is recent');
      const live2 = ask(102, 'live');
      assert.deepEqual([...running.keys()].sort(), ['102', '2'], 'the live patch starts at once on the kept session');
      // Nothing settles now; when the live window closes, the waiting file batch gets the second session.
      await new Promise<void>((resolve) => { onStart = resolve; });
      assert.deepEqual([...running.keys()].sort(), ['102', '2', '3']);
      await finish(102, live2);
      await finish(2, files[1]);
      await finish(3, files[2]);
      assert.equal(scheduler.pending, 0);
    });
  });

  describe('audio pool: the caller\'s payload', function () {
    it('is copied a slice at a time: the event loop turns before a 40 MB payload has gone to the worker; the payload stays intact', async function () {
      const pool = new AudioPool({ fileWorkers: 1 });
      try {
        const samples = 10 << 20; // 40 MB of float32: slices of 16, 16 and 8 MB
        const audio: AudioData = { sampleRate: 44100, channels: [new Float32Array(samples).fill(0.25)] };
        const wav = pool.encode(audio, { kind: 'wav', bitDepth: 16 });
        let submitted = -1;
        setImmediate(() => { const s = pool.stats(); submitted = s.running + s.queued; });
        assert.equal((await wav as Buffer).length, 44 + 2 * samples);
        assert.equal(submitted, 0, 'the task was not submitted at the first event-loop turn: the copy was still under way');
        assert.equal(audio.channels[0].length, samples, 'not moved');
        assert.ok(audio.channels[0].every((x) => x === 0.25), 'not changed');
      } finally {
        await pool.close();
      }
    });
  });

  describe('audio pool (real songs, onnx engine)', function () {
    let pool: AudioPool;
    let modelDir: string;
    before(async function () {
      const onnx = (await probeBackends()).find((p) => p.name === 'onnx');
      if (!onnx?.available) this.skip();
      modelDir = await smallTestModel();
    });
    beforeEach(() => { pool = new AudioPool({ fileWorkers: 1 }); });
    afterEach(async () => {
      await pool.close();
      assert.equal(cachedEngineCount(), 0, 'every engine freed');
    });

    it('splits a song\'s channels between the file worker and its helper thread: the same stems, bit for bit, as in-process', async function () {
      // 6 channels: 3 separated in the file worker, 3 in its helper (2 cores or more; one thread otherwise).
      const bytes = fs.readFileSync(path.join(FIXTURES, 'audio', 'wav_s16_6ch_16k.wav'));
      const backend = await createBackend(modelDir, { backend: 'onnx' });
      try {
        const expected = await separate(await decodeAudio(bytes), backend);
        for (let run = 0; run < 2; run++) { // the second job reuses the helper thread
          const got = await pool.separate(bytes, backend, { output: { kind: 'audio' } });
          assert.equal(maxAbsDiff(got.vocals as AudioData, expected.vocals), 0);
          assert.equal(maxAbsDiff(got.accompaniment as AudioData, expected.accompaniment), 0);
        }
        // The WAV written while the song is separated holds the same samples.
        const wav = await pool.separate(bytes, backend, { output: { kind: 'wav', bitDepth: 32 } });
        assert.equal(maxAbsDiff(await decodeAudio(wav.accompaniment as Buffer), expected.accompaniment), 0);
      } finally {
        await backend.dispose();
      }
    });

    it('a failing mask request fails the job with its own error (either thread), and the next job works', async function () {
      const bytes = fs.readFileSync(path.join(FIXTURES, 'audio', 'mp3_stereo_44k.mp3'));
      const backend = await createBackend(modelDir, { backend: 'onnx' });
      let calls = 0;
      let failing = 0;
      // Batch number `failing` fails, whichever thread asked for it (one batch per channel here).
      const flaky = Object.assign(Object.create(backend) as typeof backend, {
        predictMask: (input: Float32Array, batch: number, options?: Parameters<typeof backend.predictMask>[2]) =>
          (++calls === failing ? Promise.reject(new Error('engine hiccup')) : backend.predictMask(input, batch, options)),
      });
      try {
        for (failing of [1, 2]) {
          calls = 0;
          await assert.rejects(pool.separate(bytes, flaky, { output: { kind: 'audio' } }), /engine hiccup/);
        }
        const expected = await separate(await decodeAudio(bytes), backend);
        const got = await pool.separate(bytes, backend, { output: { kind: 'audio' } });
        assert.equal(maxAbsDiff(got.vocals as AudioData, expected.vocals), 0);
      } finally {
        await backend.dispose();
      }
      assert.ok(pool.idle);
    });

    it('separates an MP3 in a worker to the same stems as in-process, WAV bytes or audio, leaving the input intact', async function () {
      const bytes = fs.readFileSync(path.join(FIXTURES, 'audio', 'mp3_stereo_44k.mp3'));
      const before = Buffer.from(bytes);
      const backend = await createBackend(modelDir, { backend: 'onnx' });
      try {
        const expected = await separate(await decodeAudio(bytes), backend);
        const asAudio = await pool.separate(bytes, backend, { output: { kind: 'audio' } });
        assert.equal(maxAbsDiff(asAudio.vocals as AudioData, expected.vocals), 0);
        assert.equal(maxAbsDiff(asAudio.accompaniment as AudioData, expected.accompaniment), 0);
        const progress: number[] = [];
        const asWav = await pool.separate(bytes, backend, { output: { kind: 'wav', bitDepth: 32 }, onProgress: (f) => progress.push(f) });
        assert.ok(Buffer.isBuffer(asWav.vocals));
        assert.ok(maxAbsDiff(await decodeAudio(asWav.vocals as Buffer), expected.vocals) === 0, 'float WAV holds the same samples');
        assert.equal(progress.at(-1), 1);
        assert.ok(bytes.equals(before), 'the caller\'s bytes are copied, not moved');
        // Decoding errors come back typed, with their code.
        await assert.rejects(pool.separate(Buffer.from('not audio at all'), backend, { output: { kind: 'audio' } }),
          (err: unknown) => (err as { code?: string }).code === 'UNKNOWN_FORMAT');
      } finally {
        await backend.dispose();
      }
      assert.ok(pool.idle);
    });

    it('a file job whose requester went away stops: the pool and the engine are idle within 1 s, the next job works', async function () {
      const backend = await createBackend(modelDir, { backend: 'onnx' });
      try {
        const long = await song(120);
        const controller = new AbortController();
        let started!: () => void;
        const running = new Promise<void>((r) => { started = r; });
        const job = pool.separate(long, backend, { output: { kind: 'audio' }, signal: controller.signal, onProgress: () => started() });
        await running;
        const t0 = performance.now();
        controller.abort();
        await assert.rejects(job, TaskAbortedError);
        const scheduler = (backend as unknown as { scheduler: InferenceScheduler }).scheduler;
        await untilIdle(() => pool.idle && scheduler.pending === 0, 1000, () => ({ ...pool.stats(), inference: scheduler.pending }));
        assert.ok(performance.now() - t0 <= 1000);
        assert.equal(pool.stats().backends, 0, 'the job\'s backend registration is gone');
        const short = await song(2);
        const next = await pool.separate(short, backend, { output: { kind: 'audio' } });
        assert.equal(maxAbsDiff(next.vocals as AudioData, (await separate(short, backend)).vocals), 0);
      } finally {
        await backend.dispose();
      }
    });

    it('a live stream in the pool gives the in-process stream\'s stems; dropping it mid-chunk leaves the pool idle within 1 s', async function () {
      const backend = await createBackend(modelDir, { backend: 'onnx' });
      try {
        const audio = await song(6);
        const latency = LATENCY_PRESETS.balanced;
        const local = await StreamSeparator.create({ sampleRate: 44100, channels: 2 }, new MaskBatcher(backend), latency);
        const pooled = await pool.openStream({ sampleRate: 44100, channels: 2 }, latency, backend);
        assert.equal(pooled.latencySeconds, local.latencySeconds);
        assert.equal(pool.stats().streams, 1);
        const chunk = 4410;
        for (let at = 0; at < audio.channels[0].length; at += chunk) {
          const part = audio.channels.map((c) => c.subarray(at, at + chunk));
          const [a, b] = await Promise.all([local.push(part), pooled.push(part)]);
          assert.equal(b.first, a.first);
          assert.equal(maxAbsDiff({ sampleRate: 1, channels: b.vocals }, { sampleRate: 1, channels: a.vocals }), 0);
          assert.equal(maxAbsDiff({ sampleRate: 1, channels: b.accompaniment }, { sampleRate: 1, channels: a.accompaniment }), 0);
        }
        const [endA, endB] = await Promise.all([local.end(), pooled.end()]);
        assert.equal(maxAbsDiff({ sampleRate: 1, channels: endB.vocals }, { sampleRate: 1, channels: endA.vocals }), 0);
        local.dispose();
        pooled.dispose();

        // A second stream whose requester goes away while a chunk is in the worker.
        const dropped = await pool.openStream({ sampleRate: 48000, channels: 2 }, latency, backend);
        const controller = new AbortController();
        const big = audio.channels.map((c) => c.subarray(0, 44100));
        const push = dropped.push(big, controller.signal);
        controller.abort();
        dropped.dispose();
        await assert.rejects(push, TaskAbortedError);
        const scheduler = (backend as unknown as { scheduler: InferenceScheduler }).scheduler;
        await untilIdle(() => pool.idle && scheduler.pending === 0, 1000, () => ({ ...pool.stats(), inference: scheduler.pending }));
        assert.deepEqual({ ...pool.stats(), workers: 0 }, { workers: 0, running: 0, queued: 0, requests: 0, streams: 0, backends: 0 });
      } finally {
        await backend.dispose();
      }
    });
  });
});
