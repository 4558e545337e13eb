/**
 * The worker side of an engine hosted in a worker thread (see worker-engine.ts): starts the engine
 * from the init request, then computes runs strictly one after the other, in the order they
 * arrive. Each request is answered with its id; failures are answered as messages, never thrown
 * (the worker stays usable). A release waits for the run in progress, skips the runs queued
 * behind it, and frees the engine, so that nothing computes when the main thread terminates the worker.
 */
import { parentPort } from 'node:worker_threads';
import { BackendUnavailableError, ModelError } from '../errors';
import type { FromEngineWorker, ToEngineWorker } from './engine-protocol';

/** A started engine, as its worker script provides it. */
export interface HostedEngine {
  /** Masks for `batch` patches of `input` (the same layout and length). */
  run(input: Float32Array, batch: number): Promise<Float32Array>;
  release(): Promise<void>;
}

/** Serves the main thread's requests with the engine `start` makes from the init request. */
export function hostEngine<Init>(start: (init: Init) => Promise<{ engine: HostedEngine; info: string; graph?: Uint8Array }>): void {
  if (!parentPort) throw new Error('an engine worker script must be started as a worker_threads Worker (see worker-engine.ts)');
  const port = parentPort;
  let engine: HostedEngine | undefined;
  let closing = false;
  let queue: Promise<void> = Promise.resolve();

  const reply = (msg: FromEngineWorker, transfer: ArrayBuffer[] = []): void => port.postMessage(msg, transfer);
  const fail = (id: number, err: unknown): void => reply({
    type: 'error', id, message: err instanceof Error ? err.message : String(err),
    ...(err instanceof BackendUnavailableError ? { unavailable: true } : {}),
    ...(err instanceof ModelError ? { modelCode: err.code } : {}),
  });

  const init = async (id: number, payload: Init): Promise<void> => {
    try {
      const started = await start(payload);
      engine = started.engine;
      const { graph } = started;
      reply({ type: 'ready', id, info: started.info, ...(graph ? { graph } : {}) }, graph ? [graph.buffer as ArrayBuffer] : []);
    } catch (err) {
      fail(id, err);
    }
  };

  const run = async (id: number, input: Float32Array, batch: number): Promise<void> => {
    if (!engine || closing) {
      fail(id, new Error(closing ? 'the engine is disposed' : 'the engine is not initialised'));
      return;
    }
    try {
      const data = await engine.run(input, batch);
      // Transfer the output's buffer when the array is all of it; otherwise send a copy that is.
      const own = data.buffer instanceof ArrayBuffer && data.byteOffset === 0 && data.byteLength === data.buffer.byteLength;
      const mask = own ? data : data.slice();
      reply({ type: 'result', id, mask }, [mask.buffer as ArrayBuffer]);
    } catch (err) {
      fail(id, err);
    }
  };

  const release = async (id: number): Promise<void> => {
    const e = engine;
    engine = undefined;
    try {
      if (e) await e.release();
      reply({ type: 'released', id });
    } catch (err) {
      fail(id, err);
    }
  };

  port.on('message', (msg: ToEngineWorker<Init>) => {
    switch (msg.type) {
      case 'init': queue = queue.then(() => init(msg.id, msg.init)); break;
      case 'run': queue = queue.then(() => run(msg.id, msg.input, msg.batch)); break;
      case 'release':
        closing = true; // runs not started yet are answered "disposed", not computed
        queue = queue.then(() => release(msg.id));
        break;
    }
  });
}
