/**
 * The onnx engine's worker thread (started by onnx.ts as dist/lib/model/backends/onnx-worker.js).
 * onnxruntime-node runs a session on the thread that calls run() (its async run() only defers the
 * work to setImmediate), so the session lives here and the main thread's event loop stays free.
 * Requests are served by hostEngine (engine-host.ts): one run at a time, in order. Given a model
 * folder, it reads the weights and builds the graph itself (no tfjs is loaded here).
 */
import { ModelFolder, readModelFolder } from '../model-folder';
import { buildUNetOnnx } from '../onnx/graph';
import { hostEngine } from './engine-host';
import { OnnxInit, loadOrt } from './onnx-ort';

/**
 * A model folder's graph, read and serialised in this thread (hundreds of milliseconds of CPU that
 * would otherwise pause the main thread at every deploy). The session makes its own copy, so the graph
 * can be sent back for the engine's other sessions (init.returnGraph).
 */
async function graphOf(folder: ModelFolder): Promise<Uint8Array> {
  const model = await readModelFolder(folder); // ModelError naming the file at fault
  return buildUNetOnnx(model.config, model.weights);
}

hostEngine<OnnxInit>(async (init) => {
  const ort = loadOrt(); // BackendUnavailableError when it cannot load in this thread
  const graph = init.model instanceof Uint8Array ? init.model : await graphOf(init.model);
  const session = await ort.InferenceSession.create(graph, init.options); // the session holds its own copy
  const [bins, frames, channelsIn] = init.dims;
  return {
    info: ort.env.versions?.node ?? ort.env.versions?.common ?? '?',
    ...(init.returnGraph && !(init.model instanceof Uint8Array) ? { graph } : {}),
    engine: {
      async run(input, batch) {
        const result = await session.run({ [init.inputName]: new ort.Tensor('float32', input, [batch, bins, frames, channelsIn]) });
        const data = result[init.outputName]?.data;
        if (!(data instanceof Float32Array) || data.length !== input.length) {
          throw new Error(`onnxruntime returned an unexpected '${init.outputName}' output`);
        }
        return data;
      },
      release: () => session.release(),
    },
  };
});
