/**
 * The onnx engine's worker thread (started by onnx.ts as dist/lib/model/backends/onnx-worker.js).
 * onnxruntime-node runs a session on the thread that calls run() (its async run() only defers the
 * work to setImmediate), so the session lives here and the main thread's event loop stays free.
 * Requests are handled strictly one after the other, in the order they arrive; each is answered
 * with its id, and failures are answered as messages, never thrown (the worker stays usable).
 */
import { parentPort } from 'node:worker_threads';
import { BackendUnavailableError } from '../errors';
import { FromWorker, OrtModule, OrtSession, ToWorker, loadOrt } from './onnx-ort';

if (!parentPort) throw new Error('onnx-worker.js must be started as a worker_threads Worker (see onnx.ts)');
const port = parentPort;

let ort: OrtModule | undefined;
let session: OrtSession | undefined;
let io = { inputName: '', outputName: '', dims: [0, 0, 0] as readonly [number, number, number] };
let closing = false;
let queue: Promise<void> = Promise.resolve();

function reply(msg: FromWorker, transfer: ArrayBuffer[] = []): void {
  port.postMessage(msg, transfer);
}

function fail(id: number, err: unknown, unavailable = false): void {
  reply({ type: 'error', id, message: err instanceof Error ? err.message : String(err), ...(unavailable ? { unavailable } : {}) });
}

async function init(msg: Extract<ToWorker, { type: 'init' }>): Promise<void> {
  try {
    ort = loadOrt();
  } catch (err) {
    fail(msg.id, err, err instanceof BackendUnavailableError);
    return;
  }
  try {
    session = await ort.InferenceSession.create(msg.model, msg.options);
    io = { inputName: msg.inputName, outputName: msg.outputName, dims: msg.dims };
    reply({ type: 'ready', id: msg.id, version: ort.env.versions?.node ?? ort.env.versions?.common ?? '?' });
  } catch (err) {
    fail(msg.id, err);
  }
}

async function run(msg: Extract<ToWorker, { type: 'run' }>): Promise<void> {
  if (!session || !ort || closing) {
    fail(msg.id, new Error(closing ? 'onnx engine is disposed' : 'onnx session is not initialised'));
    return;
  }
  try {
    const [bins, frames, channelsIn] = io.dims;
    const result = await session.run({ [io.inputName]: new ort.Tensor('float32', msg.input, [msg.batch, bins, frames, channelsIn]) });
    const data = result[io.outputName]?.data;
    if (!(data instanceof Float32Array) || data.length !== msg.input.length) {
      throw new Error(`onnxruntime returned an unexpected '${io.outputName}' output`);
    }
    // Transfer the output's buffer when the array is all of it; otherwise send a copy that is.
    const own = data.buffer instanceof ArrayBuffer && data.byteOffset === 0 && data.byteLength === data.buffer.byteLength;
    const mask = own ? data : data.slice();
    reply({ type: 'result', id: msg.id, mask }, [mask.buffer as ArrayBuffer]);
  } catch (err) {
    fail(msg.id, err);
  }
}

async function release(msg: Extract<ToWorker, { type: 'release' }>): Promise<void> {
  const s = session;
  session = undefined;
  try {
    if (s) await s.release();
    reply({ type: 'released', id: msg.id });
  } catch (err) {
    fail(msg.id, err);
  }
}

port.on('message', (msg: ToWorker) => {
  switch (msg.type) {
    case 'init': queue = queue.then(() => init(msg)); break;
    case 'run': queue = queue.then(() => run(msg)); break;
    case 'release':
      closing = true; // runs not started yet are answered "disposed", not computed
      queue = queue.then(() => release(msg));
      break;
  }
});
