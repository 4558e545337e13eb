import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { cachedEngineCount, createBackend, probeBackends, randomWeights, type UNetConfig } from '../lib/model';
import { TfjsEngine } from '../lib/model/backends/tfjs';
import type { TfjsWorkerEngine } from '../lib/model/backends/tfjs-worker-engine';
import { maxAbsDiff, randomInput } from './support/numeric';

/** A patch takes ~20 ms (wasm) to ~140 ms (cpu) to compute on one core: far longer than a message between threads. */
const PATCH: UNetConfig = { bins: 128, frames: 64, baseFilters: 8, depth: 4, channelsIn: 1 };
const PER = PATCH.bins * PATCH.frames * PATCH.channelsIn;

describe('inference engines in worker threads', () => {
  describe('onnx: dispose() never terminates the worker in the middle of a run', () => {
    before(async function () {
      if (!(await probeBackends()).find((p) => p.name === 'onnx')?.available) this.skip();
    });

    it('disposed during a long batch: the request is rejected, the worker finishes the run, releases, then ends', () => {
      const child = spawnSync(process.execPath, [path.join(__dirname, 'support', 'onnx-dispose-run.js')], { encoding: 'utf8', timeout: 60_000 });
      // A worker terminated mid-run can take the whole process down natively (a signal, a non-zero exit).
      assert.equal(child.signal, null, `the process died of ${String(child.signal)}: ${child.stderr}`);
      assert.equal(child.status, 0, child.stderr);
      const out = JSON.parse(child.stdout.trim().split('\n').pop() ?? '{}') as { events: string[]; request: string };
      assert.match(out.request, /onnx engine was disposed before the request completed/);
      // The run completed in the worker (its result was sent, though nobody wants it any more), the
      // session was released after it, and only then did the worker end.
      assert.deepEqual(out.events.slice(0, out.events.indexOf('exit') + 1), ['result', 'released', 'exit']);
      assert.ok(out.events.includes('disposed'));
    });
  });

  describe('tfjs wasm and cpu: computed in a worker thread', () => {
    const model = randomWeights(PATCH, 9);
    const input = randomInput(2 * PER, 4);

    for (const name of ['wasm', 'cpu'] as const) {
      it(`${name}: the event loop turns while a mask is computed, and the mask is the in-thread engine's`, async () => {
        const tensors = tf.memory().numTensors;
        const backend = await createBackend(model, { backend: name });
        try {
          // On this thread the patch would be computed inside predictMask() and the mask settled in
          // microtasks, before any event-loop turn; in a worker the turn comes first.
          const order: string[] = [];
          const mask = backend.predictMask(input.subarray(0, PER), 1).then((m) => { order.push('mask'); return m; });
          setImmediate(() => order.push('event loop'));
          const inWorker = await mask;
          assert.deepEqual(order, ['event loop', 'mask']);
          assert.match(backend.description, /worker thread/);
          assert.equal(tf.memory().numTensors, tensors, 'no weights on this thread');

          const local = await TfjsEngine.create(name, model);
          try {
            assert.equal(maxAbsDiff(await backend.predictMask(input, 2), await local.predictMask(input, 2)), 0);
            assert.equal(maxAbsDiff(inWorker, await local.predictMask(input.subarray(0, PER), 1)), 0);
          } finally {
            await local.dispose();
          }
        } finally {
          await backend.dispose();
        }
        assert.equal(cachedEngineCount(), 0);
      });
    }

    it('dispose() rejects what is pending with "disposed"; the engine is freed and later calls fail', async () => {
      const backend = await createBackend(model, { backend: 'wasm' });
      const engine = (backend as unknown as { engine: TfjsWorkerEngine }).engine;
      const pending = Promise.allSettled([engine.predictMask(input, 2), engine.predictMask(input, 2)]);
      await engine.dispose();
      for (const r of await pending) {
        assert.equal(r.status, 'rejected');
        assert.match(String((r as PromiseRejectedResult).reason), /wasm engine was disposed before the request completed/);
      }
      await assert.rejects(engine.predictMask(input, 2), /wasm engine is disposed/);
      assert.equal(engine.failure, undefined, 'disposed, not failed');
      await backend.dispose();
      assert.equal(cachedEngineCount(), 0);
    });
  });
});
