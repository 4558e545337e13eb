/**
 * What loading a model at deploy costs Node-RED's event loop: each shipped model started on the onnx
 * engine from its folder (createBackend(folder): the main thread reads model.json, the first session's
 * worker thread reads the weights and builds the ONNX graph), against the same model read on the main
 * thread and handed over in memory (readModel, then createBackend(weights), which builds the graph on
 * the main thread: how every deploy loaded a model before); then the default model on the wasm engine
 * (the fallback without onnxruntime-node), whose worker reads the folder itself. A 10 ms timer
 * measures the longest pause.
 */
import { createBackend, type BackendName } from '../lib/model/backends';
import { resolveModelDir } from '../lib/model/locate';
import { readModel } from '../lib/model/model-folder';
import { watchEventLoopGap } from './event-loop-gap';

export const title = 'Model loading at deploy: the main thread\'s longest pause (onnx engine)';

async function measured(load: () => Promise<{ dispose(): Promise<void> }>): Promise<{ ms: number; pauseMs: number }> {
  const gap = watchEventLoopGap();
  const t0 = performance.now();
  const backend = await load();
  const ms = performance.now() - t0;
  await new Promise((resolve) => setTimeout(resolve, 30));
  const pauseMs = gap.stop();
  await backend.dispose();
  return { ms, pauseMs };
}

export async function run(): Promise<void> {
  const runs: Array<[string, BackendName, number]> = [['default', 'onnx', 3], ['mir1k-protocol', 'onnx', 3], ['default', 'wasm', 2]];
  for (const [name, backend, rounds] of runs) {
    const dir = resolveModelDir(name);
    for (let round = 0; round < rounds; round++) {
      const folder = await measured(() => createBackend(dir, { backend }));
      const onMain = await measured(async () => createBackend(await readModel(dir), { backend }));
      console.log(`${name} on ${backend}: from its folder ${folder.ms.toFixed(0)} ms, longest pause ${folder.pauseMs.toFixed(0)} ms` +
        ` · read on the main thread ${onMain.ms.toFixed(0)} ms, longest pause ${onMain.pauseMs.toFixed(0)} ms`);
    }
  }
}
