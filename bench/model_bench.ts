/**
 * The full Jansson U-Net (JANSSON_CONFIG, random weights) on 512×128 patches, per backend.
 * Reference on the project's 2-core machine: onnx ≈ 29 ms (1 thread) / 18 ms (2), wasm ≈ 600 ms,
 * cpu ≈ 2.5 s.
 */
import { performance } from 'node:perf_hooks';
import * as tf from '@tensorflow/tfjs';
import {
  BackendName, JANSSON_CONFIG, MaskBackend, ModelWeights, assignWeights, buildUNet, createBackend,
  probeBackends, randomWeights,
} from '../lib/model';

export const title = 'U-Net mask inference (Jansson net, one 512×128 patch)';

function patches(n: number): Float32Array {
  const { bins, frames, channelsIn } = JANSSON_CONFIG;
  const a = new Float32Array(n * bins * frames * channelsIn);
  for (let i = 0; i < a.length; i++) a[i] = Math.random();
  return a;
}

async function time(backend: MaskBackend, batch: number, runs: number, warmup: number): Promise<{ median: number; min: number }> {
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

export async function run(): Promise<void> {
  const model: ModelWeights = randomWeights(JANSSON_CONFIG, 1);
  const available = new Set((await probeBackends()).filter((p) => p.available).map((p) => p.name));
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
