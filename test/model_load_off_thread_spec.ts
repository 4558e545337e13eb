/**
 * createBackend(folder) reads only model.json on the main thread: on the onnx engine the first
 * session's worker thread reads the weights and builds the ONNX graph (onnx-worker.ts) and the other
 * sessions start from copies of it; the wasm engine's worker reads the weights itself (tfjs-worker.ts).
 * So a deploy does not stall Node-RED's event loop. Checked by counting the main thread's calls of the two functions
 * that do that work, while the engine gives the masks of the model read in memory, and every damaged
 * folder fails with the ModelError readModel gives, whichever thread finds the damage.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createBackend } from '../lib/model/backends';
import { ModelError } from '../lib/model/errors';
import * as modelFolder from '../lib/model/model-folder';
import * as onnxGraph from '../lib/model/onnx/graph';
import { createRandomModel } from '../lib/model/weights-io';
import { maxAbsDiff, randomInput } from './support/numeric';

const SMALL = { bins: 64, frames: 64, baseFilters: 4, depth: 3, channelsIn: 1 };

/** Counts the main thread's calls of readModel and buildUNetOnnx while `work` runs (the modules' exports are what the library calls). */
async function countingMainThreadLoads<T>(work: () => Promise<T>): Promise<{ result: T; readModel: number; buildUNetOnnx: number }> {
  const folder = modelFolder as { readModel: typeof modelFolder.readModel };
  const graph = onnxGraph as { buildUNetOnnx: typeof onnxGraph.buildUNetOnnx };
  const originals = { readModel: folder.readModel, buildUNetOnnx: graph.buildUNetOnnx };
  const calls = { readModel: 0, buildUNetOnnx: 0 };
  folder.readModel = (...args) => { calls.readModel++; return originals.readModel(...args); };
  graph.buildUNetOnnx = (...args) => { calls.buildUNetOnnx++; return originals.buildUNetOnnx(...args); };
  try {
    const result = await work();
    return { result, ...calls };
  } finally {
    folder.readModel = originals.readModel;
    graph.buildUNetOnnx = originals.buildUNetOnnx;
  }
}

/** A copy of the model folder `from`, damaged by `damage(weightsPath)`. */
function damagedCopy(from: string, damage: (weights: string) => void): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vocal-split-damaged-model-'));
  for (const f of fs.readdirSync(from)) fs.copyFileSync(path.join(from, f), path.join(dir, f));
  damage(path.join(dir, modelFolder.WEIGHTS_BIN));
  return dir;
}

describe('model loading off the main thread (onnx, wasm)', function () {
  this.timeout(60_000);
  let dir: string;
  before(async function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vocal-split-offthread-model-'));
    await createRandomModel(dir, SMALL, { seed: 11 });
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  for (const name of ['onnx', 'wasm'] as const) {
    it(`${name}: createBackend(folder) neither reads the weights nor builds the ONNX graph on the main thread, and its masks are those of the model read in memory`, async function () {
      const { result: backend, readModel, buildUNetOnnx } = await countingMainThreadLoads(() => createBackend(dir, { backend: name }));
      const inMemory = await createBackend(await modelFolder.readModel(dir), { backend: name });
      try {
        assert.equal(readModel, 0, 'readModel ran on the main thread');
        assert.equal(buildUNetOnnx, 0, 'buildUNetOnnx ran on the main thread');
        assert.deepEqual(backend.config, inMemory.config);
        assert.deepEqual(backend.framing, inMemory.framing);
        const input = randomInput(2 * SMALL.bins * SMALL.frames, 3);
        // onnx: two requests at once go to both sessions (the first one's worker built the graph, the other started from its copy).
        const [a1, a2, b] = await Promise.all([backend.predictMask(input, 2), backend.predictMask(input, 2), inMemory.predictMask(input, 2)]);
        assert.equal(maxAbsDiff(a1, b), 0, 'the same masks, bit for bit');
        assert.equal(maxAbsDiff(a2, b), 0, 'the same masks, bit for bit, from the other session');
      } finally {
        await backend.dispose();
        await inMemory.dispose();
      }
    });
  }

  const damages: Array<[string, (weights: string) => void]> = [
    // Found on the main thread (model.json and the files' sizes).
    ['a truncated weights.bin', (w) => fs.truncateSync(w, fs.statSync(w).size - 100)],
    ['a missing weights.bin', (w) => fs.rmSync(w)],
    // Found only by the session workers, which read the values.
    ['a NaN weight', (w) => { const fd = fs.openSync(w, 'r+'); fs.writeSync(fd, Buffer.from(new Float32Array([NaN]).buffer), 0, 4, 4 * 5); fs.closeSync(fd); }],
  ];
  for (const [what, damage] of damages) {
    it(`a folder with ${what} fails with the ModelError readModel gives (class, code and message): onnx, wasm, auto`, async function () {
      const damaged = damagedCopy(dir, damage);
      try {
        const expected = await modelFolder.readModel(damaged).then(() => undefined, (e: unknown) => e as ModelError);
        assert.ok(expected instanceof ModelError, `readModel refuses ${what}`);
        for (const backend of ['onnx', 'wasm', 'auto'] as const) {
          await assert.rejects(createBackend(damaged, { backend }), (e: unknown) => {
            assert.ok(e instanceof ModelError, `${backend}: a ModelError, got ${String(e)}`);
            assert.equal(e.code, expected.code);
            assert.equal(e.message, expected.message);
            return true;
          });
        }
      } finally {
        fs.rmSync(damaged, { recursive: true, force: true });
      }
    });
  }

  it('a missing folder fails with readModel\'s ModelError', async function () {
    const absent = path.join(dir, 'absent');
    const expected = await modelFolder.readModel(absent).then(() => undefined, (e: unknown) => e as ModelError);
    assert.ok(expected instanceof ModelError);
    await assert.rejects(createBackend(absent, { backend: 'onnx' }), (e: unknown) => e instanceof ModelError && e.code === expected.code && e.message === expected.message);
  });
});
