import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { NodeMessage } from 'node-red';
import { resample } from '../lib/audio/resample';
import { stft } from '../lib/dsp/stft';
import type { Spectrogram } from '../lib/dsp/types';
import { cachedEngineCount, createBackend } from '../lib/model/backends';
import { MODEL_RESAMPLING } from '../lib/model/signal-framing';
import { createRandomModel } from '../lib/model/weights-io';
import { computeMask, type Mask } from '../lib/separate';
import unetMaskInit from '../nodes/unet-mask/unet-mask';
import { editorAccepts, editorDefinitions, helper, loadFlow, localized, nextMessage, nodeFile, recordStatuses, smallTestModel } from './support/node-red';
import { catchNode, expectCaught, expectRuntimeRejects, mir1kClip, standardFlow, underTest } from './support/node-specs';
import { expectedAutoBackend } from './support/test-backends';

const TYPE = 'vocal-split-unet-mask';
const node = localized(unetMaskInit, TYPE);
type MaskMsg = NodeMessage & { payload: Mask; spectrogram: Spectrogram; filename?: string };

let spectrogram: Spectrogram;

/** Waits until the node shows its idle status (the model is loaded). */
async function loaded(): Promise<string> {
  const statuses = recordStatuses(underTest());
  for (let i = 0; i < 200; i++) {
    const last = statuses.at(-1);
    if (last && last.fill === 'green') return last.text ?? '';
    if (last && last.fill === 'red') throw new Error(`model failed: ${last.text}`);
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('the model did not load');
}

describe('vocal-split-unet-mask node', function () {
  let model: string;
  before(async function () {
    model = await smallTestModel();
    spectrogram = stft(await resample(await mir1kClip(), 44100, MODEL_RESAMPLING), { fftSize: 4096, hop: 1024 });
  });
  afterEach(async function () {
    await helper.unload();
    assert.equal(cachedEngineCount(), 0, 'every engine freed once the nodes closed');
  });

  it('loads the model and shows its backend while idle', async function () {
    await loadFlow([node, catchNode], standardFlow(TYPE, { name: 'mask it', model, backend: 'auto', concurrency: '1' }));
    assert.equal(await loaded(), await expectedAutoBackend());
    assert.equal(cachedEngineCount(), 1);
  });

  it('the editor accepts a model, a known backend and a concurrency in 1..64, and nothing else', function () {
    const def = editorDefinitions(nodeFile(TYPE).replace(/\.js$/, '.html')).get(TYPE);
    assert.ok(def);
    assert.equal(def.defaults.model.value, 'default');
    assert.ok(editorAccepts(def, 'model', '/some/folder'));
    assert.ok(!editorAccepts(def, 'model', ''));
    assert.ok(!editorAccepts(def, 'model', '   '));
    for (const ok of ['auto', 'cuda', 'onnx', 'tfjs-node', 'wasm']) assert.ok(editorAccepts(def, 'backend', ok), ok);
    assert.ok(!editorAccepts(def, 'backend', 'gpu'));
    for (const ok of ['1', '4', '64']) assert.ok(editorAccepts(def, 'concurrency', ok), ok);
    for (const bad of ['0', '65', '1.5', '', 'two']) assert.ok(!editorAccepts(def, 'concurrency', bad), bad);
  });

  for (const [setting, value, pattern] of [
    ['backend', 'gpu', /backend must be auto, cuda, onnx, tfjs-node, wasm or cpu, got 'gpu'/],
    ['concurrency', '0', /concurrency must be an integer from 1 to 64, got '0'/],
  ] as const) {
    it(`refuses ${setting} '${value}' at runtime`, async function () {
      await loadFlow([node, catchNode], standardFlow(TYPE, { model, backend: 'auto', concurrency: '1', [setting]: value }));
      await expectRuntimeRejects(pattern);
    });
  }

  it('a model that does not exist: red status, and each message fails with the reason', async function () {
    await loadFlow([node, catchNode], standardFlow(TYPE, { model: 'no-such-model', backend: 'auto' }));
    await assert.rejects(loaded(), /no model named 'no-such-model'/);
    await expectCaught({ payload: spectrogram } as NodeMessage, /no model named 'no-such-model'/);
  });

  it('masks a real MIR-1K clip exactly as lib computeMask does; the spectrogram goes along in msg.spectrogram', async function () {
    await loadFlow([node, catchNode], standardFlow(TYPE, { model, backend: 'onnx' }));
    await loaded();
    const statuses = recordStatuses(underTest());
    const received = nextMessage<MaskMsg>(helper.getNode('out'));
    underTest().receive({ payload: spectrogram, filename: 'Kenshin_2_10.wav', topic: 't' } as NodeMessage);
    const msg = await received;
    const backend = await createBackend(model, { backend: 'onnx' });
    const expected = await computeMask(spectrogram, backend);
    await backend.dispose();
    assert.equal(msg.spectrogram, spectrogram);
    assert.equal(msg.payload.frames, spectrogram.frames);
    assert.deepEqual(msg.payload.vocals, expected.vocals);
    assert.equal(msg.filename, 'Kenshin_2_10.wav');
    assert.equal(msg.topic, 't');
    await new Promise((r) => setImmediate(r));
    assert.ok(statuses.some((s) => s.fill === 'blue' && /%/.test(s.text ?? '')), 'progress in percent');
    assert.deepEqual(statuses.at(-1), { fill: 'green', shape: 'ring', text: 'onnx' });
  });

  it("checks spectrograms against the framing in its model's model.json, not a constant", async function () {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vocal-split-unet-framing-'));
    try {
      await createRandomModel(dir, { bins: 64, frames: 64, baseFilters: 4, depth: 3, channelsIn: 1 }, { seed: 5, framing: { fftSize: 2048, hop: 512, sampleRate: 22050 } });
      await loadFlow([node, catchNode], standardFlow(TYPE, { model: dir, backend: 'onnx' }));
      await expectCaught({ payload: spectrogram } as NodeMessage, /needs a 2048\/512 spectrogram at 22050 Hz, this one is 4096\/1024 at 44100 Hz/);
      const at22 = stft(await resample(await mir1kClip(), 22050, MODEL_RESAMPLING), { fftSize: 2048, hop: 512 });
      const good = nextMessage<MaskMsg>(helper.getNode('out'));
      underTest().receive({ payload: at22 } as NodeMessage);
      const mask = (await good).payload;
      assert.deepEqual([mask.fftSize, mask.hop, mask.sampleRate, mask.frames], [2048, 512, 22050, at22.frames]);
    } finally {
      await helper.unload();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  for (const [label, payload, pattern] of [
    ['a Buffer', Buffer.alloc(8), /must be a spectrogram .*got Buffer \(8 bytes\)/],
    ['audio', { sampleRate: 44100, channels: [new Float32Array(8)] }, /must be a spectrogram .*got audio/],
    ['a 2048/512 spectrogram', stft({ sampleRate: 44100, channels: [new Float32Array(4410)] }, { fftSize: 2048, hop: 512 }),
      /needs a 4096\/1024 spectrogram at 44100 Hz, this one is 2048\/512 at 44100 Hz: set the stft node .*Resample to 44.1 kHz first/],
    ['a 16 kHz spectrogram', stft({ sampleRate: 16000, channels: [new Float32Array(4410)] }, { fftSize: 4096, hop: 1024 }),
      /this one is 4096\/1024 at 16000 Hz/],
  ] as const) {
    it(`reports ${label} through a catch node, and a good message after it still succeeds`, async function () {
      await loadFlow([node, catchNode], standardFlow(TYPE, { model }));
      await expectCaught({ payload } as unknown as NodeMessage, pattern);
      const good = nextMessage<MaskMsg>(helper.getNode('out'));
      underTest().receive({ payload: spectrogram } as NodeMessage);
      assert.equal((await good).payload.vocals.length, 2);
    });
  }
});
