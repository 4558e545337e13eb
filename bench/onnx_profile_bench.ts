/**
 * Where the U-Net's CPU time goes on onnxruntime (the shipped default model, one intra-op thread, as
 * each of the onnx engine's sessions runs): milliseconds per patch at batch 1, 2, 4 and 8, the graph
 * with ConvTranspose against the 3×3 sub-pixel form of the deconvolutions, and onnxruntime's own
 * profile (enableProfiling) per op at batch 4. Run it when the machine is otherwise idle; the host's
 * speed varies, so the runs alternate the variants and print each one's median.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadOrt, type OrtModule, type OrtSession, type OrtSessionOptions, type OrtTensor } from '../lib/model/backends/onnx-ort';
import { resolveModelDir } from '../lib/model/locate';
import { buildUNetOnnx, ONNX_INPUT } from '../lib/model/onnx/graph';
import { readModel } from '../lib/model/model-folder';

export const title = 'U-Net on onnxruntime: per-patch time by batch and graph form, and the time per op';

/** One entry of onnxruntime's profile (Chrome trace format). */
interface ProfileEvent { cat: string; name: string; dur: number; args?: { op_name?: string } }

const ROUNDS = 5;

export async function run(): Promise<void> {
  let ort: OrtModule;
  try {
    ort = loadOrt();
  } catch (err) {
    console.log(`skipped: ${(err as Error).message}`);
    return;
  }
  const model = await readModel(resolveModelDir('default'));
  const { bins, frames, channelsIn } = model.config;
  const sessionOptions: OrtSessionOptions = { executionMode: 'sequential', interOpNumThreads: 1, intraOpNumThreads: 1, graphOptimizationLevel: 'all' };
  const input = (batch: number): OrtTensor => new ort.Tensor('float32',
    new Float32Array(batch * bins * frames * channelsIn).map((_, i) => ((i * 7919) % 1000) / 1000), [batch, bins, frames, channelsIn]);
  const perPatch = async (session: OrtSession, batch: number): Promise<number> => {
    const feeds = { [ONNX_INPUT]: input(batch) };
    await session.run(feeds);
    const runs = Math.max(2, Math.round(16 / batch));
    const t0 = performance.now();
    for (let r = 0; r < runs; r++) await session.run(feeds);
    return (performance.now() - t0) / (runs * batch);
  };
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

  const forms = ['convtranspose', 'subpixel'] as const;
  const sessions = await Promise.all(forms.map((deconv) => ort.InferenceSession.create(buildUNetOnnx(model.config, model.weights, { deconv }), sessionOptions)));
  const batches = [1, 2, 4, 8];
  const times = new Map<string, number[]>();
  for (let round = 0; round < ROUNDS; round++) {
    for (let f = 0; f < forms.length; f++) {
      for (const batch of f === 0 ? batches : [4]) {
        const key = `${forms[f]}, batch ${batch}`;
        times.set(key, [...(times.get(key) ?? []), await perPatch(sessions[f], batch)]);
      }
    }
  }
  await Promise.all(sessions.map((s) => s.release()));
  console.log(`one intra-op thread, ${ROUNDS} alternating rounds, median ms per patch (min–max):`);
  for (const [key, ms] of times) console.log(`  ${key.padEnd(24)} ${median(ms).toFixed(1)} ms (${Math.min(...ms).toFixed(1)}–${Math.max(...ms).toFixed(1)})`);

  // onnxruntime's profile: the kernel time of each node, the graph as the onnx engine builds it.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vocal-split-ort-profile-'));
  try {
    // Profiling options and endProfiling() are onnxruntime-node's, beyond the few members onnx-ort.ts types.
    const profiling = { ...sessionOptions, enableProfiling: true, profileFilePrefix: path.join(dir, 'profile') } as OrtSessionOptions;
    const profiled = await ort.InferenceSession.create(buildUNetOnnx(model.config, model.weights), profiling) as OrtSession & { endProfiling(): void };
    const batch = 4;
    const runs = 10;
    const feeds = { [ONNX_INPUT]: input(batch) };
    for (let r = 0; r < runs; r++) await profiled.run(feeds);
    profiled.endProfiling();
    await profiled.release();
    const file = fs.readdirSync(dir).find((f) => f.endsWith('.json'));
    if (!file) throw new Error('onnxruntime wrote no profile');
    const events = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as ProfileEvent[];
    const byNode = new Map<string, number>();
    for (const e of events) {
      if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time')) continue;
      const key = `${e.name.replace(/_kernel_time$/, '')} (${e.args?.op_name ?? '?'})`;
      byNode.set(key, (byNode.get(key) ?? 0) + e.dur);
    }
    const patches = runs * batch; // every run is in the profile, the first (warm-up) one too
    const rows = [...byNode].sort((a, b) => b[1] - a[1]);
    const total = rows.reduce((sum, [, us]) => sum + us, 0);
    console.log(`onnxruntime profile, batch ${batch}: ${(total / patches / 1000).toFixed(1)} ms of kernels per patch; the largest:`);
    for (const [node, us] of rows.slice(0, 12)) console.log(`  ${(us / patches / 1000).toFixed(2).padStart(6)} ms  ${node}`);
    const byOp = new Map<string, number>();
    for (const [node, us] of rows) {
      const op = /\(([^)]+)\)$/.exec(node)?.[1] ?? '?';
      byOp.set(op, (byOp.get(op) ?? 0) + us);
    }
    console.log(`  by op: ${[...byOp].sort((a, b) => b[1] - a[1]).map(([op, us]) => `${op} ${(us / patches / 1000).toFixed(1)} ms`).join(', ')}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
