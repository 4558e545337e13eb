/**
 * The full Jansson U-Net (JANSSON_CONFIG, random weights) on 512×128 patches, per backend.
 * Reference on the project's 2-core machine: onnx ≈ 21 ms (1 thread) / 12 ms (2), batch 4 within
 * ~5 % of batch 1 per patch; wasm ≈ 600 ms, cpu ≈ 2.5 s.
 * The onnx session runs in a worker thread: while 20 patches run back to back, the main event
 * loop's max lag stays at the idle floor (~2–5 ms on that VM, timer jitter) instead of a whole
 * patch (~20 ms with the session on the main thread). monitorEventLoopDelay's figures include the
 * 1 ms resolution itself. BENCH_BACKENDS=onnx limits the run to the named engines.
 */
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import * as tf from '@tensorflow/tfjs';
import {
  BackendName, JANSSON_CONFIG, BackendHandle, ModelWeights, assignWeights, buildUNet, createBackend,
  probeBackends, randomWeights,
} from '../lib/model';

export const title = 'U-Net mask inference (Jansson net, one 512×128 patch)';

function patches(n: number): Float32Array {
  const { bins, frames, channelsIn } = JANSSON_CONFIG;
  const a = new Float32Array(n * bins * frames * channelsIn);
  for (let i = 0; i < a.length; i++) a[i] = Math.random();
  return a;
}

async function time(backend: BackendHandle, batch: number, runs: number, warmup: number): Promise<{ median: number; min: number }> {
  const input = patches(batch);
  for (let i = 0; i < warmup; i++) await backend.predictMask(input, batch);
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await backend.predictMask(input, batch);
    ms.push((performance.now() - t0) / batch);
  }
  ms.sort((a, b) => a - b);
  return { median: ms[Math.floor(ms.length / 2)], min: ms[0] };
}

/**
 * What the main thread sees while `n` one-patch calls run back to back (how the Node-RED nodes use
 * a backend): the longest the event loop was blocked (monitorEventLoopDelay, 1 ms resolution) and
 * how many times a 1 ms setInterval fired.
 */
async function eventLoopLag(backend: BackendHandle | undefined, n: number): Promise<{ maxLag: number; p99: number; ticks: number; msPerPatch: number }> {
  const input = patches(1);
  // No backend: the floor of these figures on this machine (the loop idle, 20 ms timeouts).
  const work = (): Promise<unknown> => (backend ? backend.predictMask(input, 1) : new Promise((resolve) => setTimeout(resolve, 20)));
  await work(); // warm-up
  const hist = monitorEventLoopDelay({ resolution: 1 });
  let ticks = 0;
  const timer = setInterval(() => { ticks++; }, 1);
  hist.enable();
  const t0 = performance.now();
  try {
    for (let i = 0; i < n; i++) await work();
  } finally {
    hist.disable();
    clearInterval(timer);
  }
  const msPerPatch = (performance.now() - t0) / n;
  return { maxLag: hist.max / 1e6, p99: hist.percentile(99) / 1e6, ticks, msPerPatch };
}

export async function run(): Promise<void> {
  const model: ModelWeights = randomWeights(JANSSON_CONFIG, 1);
  // BENCH_BACKENDS=onnx,wasm limits the run to those engines.
  const only = process.env.BENCH_BACKENDS?.split(',').map((s) => s.trim()).filter(Boolean);
  const available = new Set((await probeBackends())
    .filter((p) => p.available && (!only || only.includes(p.name))).map((p) => p.name));
  const cases: Array<{ name: BackendName; threads?: number; batch: number; runs: number; warmup: number }> = [
    { name: 'onnx', threads: 1, batch: 1, runs: 20, warmup: 2 },
    { name: 'onnx', threads: 2, batch: 1, runs: 20, warmup: 2 },
    { name: 'onnx', threads: 1, batch: 4, runs: 5, warmup: 1 },
    { name: 'onnx', threads: 2, batch: 4, runs: 5, warmup: 1 },
    { name: 'tfjs-node', batch: 1, runs: 10, warmup: 2 },
    { name: 'wasm', batch: 1, runs: 3, warmup: 1 },
    { name: 'cpu', batch: 1, runs: 1, warmup: 0 },
  ];
  console.log('| backend | threads | batch | ms/patch (median) | min | start-up ms | engine |');
  console.log('|---|---|---|---|---|---|---|');
  for (const c of cases) {
    if (!available.has(c.name)) {
      console.log(`| ${c.name} | | | unavailable | | | |`);
      continue;
    }
    const t0 = performance.now();
    const backend = await createBackend(model, { backend: c.name, threads: c.threads });
    const startup = performance.now() - t0;
    try {
      const { median, min } = await time(backend, c.batch, c.runs, c.warmup);
      console.log(`| ${c.name} | ${c.threads ?? '-'} | ${c.batch} | ${median.toFixed(1)} | ${min.toFixed(1)} | ${startup.toFixed(0)} | ${backend.description} |`);
    } finally {
      await backend.dispose();
    }
  }
  if (available.has('onnx')) {
    console.log('\n| onnx: 20 one-patch calls back to back | threads | ms/patch | event-loop max lag ms | p99 ms | 1 ms timer ticks |');
    console.log('|---|---|---|---|---|---|');
    const idle = await eventLoopLag(undefined, 20);
    console.log(`| idle loop (floor: 20 × setTimeout 20 ms) | - | - | ${idle.maxLag.toFixed(1)} | ${idle.p99.toFixed(1)} | ${idle.ticks} |`);
    for (const threads of [1, 2]) {
      const backend = await createBackend(model, { backend: 'onnx', threads });
      try {
        const r = await eventLoopLag(backend, 20);
        console.log(`| | ${threads} | ${r.msPerPatch.toFixed(1)} | ${r.maxLag.toFixed(1)} | ${r.p99.toFixed(1)} | ${r.ticks} |`);
      } finally {
        await backend.dispose();
      }
    }
  }
  if (available.has('wasm')) {
    // What the wasm engine would cost with the plain layers model (its Conv2DBackpropInput is slow).
    await tf.setBackend('wasm');
    const unet = buildUNet(JANSSON_CONFIG);
    assignWeights(unet, model.weights);
    const x = tf.tensor4d(patches(1), [1, JANSSON_CONFIG.bins, JANSSON_CONFIG.frames, JANSSON_CONFIG.channelsIn]);
    const ms: number[] = [];
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now();
      const y = unet.maskModel.predict(x) as tf.Tensor;
      await y.data();
      y.dispose();
      if (i > 0) ms.push(performance.now() - t0);
    }
    x.dispose();
    unet.dispose();
    console.log(`| wasm, layers model (not used) | - | 1 | ${Math.min(...ms).toFixed(1)} (min of 2) | | | Conv2DTranspose as tfjs runs it |`);
  }
}
