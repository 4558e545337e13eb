/**
 * createBackend reads a model folder in a worker thread (read-model-off-thread.ts), with its ONNX
 * graph for onnx: a deploy does not stall Node-RED's event loop for the weights' decoding and the
 * graph's serialisation. Checked by counting, on the main thread, the calls of the two functions
 * that do that work, while the engine still gives the masks of a model loaded the old way.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createBackend, type BackendName } from '../lib/model/backends';
import { ModelError } from '../lib/model/errors';
import * as onnxGraph from '../lib/model/onnx/graph';
import * as weightsIo from '../lib/model/weights-io';
import { maxAbsDiff, randomInput } from './support/numeric';

const SMALL = { bins: 64, frames: 64, baseFilters: 4, depth: 3, channelsIn: 1 };

/** Counts the main thread's calls of readModel and buildUNetOnnx while `work` runs (the modules' exports are what the library calls). */
async function countingMainThreadLoads<T>(work: () => Promise<T>): Promise<{ result: T; readModel: number; buildUNetOnnx: number }> {
  const io = weightsIo as { readModel: typeof weightsIo.readModel };
  const graph = onnxGraph as { buildUNetOnnx: typeof onnxGraph.buildUNetOnnx };
  const originals = { readModel: io.readModel, buildUNetOnnx: graph.buildUNetOnnx };
  const calls = { readModel: 0, buildUNetOnnx: 0 };
  io.readModel = (...args) => { calls.readModel++; return originals.readModel(...args); };
  graph.buildUNetOnnx = (...args) => { calls.buildUNetOnnx++; return originals.buildUNetOnnx(...args); };
  try {
    const result = await work();
    return { result, ...calls };
  } finally {
    io.readModel = originals.readModel;
    graph.buildUNetOnnx = originals.buildUNetOnnx;
  }
}

describe('model loading off the main thread', function () {
  this.timeout(60_000);
  let dir: string;
  before(async function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vocal-split-offthread-model-'));
    await weightsIo.createRandomModel(dir, SMALL, { seed: 11 });
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  for (const name of ['onnx', 'wasm'] as BackendName[]) {
    it(`${name}: createBackend(folder) neither reads the weights nor builds the ONNX graph on the main thread, and its masks are those of the model read in memory`, async function () {
      const { result: backend, readModel, buildUNetOnnx } = await countingMainThreadLoads(() => createBackend(dir, { backend: name }));
      const inMemory = await createBackend(await weightsIo.readModel(dir), { backend: name });
      try {
        assert.equal(readModel, 0, 'readModel ran on the main thread');
        assert.equal(buildUNetOnnx, 0, 'buildUNetOnnx ran on the main thread');
        assert.deepEqual(backend.config, inMemory.config);
        assert.deepEqual(backend.framing, inMemory.framing);
        const input = randomInput(2 * SMALL.bins * SMALL.frames, 3);
        const [a, b] = await Promise.all([backend.predictMask(input, 2), inMemory.predictMask(input, 2)]);
        assert.equal(maxAbsDiff(a, b), 0, 'the same masks, bit for bit');
      } finally {
        await backend.dispose();
        await inMemory.dispose();
      }
    });
  }

  it('a missing or damaged model folder fails with the ModelError readModel gives (class, code and message)', async function () {
    const damaged = fs.mkdtempSync(path.join(os.tmpdir(), 'vocal-split-offthread-damaged-'));
    try {
      for (const f of fs.readdirSync(dir)) fs.copyFileSync(path.join(dir, f), path.join(damaged, f));
      const weights = path.join(damaged, 'weights.bin');
      fs.truncateSync(weights, fs.statSync(weights).size - 100);
      for (const folder of [damaged, path.join(damaged, 'absent')]) {
        const expected = await weightsIo.readModel(folder).then(() => undefined, (e: unknown) => e as ModelError);
        assert.ok(expected instanceof ModelError, `readModel refuses ${folder}`);
        await assert.rejects(createBackend(folder, { backend: 'onnx' }), (e: unknown) => {
          assert.ok(e instanceof ModelError, `a ModelError, got ${String(e)}`);
          assert.equal(e.code, expected.code);
          assert.equal(e.message, expected.message);
          return true;
        });
      }
    } finally {
      fs.rmSync(damaged, { recursive: true, force: true });
    }
  });
});
