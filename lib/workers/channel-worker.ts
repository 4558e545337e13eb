/**
 * The helper thread of channel-split.ts (dist/lib/workers/channel-worker.js): separates the channels
 * it is given, writes both stems into the shared arrays as their samples become final and says how
 * far they are, and asks its parent for every mask.
 */
import { parentPort } from 'node:worker_threads';
import { separate } from '../separate/separator';
import type { FromChannelWorker, ToChannelWorker } from './channel-split';
import { RemoteBackend } from './remote-backend';
import { fromWire, toWire } from './wire-errors';

if (!parentPort) throw new Error('channel-worker.js must run as a worker thread (see channel-split.ts)');
const port = parentPort;
const asked = new Map<number, { resolve(mask: Float32Array): void; reject(err: Error): void }>();
let nextRid = 1;

function send(msg: FromChannelWorker, transfer: ArrayBuffer[] = []): void {
  port.postMessage(msg, transfer);
}

async function run(task: Extract<ToChannelWorker, { type: 'separate' }>): Promise<void> {
  const backend = new RemoteBackend(task.model, (request, transfer) => new Promise<Float32Array>((resolve, reject) => {
    const rid = nextRid++;
    asked.set(rid, { resolve, reject });
    send({ type: 'predict', rid, input: request.input, batch: request.batch }, transfer);
  }));
  const vocals = task.vocals.map((b) => new Float32Array(b));
  const accompaniment = task.accompaniment.map((b) => new Float32Array(b));
  let written = 0;
  await separate({ sampleRate: task.sampleRate, channels: task.input.map((b) => new Float32Array(b)) }, backend, {
    ...(task.batchSize !== undefined ? { batchSize: task.batchSize } : {}),
    onFinalSamples: (stems, upTo) => {
      stems.vocals.channels.forEach((c, i) => vocals[i].set(c.subarray(written, upTo), written));
      stems.accompaniment.channels.forEach((c, i) => accompaniment[i].set(c.subarray(written, upTo), written));
      written = upTo;
      send({ type: 'final', upTo });
    },
  });
}

port.on('message', (msg: ToChannelWorker) => {
  switch (msg.type) {
    case 'separate':
      run(msg).then(() => send({ type: 'done' }), (err: unknown) => send({ type: 'failed', error: toWire(err) }));
      break;
    case 'mask':
    case 'mask-failed': {
      const p = asked.get(msg.rid);
      asked.delete(msg.rid);
      if (msg.type === 'mask') p?.resolve(msg.mask);
      else p?.reject(fromWire(msg.error));
      break;
    }
  }
});
