import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Worker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { InvalidArgumentError } from '../lib/errors';
import {
  BackendName, BackendProbe, BackendUnavailableError, LoadedModel, ModelError, UNetConfig,
  assignWeights, buildUNet, buildUNetOnnx, cachedEngineCount, createBackend, createRandomModel,
  predictMaskTensor, probeBackends, randomWeights,
} from '../lib/model';
import { OnnxEngine } from '../lib/model/backends/onnx';
import { TfjsEngine } from '../lib/model/backends/tfjs';
import { ProtoWriter } from '../lib/model/onnx/protobuf';
import { maxAbsDiff, randomInput } from './support/numeric';

const SMALL: UNetConfig = { bins: 64, frames: 64, baseFilters: 4, depth: 3, channelsIn: 1 };
const STEREO: UNetConfig = { bins: 32, frames: 64, baseFilters: 4, depth: 4, channelsIn: 2 };
const PARITY_TOL = 1e-4;

/** Reference mask: the tfjs layers model on the pure-JS cpu backend. */
async function referenceMask(model: LoadedModel, input: Float32Array, batch: number): Promise<Float32Array> {
  const prev = tf.getBackend();
  await tf.setBackend('cpu');
  const { bins, frames, channelsIn } = model.config;
  const unet = buildUNet(model.config);
  try {
    assignWeights(unet, model.weights);
    const out = tf.tidy(() => predictMaskTensor(unet, tf.tensor4d(input, [batch, bins, frames, channelsIn])).dataSync());
    return Float32Array.from(out);
  } finally {
    unet.dispose();
    if (prev) await tf.setBackend(prev);
  }
}

describe('model: inference backends', () => {
  let tmp: string;
  let probes: Map<BackendName, BackendProbe>;
  let mono: LoadedModel;
  let stereo: LoadedModel;

  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vocal-split-backends-'));
    probes = new Map((await probeBackends()).map((p) => [p.name, p]));
    mono = await createRandomModel(path.join(tmp, 'mono'), SMALL, { seed: 21 });
    stereo = await createRandomModel(path.join(tmp, 'stereo'), STEREO, { seed: 22 });
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('probes every backend; cpu and wasm always work, onnx where onnxruntime-node loads', () => {
    assert.deepEqual([...probes.keys()], ['cuda', 'onnx', 'tfjs-node', 'wasm', 'cpu']);
    assert.equal(probes.get('cpu')?.available, true);
    assert.equal(probes.get('wasm')?.available, true, probes.get('wasm')?.reason);
    for (const p of probes.values()) if (!p.available) assert.ok(p.reason && p.reason.length > 10, p.name);
  });

  describe('parity: the same weights and input give the same mask on every backend', () => {
    // The reference is the layers model on tfjs cpu, which is what the cpu engine runs: cpu is
    // checked against PyTorch's masks instead (next block), not against itself.
    for (const name of ['onnx', 'tfjs-node', 'wasm'] as const) {
      it(`${name} (within ${PARITY_TOL}, mono batch 3 and stereo batch 2)`, async function () {
        const probe = probes.get(name);
        if (!probe?.available) {
          console.log(`      (skipped: ${probe?.reason})`);
          this.skip();
        }
        for (const [model, batch] of [[mono, 3], [stereo, 2]] as const) {
          const { bins, frames, channelsIn } = model.config;
          const input = randomInput(batch * bins * frames * channelsIn, batch);
          const ref = await referenceMask(model, input, batch);
          const backend = await createBackend(model.dir, { backend: name, threads: 1 });
          try {
            assert.equal(backend.name, name);
            assert.deepEqual(backend.config, model.config);
            const mask = await backend.predictMask(input, batch);
            assert.equal(mask.length, input.length);
            const d = maxAbsDiff(mask, ref);
            assert.ok(d < PARITY_TOL, `${name}: max |mask - reference| = ${d}`);
            // Patches are independent: the second patch alone gives the same mask.
            const per = bins * frames * channelsIn;
            const one = await backend.predictMask(input.slice(per, 2 * per), 1);
            assert.ok(maxAbsDiff(one, mask.subarray(per, 2 * per)) < 1e-5);
          } finally {
            await backend.dispose();
          }
        }
      });
    }
  });

  describe('parity with the PyTorch trainer (test/fixtures/parity-model, by training/make_parity_fixture.py)', () => {
    const fixture = path.resolve(__dirname, '..', '..', 'test', 'fixtures', 'parity-model');
    for (const name of ['onnx', 'tfjs-node', 'wasm', 'cpu'] as const) {
      it(`${name} gives PyTorch's eval-mode mask`, async function () {
        if (!probes.get(name)?.available) this.skip();
        const io = JSON.parse(fs.readFileSync(path.join(fixture, 'io.json'), 'utf8')) as {
          inputShape: number[]; input: number[]; mask: number[]; tolerance: number;
        };
        const backend = await createBackend(fixture, { backend: name });
        try {
          const mask = await backend.predictMask(Float32Array.from(io.input), io.inputShape[0]);
          const d = maxAbsDiff(mask, io.mask);
          assert.ok(d < Math.min(io.tolerance, PARITY_TOL), `${name} vs PyTorch: ${d}`);
        } finally {
          await backend.dispose();
        }
      });
    }
  });

  describe('tfjs-node code path', () => {
    it('loads a stand-in @tensorflow/tfjs-node (cpu kernels registered as "tensorflow") and matches the reference', function () {
      if (probes.get('tfjs-node')?.available) this.skip(); // the real one is tested by the parity test
      // A child process, so the stand-in (found through NODE_PATH) never leaks into this one.
      const fake = path.join(tmp, 'fake_modules', '@tensorflow', 'tfjs-node');
      fs.mkdirSync(fake, { recursive: true });
      const root = path.resolve(__dirname, '..', '..');
      fs.writeFileSync(path.join(fake, 'index.js'), `
        const tf = require(require.resolve('@tensorflow/tfjs', { paths: [${JSON.stringify(root)}] }));
        const { MathBackendCPU } = require(require.resolve('@tensorflow/tfjs-backend-cpu', { paths: [${JSON.stringify(root)}] }));
        tf.registerBackend('tensorflow', () => new MathBackendCPU(), 3);
        for (const k of tf.getKernelsForBackend('cpu')) tf.registerKernel({ ...k, backendName: 'tensorflow' });
        module.exports = tf;`);
      const script = `
        const m = require(${JSON.stringify(path.join(root, 'dist', 'lib', 'model'))});
        (async () => {
          const input = new Float32Array(3 * 4096).map((_, i) => (i * 7919 % 1000) / 1000);
          const a = await m.createBackend(${JSON.stringify(mono.dir)}, { backend: 'tfjs-node', threads: 1 });
          const b = await m.createBackend(${JSON.stringify(mono.dir)}, { backend: 'cpu' });
          const auto = await m.createBackend(${JSON.stringify(mono.dir)}, { backend: 'auto' });
          const x = await a.predictMask(input, 3), y = await b.predictMask(input, 3);
          let d = 0; for (let i = 0; i < x.length; i++) d = Math.max(d, Math.abs(x[i] - y[i]));
          console.log(JSON.stringify({ name: a.name, description: a.description, d, auto: auto.name,
            threads: process.env.TF_NUM_INTRAOP_THREADS }));
          await a.dispose(); await b.dispose(); await auto.dispose();
        })().catch((e) => { console.error(e); process.exit(1); });`;
      const env: NodeJS.ProcessEnv = { ...process.env, NODE_PATH: path.join(tmp, 'fake_modules') };
      delete env.TF_NUM_INTRAOP_THREADS;
      const res = spawnSync(process.execPath, ['-e', script], { env, encoding: 'utf8' });
      assert.equal(res.status, 0, res.stderr);
      const out = JSON.parse(res.stdout.trim().split('\n').pop() ?? '{}') as { name: string; description: string; d: number; auto: string; threads: string };
      assert.equal(out.name, 'tfjs-node');
      assert.match(out.description, /@tensorflow\/tfjs-node/);
      assert.ok(out.d < PARITY_TOL, `stand-in tfjs-node vs cpu: ${out.d}`);
      assert.equal(out.auto, probes.get('onnx')?.available ? 'onnx' : 'tfjs-node');
      assert.equal(out.threads, '1', 'threads reach libtensorflow through TF_NUM_INTRAOP_THREADS');
    });
  });

  describe('onnx graph', () => {
    it('folds batch norm exactly (folded = unfolded = tfjs); ConvTranspose pads and the sub-pixel form match tf "same"', async function () {
      if (!probes.get('onnx')?.available) this.skip();
      const ort = require('onnxruntime-node') as {
        InferenceSession: { create(b: Uint8Array): Promise<{ run(f: object): Promise<Record<string, { data: Float32Array }>>; release(): Promise<void> }> };
        Tensor: new (t: string, d: Float32Array, dims: number[]) => object;
      };
      const input = randomInput(2 * 32 * 64 * 2, 3);
      const ref = await referenceMask(stereo, input, 2);
      for (const deconv of ['convtranspose', 'subpixel'] as const) {
        for (const fold of [true, false]) {
          const session = await ort.InferenceSession.create(buildUNetOnnx(STEREO, stereo.weights, { foldBatchNorm: fold, deconv }));
          const out = await session.run({ mixture: new ort.Tensor('float32', input, [2, 32, 64, 2]) });
          await session.release();
          const d = maxAbsDiff(out.mask.data, ref);
          assert.ok(d < PARITY_TOL, `${deconv}, fold=${fold}: ${d}`);
        }
      }
    });

    it('writes protobuf varints like protoc (incl. negative int64)', () => {
      assert.deepEqual(Array.from(new ProtoWriter().int(1, 300).finish()), [0x08, 0xac, 0x02]);
      assert.deepEqual(Array.from(new ProtoWriter().int(2, -1).finish()), [0x10, 255, 255, 255, 255, 255, 255, 255, 255, 255, 1]);
      assert.deepEqual(Array.from(new ProtoWriter().string(3, 'hi').finish()), [0x1a, 2, 0x68, 0x69]);
      assert.deepEqual(Array.from(new ProtoWriter().packedInts(8, [1, 2, 300]).finish()), [0x42, 4, 1, 2, 0xac, 0x02]);
      const inner = new ProtoWriter().int(1, 5);
      assert.deepEqual(Array.from(new ProtoWriter().message(7, inner).float(2, 1).finish()),
        [0x3a, 2, 0x08, 5, 0x15, 0, 0, 0x80, 0x3f]);
    });
  });

  describe('selection, errors, caching, memory', () => {
    it("'auto' picks the fastest available backend and says which", async () => {
      const backend = await createBackend(mono.dir);
      try {
        const expected = (['cuda', 'onnx', 'tfjs-node', 'wasm', 'cpu'] as const).find((n) => probes.get(n)?.available);
        assert.equal(backend.name, expected);
        assert.ok(backend.description.length > 0);
      } finally {
        await backend.dispose();
      }
    });

    it('a forced backend that is unavailable fails with the reason; unknown names are rejected', async function () {
      const missing = [...probes.values()].find((p) => !p.available);
      if (missing) {
        await assert.rejects(createBackend(mono.dir, { backend: missing.name }), (e: unknown) =>
          e instanceof BackendUnavailableError && e.message === missing.reason);
      }
      await assert.rejects(createBackend(mono.dir, { backend: 'gpu' as BackendName }), InvalidArgumentError);
      await assert.rejects(createBackend(mono.dir, { threads: 0 }), InvalidArgumentError);
    });

    it('model errors surface as ModelError naming the file, even in auto mode', async () => {
      await assert.rejects(createBackend(path.join(tmp, 'absent')), (e: unknown) =>
        e instanceof ModelError && e.code === 'MODEL_NOT_FOUND' && e.message.includes(path.join(tmp, 'absent', 'model.json')));
      assert.equal(cachedEngineCount(), 0);
    });

    it('checks the input size', async () => {
      const backend = await createBackend(mono.dir, { backend: 'cpu' });
      try {
        await assert.rejects(backend.predictMask(new Float32Array(100), 1), /expected batch \(1\) × 64 × 64 × 1 = 4096/);
        await assert.rejects(backend.predictMask(new Float32Array(4096), 0), InvalidArgumentError);
      } finally {
        await backend.dispose();
      }
    });

    it('loads a model once per process and backend, frees it with the last handle', async () => {
      const name = probes.get('onnx')?.available ? 'onnx' : 'wasm';
      assert.equal(cachedEngineCount(), 0);
      const [a, b] = await Promise.all([
        createBackend(mono.dir, { backend: name, threads: 1 }),
        createBackend(mono.dir, { backend: name, threads: 1 }),
      ]);
      assert.equal(cachedEngineCount(), 1);
      const c = await createBackend(mono.dir, { backend: 'cpu' });
      assert.equal(cachedEngineCount(), 2);
      const input = randomInput(4096);
      const before = await a.predictMask(input, 1);
      await a.dispose();
      await a.dispose(); // idempotent
      await assert.rejects(a.predictMask(input, 1), /disposed/);
      assert.equal(cachedEngineCount(), 2);
      assert.equal(maxAbsDiff(await b.predictMask(input, 1), before), 0);
      await b.dispose();
      assert.equal(cachedEngineCount(), 1);
      await c.dispose();
      assert.equal(cachedEngineCount(), 0);
    });

    it('yields to the event loop between patches (onnx, wasm)', async () => {
      const input = randomInput(4 * 4096);
      for (const name of ['onnx', 'wasm'] as const) {
        if (!probes.get(name)?.available) continue;
        const backend = await createBackend(mono.dir, { backend: name });
        let ticks = 0;
        let running = true;
        const tick = (): void => { ticks++; if (running) setImmediate(tick); };
        setImmediate(tick);
        try {
          await backend.predictMask(input, 4);
        } finally {
          running = false;
          await backend.dispose();
        }
        assert.ok(ticks >= 3, `${name}: only ${ticks} event-loop turns during a batch of 4`);
      }
    });

    it('leaves no tfjs tensors behind (cpu and wasm, on this thread as in their worker)', async () => {
      const baseline = tf.memory().numTensors;
      for (const name of ['cpu', 'wasm'] as const) {
        const engine = await TfjsEngine.create(name, mono);
        assert.ok(tf.memory().numTensors > baseline, 'weights are tensors while loaded');
        await engine.predictMask(randomInput(2 * 4096), 2);
        await engine.dispose();
        assert.equal(tf.memory().numTensors, baseline, `${name} leaked tensors`);
      }
    });
  });
  describe('onnx engine: session in a worker thread', () => {
    /** 256×128 patches, full depth: ~10 ms a patch on one core, long enough to see the event loop run. */
    const MID: UNetConfig = { bins: 256, frames: 128, baseFilters: 16, depth: 6, channelsIn: 1 };

    beforeEach(function () {
      if (!probes.get('onnx')?.available) this.skip();
    });

    it('answers concurrent calls with their own masks, in order, leaving the inputs untouched', async () => {
      const backend = await createBackend(mono.dir, { backend: 'onnx', threads: 1 });
      try {
        const x = randomInput(2 * 4096, 11);
        const y = randomInput(4096, 12);
        const xCopy = x.slice();
        const yCopy = y.slice();
        const seqX = await backend.predictMask(x, 2);
        const seqY = await backend.predictMask(y, 1);
        assert.ok(maxAbsDiff(seqX.subarray(0, 4096), seqY) > 1e-3, 'different inputs give different masks');
        const order: string[] = [];
        const [cx, cy, cx2] = await Promise.all([
          backend.predictMask(x, 2).then((m) => { order.push('x'); return m; }),
          backend.predictMask(y, 1).then((m) => { order.push('y'); return m; }),
          backend.predictMask(x, 2).then((m) => { order.push('x2'); return m; }),
        ]);
        assert.deepEqual(order, ['x', 'y', 'x2']);
        assert.equal(maxAbsDiff(cx, seqX), 0);
        assert.equal(maxAbsDiff(cy, seqY), 0);
        assert.equal(maxAbsDiff(cx2, seqX), 0);
        // The caller's arrays are copied before their buffers go to the worker: not detached, not changed.
        assert.equal(x.length, 2 * 4096);
        assert.equal(maxAbsDiff(x, xCopy), 0);
        assert.equal(maxAbsDiff(y, yCopy), 0);
      } finally {
        await backend.dispose();
      }
    });

    it('dispose() rejects pending requests at once and frees the engine', async () => {
      const engine = await OnnxEngine.create(mono, 1);
      const input = randomInput(4 * 4096);
      const pending = Promise.allSettled([engine.predictMask(input, 4), engine.predictMask(input, 4), engine.predictMask(input, 4)]);
      await engine.dispose();
      for (const r of await pending) {
        assert.equal(r.status, 'rejected');
        assert.match(String((r as PromiseRejectedResult).reason), /onnx engine was disposed before the request completed/);
      }
      await assert.rejects(engine.predictMask(input, 4), /onnx engine is disposed/);
      await engine.dispose(); // idempotent
      assert.equal(engine.failure, undefined, 'disposed, not failed');

      // Through the cache: a handle's dispose lets its own calls settle, then frees the engine.
      assert.equal(cachedEngineCount(), 0);
      const backend = await createBackend(mono.dir, { backend: 'onnx', threads: 1 });
      assert.equal(cachedEngineCount(), 1);
      const calls = Promise.allSettled([backend.predictMask(input, 4), backend.predictMask(input, 4)]);
      await backend.dispose();
      assert.deepEqual((await calls).map((r) => r.status), ['fulfilled', 'fulfilled']);
      assert.equal(cachedEngineCount(), 0);
    });

    it('keeps the main event loop free: a 10-patch run completes while the main thread is blocked', async () => {
      const engine = await OnnxEngine.create(randomWeights(MID, 5), 1);
      try {
        const per = MID.bins * MID.frames;
        const input = randomInput(10 * per, 5);
        await engine.predictMask(input.subarray(0, per), 1); // warm-up
        // Queued before the request: the first callback the main thread runs once it is free again. An
        // engine computing on the main thread could not have started before this callback, so its mask
        // cannot be there yet; a worker's result is delivered (poll phase) before it (check phase).
        let arrived = false;
        const firstTurn = new Promise<boolean>((resolve) => setImmediate(() => resolve(arrived)));
        const run = engine.predictMask(input, 10).then((mask) => { arrived = true; return mask; });
        sleepWhileProcessComputes();
        assert.equal(await firstTurn, true, 'the mask was computed while the main thread was blocked');
        assert.equal((await run).length, 10 * per);
      } finally {
        await engine.dispose();
      }
    });

    it('reports errors clearly: bad input before sending, worker-side errors as errors', async () => {
      const engine = await OnnxEngine.create(mono, 1);
      try {
        await assert.rejects(engine.predictMask(new Float32Array(4095), 1), (e: unknown) =>
          e instanceof InvalidArgumentError && /expected batch \(1\) × 64 × 64 × 1 = 4096/.test(e.message));
        await assert.rejects(engine.predictMask(new Float32Array(4096), 2), InvalidArgumentError);
        // The engine is still fine after rejected calls.
        assert.equal((await engine.predictMask(randomInput(4096), 1)).length, 4096);
      } finally {
        await engine.dispose();
      }
      // An error inside the worker (here: creating the session) comes back as a rejection; nothing is left cached.
      await assert.rejects(createBackend(mono.dir, { backend: 'onnx', executionProviders: ['no-such-provider'] }),
        /onnxruntime: .*no-such-provider/);
      assert.equal(cachedEngineCount(), 0);
    });

    it('a crashed worker fails its pending and later calls (no hang); createBackend then starts a fresh engine', async () => {
      const a = await createBackend(mono.dir, { backend: 'onnx', threads: 1 });
      const input = randomInput(4 * 4096);
      const expected = await a.predictMask(input, 4);
      const engine = (a as unknown as { engine: OnnxEngine }).engine;
      // Stands for a native crash or an OOM: the worker goes away without answering. It is stopped while
      // idle: terminating a worker in the middle of an onnxruntime run aborts the whole process natively.
      const terminated = (engine as unknown as { worker: Worker }).worker.terminate();
      const pending = Promise.allSettled([a.predictMask(input, 4), a.predictMask(input, 4)]);
      await terminated;
      for (const r of await pending) {
        assert.equal(r.status, 'rejected');
        assert.match(String((r as PromiseRejectedResult).reason), /onnx worker exited unexpectedly/);
      }
      await assert.rejects(a.predictMask(input, 4), /onnx engine is unusable: onnx worker exited unexpectedly/);
      assert.ok(engine.failure);

      const b = await createBackend(mono.dir, { backend: 'onnx', threads: 1 });
      try {
        assert.equal(maxAbsDiff(await b.predictMask(input, 4), expected), 0);
      } finally {
        await a.dispose();
        assert.equal(cachedEngineCount(), 1, 'disposing the old handle leaves the fresh engine cached');
        await b.dispose();
      }
      assert.equal(cachedEngineCount(), 0);
    });
  });
});

/**
 * Blocks the main thread (asleep, so other threads get its CPU) for as long as the process keeps
 * computing: until its CPU time has stopped growing for 5 slices of 20 ms in a row (at most 60 s).
 * Whatever runs meanwhile runs on another thread.
 */
function sleepWhileProcessComputes(): void {
  const cell = new Int32Array(new SharedArrayBuffer(4));
  const cpuMicros = (): number => { const u = process.cpuUsage(); return u.user + u.system; };
  const start = Date.now();
  let last = cpuMicros();
  for (let quiet = 0; quiet < 5 && Date.now() - start < 60_000;) {
    Atomics.wait(cell, 0, 0, 20);
    const now = cpuMicros();
    quiet = now - last < 500 ? quiet + 1 : 0;
    last = now;
  }
}
