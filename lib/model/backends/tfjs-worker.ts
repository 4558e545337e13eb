/**
 * The tfjs wasm/cpu engine's worker thread (started by tfjs-worker-engine.ts as
 * dist/lib/model/backends/tfjs-worker.js): the TfjsEngine of tfjs.ts, on this thread's own tfjs,
 * served by hostEngine (engine-host.ts): one run at a time, in order.
 */
import { hostEngine } from './engine-host';
import { TfjsEngine, type TfjsWorkerInit } from './tfjs';

hostEngine<TfjsWorkerInit>(async ({ name, model }) => {
  const engine = await TfjsEngine.create(name, model);
  return {
    info: engine.description,
    engine: { run: (input, batch) => engine.predictMask(input, batch), release: () => engine.dispose() },
  };
});
