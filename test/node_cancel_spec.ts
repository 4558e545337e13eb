/**
 * Jobs whose requester went away stop, in the real Node-RED runtime: an HTTP upload whose client
 * hangs up mid-split (real sockets; the message carries msg.res as the http in node makes it, and
 * the core http response node answers the uploads that stay), a live stream dropped by a redeploy
 * mid-chunk, and a pool worker that dies under a job. Afterwards the shared worker pool is idle
 * within 1 s and nothing is left behind (streams, backend registrations, engines).
 */
import assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Node, NodeMessage } from 'node-red';
import { decodeAudio } from '../lib/audio/decode';
import { encodeWav } from '../lib/audio/encode';
import type { AudioData } from '../lib/audio/types';
import { cachedEngineCount, probeBackends } from '../lib/model/backends';
import { encodePcm } from '../lib/stream/pcm';
import { sharedAudioPool } from '../lib/workers';
import vocalSplitInit from '../nodes/vocal-split/vocal-split';
import { coreNode, helper, loadFlow, localized, recordLogs, recordStatuses, smallTestModel } from './support/node-red';
import { loopedSong as song } from './support/node-specs';

const splitNode = localized(vocalSplitInit, 'vocal-split');
const httpNodes = coreNode('network/21-httpin.js') as (red: import('node-red').NodeAPI) => void;

async function untilPoolIdle(limitMs: number): Promise<number> {
  const pool = sharedAudioPool();
  const t0 = performance.now();
  while (!pool.idle) {
    if (performance.now() - t0 > limitMs) throw new Error(`pool not idle after ${limitMs} ms: ${JSON.stringify(pool.stats())}`);
    await new Promise((r) => setTimeout(r, 10));
  }
  return performance.now() - t0;
}

/**
 * An HTTP server that hands each POST body to `node` as msg.payload, with msg.req and msg.res as the
 * http in node sets them (msg.res._res is the Express response the http response node answers on).
 */
async function uploadServer(node: () => Node): Promise<{ url: string; close(): Promise<void> }> {
  const express = require('express') as () => import('node:http').RequestListener & {
    post(path: string, ...handlers: Array<(req: http.IncomingMessage & { body?: Buffer }, res: http.ServerResponse) => void>): void;
  };
  const raw = (require('express') as { raw(o: object): (req: http.IncomingMessage, res: http.ServerResponse, next: () => void) => void }).raw({ type: () => true, limit: '100mb' });
  const app = express();
  app.post('/split', raw as never, (req, res) => {
    node().receive({ payload: req.body, req, res: { _res: res } } as unknown as NodeMessage);
  });
  const server = http.createServer(app);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/split`,
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

/** POSTs `body`; resolves with the answer, or with 'aborted' once `abort` resolves first (the client hangs up). */
function post(url: string, body: Buffer, abort?: Promise<void>): Promise<{ status: number; body: Buffer } | 'aborted'> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', agent: false, headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': body.length } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
    });
    req.on('error', (err) => (req.destroyed ? resolve('aborted') : reject(err)));
    req.on('close', () => { if (req.destroyed && !req.writableFinished) resolve('aborted'); });
    void abort?.then(() => {
      req.destroy();
      resolve('aborted');
    });
    req.end(body);
  });
}

describe('cancellation: jobs whose requester went away stop (Node-RED runtime, worker pool)', function () {
  this.timeout(120_000);
  let model: string;
  before(async function () {
    if (!(await probeBackends()).find((p) => p.name === 'onnx')?.available) this.skip();
    model = await smallTestModel();
  });
  afterEach(async function () {
    await helper.unload();
    await untilPoolIdle(1000);
    assert.equal(sharedAudioPool().stats().backends, 0, 'no backend left registered with the pool');
    assert.equal(cachedEngineCount(), 0, 'every engine freed once the nodes closed');
  });

  it('an upload whose HTTP client hangs up mid-split stops: the pool is idle within 1 s, nothing is sent; the next upload is answered', async function () {
    await loadFlow([splitNode, httpNodes], [
      { id: 'split', type: 'vocal-split', model, backend: 'onnx', output: 'wav', wires: [['answer'], ['out']] },
      { id: 'answer', type: 'http response', statusCode: '', headers: {} },
      { id: 'out', type: 'helper' },
    ]);
    const split = helper.getNode('split');
    const statuses = recordStatuses(split);
    const logs = recordLogs(split);
    let sent = 0;
    (helper.getNode('out') as unknown as import('node:events').EventEmitter).on('input', () => { sent++; });
    const server = await uploadServer(() => split);
    try {
      const long = encodeWav(await song(150), { bitDepth: 16 });
      // Hang up once the split is under way (the node shows its progress in blue).
      const underWay = (async () => {
        while (!statuses.some((s) => s.fill === 'blue' && /[1-9]\d*\s*%/.test(s.text ?? ''))) await new Promise((r) => setTimeout(r, 10));
      })();
      assert.equal(await post(server.url, long, underWay), 'aborted');
      const ms = await untilPoolIdle(1000);
      assert.ok(ms <= 1000, `idle after ${ms} ms`);
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(sent, 0, 'no stem was sent for the abandoned upload');
      assert.ok(logs.some((l) => /requester went away/.test(l)), `logs: ${logs.join(' | ')}`);

      const short = await song(3);
      const answer = await post(server.url, encodeWav(short, { bitDepth: 16 }));
      assert.notEqual(answer, 'aborted');
      if (answer === 'aborted') return;
      assert.equal(answer.status, 200);
      const vocals = await decodeAudio(answer.body);
      assert.equal(vocals.channels[0].length, short.channels[0].length, 'the next upload gets its whole vocals stem');
    } finally {
      await server.close();
    }
  });

  it('a live stream dropped by a redeploy mid-chunk leaves the pool idle within 1 s, with no stream left', async function () {
    await loadFlow(splitNode, [
      { id: 'split', type: 'vocal-split', model, backend: 'onnx', mode: 'stream', pcmEncoding: 's16le', pcmRate: '48000', pcmChannels: '2', wires: [['v'], ['a']] },
      { id: 'v', type: 'helper' },
      { id: 'a', type: 'helper' },
    ]);
    const split = helper.getNode('split');
    const audio = await song(8);
    let outputs = 0;
    (helper.getNode('v') as unknown as import('node:events').EventEmitter).on('input', () => { outputs++; });
    // 100 ms chunks until the stream has produced output, then a 1 s chunk and the redeploy at once (a live
    // chunk is cancelled cooperatively: the worker that holds every stream is never terminated).
    const chunk = 4800;
    for (let at = 0; outputs === 0; at += chunk) {
      split.receive({ topic: 'player-1', payload: encodePcm(audio.channels.map((c) => c.subarray(at, at + chunk)), 's16le') } as NodeMessage);
      await new Promise((r) => setTimeout(r, 30));
    }
    assert.equal(sharedAudioPool().stats().streams, 1);
    split.receive({ topic: 'player-1', payload: encodePcm(audio.channels.map((c) => c.subarray(0, 48000)), 's16le') } as NodeMessage);
    await new Promise((r) => setImmediate(r));
    // Within 1 s of the redeploy's end (stopping Node-RED itself takes longer on a busy machine).
    await helper.unload();
    await untilPoolIdle(1000);
    assert.equal(sharedAudioPool().stats().streams, 0, 'the stream\'s state in the worker is gone');
  });

  it('a pool worker that dies under a job fails that job with a clear error; the next job works', async function () {
    await loadFlow([splitNode, coreNode('common/25-catch.js') as (red: import('node-red').NodeAPI) => void], [
      { id: 'split', type: 'vocal-split', model, backend: 'onnx', output: 'audio', wires: [['v'], ['a']] },
      { id: 'v', type: 'helper' },
      { id: 'a', type: 'helper' },
      { id: 'errors', type: 'catch', scope: ['split'], wires: [['caught']] },
      { id: 'caught', type: 'helper' },
    ]);
    const split = helper.getNode('split');
    const statuses = recordStatuses(split);
    const caught = new Promise<{ error: { message: string } }>((r) => (helper.getNode('caught') as unknown as import('node:events').EventEmitter).once('input', r));
    // WAV bytes, not samples: the catch node deep-copies the message, which takes seconds for samples.
    split.receive({ payload: encodeWav(await song(120), { bitDepth: 16 }) } as NodeMessage);
    while (!statuses.some((s) => s.fill === 'blue' && /[1-9]\d*\s*%/.test(s.text ?? ''))) await new Promise((r) => setTimeout(r, 10));
    // Stands for a native fault or an out-of-memory kill of the worker thread running the job.
    const pool = (sharedAudioPool() as unknown as { pool: { fileSlots: Set<{ worker: import('node:worker_threads').Worker; tasks: Map<number, unknown> }> } }).pool;
    const busy = [...pool.fileSlots].find((s) => s.tasks.size > 0);
    assert.ok(busy, 'a file worker runs the job');
    await busy.worker.terminate();
    const { error } = await caught;
    assert.match(error.message, /the worker thread running this job crashed \(exit code 1\)/);
    assert.equal(statuses.at(-1)?.fill, 'red');

    const short = await song(2);
    const vocals = new Promise<NodeMessage>((r) => (helper.getNode('v') as unknown as import('node:events').EventEmitter).once('input', r));
    split.receive({ payload: short } as NodeMessage);
    const out = (await vocals).payload as AudioData;
    assert.equal(out.channels[0].length, short.channels[0].length);
  });
});
