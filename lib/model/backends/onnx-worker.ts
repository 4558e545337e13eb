/**
 * The onnx engine's worker thread (started by onnx.ts as dist/lib/model/backends/onnx-worker.js).
 * onnxruntime-node runs a session on the thread that calls run() (its async run() only defers the
 * work to setImmediate), so the session lives here and the main thread's event loop stays free.
 * Requests are served by hostEngine (engine-host.ts): one run at a time, in order.
 */
import { hostEngine } from './engine-host';
import { OnnxInit, loadOrt } from './onnx-ort';

hostEngine<OnnxInit>(async (init) => {
  const ort = loadOrt(); // BackendUnavailableError when it cannot load in this thread
  const session = await ort.InferenceSession.create(init.model, init.options);
  const [bins, frames, channelsIn] = init.dims;
  return {
    info: ort.env.versions?.node ?? ort.env.versions?.common ?? '?',
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
