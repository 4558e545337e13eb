/**
 * The tfjs wasm/cpu engine's worker thread (started by tfjs-worker-engine.ts as
 * dist/lib/model/backends/tfjs-worker.js): the TfjsEngine of tfjs.ts, on this thread's own tfjs,
 * served by hostEngine (engine-host.ts): one run at a time, in order. Given a model folder, it reads
 * the weights itself.
 */
import { readModelFolder } from '../model-folder';
import { hostEngine } from './engine-host';
import { TfjsEngine, type TfjsWorkerInit } from './tfjs';

hostEngine<TfjsWorkerInit>(async ({ name, model }) => {
  // A model folder is read here, not on the main thread (a deploy does not pause Node-RED for it).
  const engine = await TfjsEngine.create(name, 'weights' in model ? model : await readModelFolder(model));
  return {
    info: engine.description,
    engine: { run: (input, batch) => engine.predictMask(input, batch), release: () => engine.dispose() },
  };
});
