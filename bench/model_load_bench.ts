/**
 * What a deploy costs Node-RED's event loop: loading each shipped model on the onnx engine, with a
 * 10 ms timer measuring the longest pause of the main thread (beyond its period). createBackend(folder)
 * reads the weights and serialises the ONNX graph in a worker thread; for comparison, the same model
 * read on the main thread (readModel) and handed over in memory, which builds the graph there too.
 */
import { createBackend } from '../lib/model/backends';
import { resolveModelDir } from '../lib/model/locate';
import { readModel } from '../lib/model/weights-io';
import { watchEventLoopGap } from './event-loop-gap';

export const title = 'Model loading at deploy: the main thread\'s longest pause (onnx engine)';

async function measured(load: () => Promise<{ dispose(): Promise<void> }>): Promise<{ ms: number; gapMs: number }> {
  const gap = watchEventLoopGap();
  const t0 = performance.now();
  const backend = await load();
  const ms = performance.now() - t0;
  await new Promise((resolve) => setTimeout(resolve, 20));
  const gapMs = gap.stop();
  await backend.dispose();
  return { ms, gapMs };
}

export async function run(): Promise<void> {
  for (const name of ['default', 'mir1k-protocol']) {
    const dir = resolveModelDir(name);
    for (let round = 0; round < 2; round++) {
      const offThread = await measured(() => createBackend(dir, { backend: 'onnx' }));
      const onMain = await measured(async () => createBackend(await readModel(dir), { backend: 'onnx' }));
      console.log(`${name}: folder (worker thread) ${offThread.ms.toFixed(0)} ms, longest pause ${offThread.gapMs.toFixed(0)} ms` +
        ` · read on the main thread ${onMain.ms.toFixed(0)} ms, longest pause ${onMain.gapMs.toFixed(0)} ms`);
    }
  }
}
