/**
 * Run as a child process by engine_worker_spec: disposes an onnx engine while a long batch runs in
 * its worker, and prints (last line, JSON) what the worker said before it ended and how the
 * request settled. A child, because terminating a worker in the middle of an onnxruntime run can
 * abort the whole process natively: the spec must see that as a failure, not die of it.
 */
import type { Worker } from 'node:worker_threads';
import { randomWeights, type UNetConfig } from '../../lib/model';
import { OnnxEngine } from '../../lib/model/backends/onnx';
import { randomInput } from './numeric';

/** ~10 ms a patch on one core: a batch of 40 runs for about half a second. */
const MID: UNetConfig = { bins: 256, frames: 128, baseFilters: 16, depth: 6, channelsIn: 1 };
const BATCH = 40;

async function main(): Promise<void> {
  const engine = await OnnxEngine.create(randomWeights(MID, 5), 1);
  const worker = (engine as unknown as { worker: Worker }).worker;
  // What the worker sends, in order, and when it ends ('exit').
  const events: string[] = [];
  worker.on('message', (msg: { type: string }) => events.push(msg.type));
  worker.on('exit', () => events.push('exit'));
  const per = MID.bins * MID.frames * MID.channelsIn;
  const request = engine.predictMask(randomInput(BATCH * per, 3), BATCH).then(() => 'resolved', (err: Error) => err.message);
  // Posted right after the run: the worker has started the run when it reads the release.
  await engine.dispose();
  events.push('disposed');
  process.stdout.write(`${JSON.stringify({ events, request: await request })}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
