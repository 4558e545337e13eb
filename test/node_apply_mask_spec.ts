import assert from 'node:assert/strict';
import type { NodeMessage } from 'node-red';
import { stft } from '../lib/dsp/stft';
import type { Spectrogram } from '../lib/dsp/types';
import { createBackend } from '../lib/model/backends';
import { applyMask, computeMask, type Mask } from '../lib/separate';
import applyMaskInit from '../nodes/apply-mask/apply-mask';
import { editorAccepts, editorDefinitions, helper, loadFlow, localized, nextMessage, nodeFile, smallTestModel } from './support/node-red';
import { catchNode, expectCaught, expectRuntimeRejects, mir1kClip, standardFlow, underTest } from './support/node-specs';

const TYPE = 'vocal-split-apply-mask';
const node = localized(applyMaskInit, TYPE);
type StemMsg = NodeMessage & { payload: Spectrogram; stem: string; spectrogram?: unknown; filename?: string };

describe('vocal-split-apply-mask node', function () {
  let spectrogram: Spectrogram;
  let mask: Mask;
  before(async function () {
    // The MIR-1K clip at its own 16 kHz: apply-mask only needs a mask on the spectrogram's grid.
    spectrogram = stft(await mir1kClip('annar_4_02.wav'), { fftSize: 4096, hop: 1024 });
    const backend = await createBackend(await smallTestModel(), { backend: 'onnx' });
    mask = await computeMask({ ...spectrogram, sampleRate: 44100 }, backend);
    mask = { ...mask, sampleRate: spectrogram.sampleRate };
    await backend.dispose();
  });
  afterEach(() => helper.unload());

  it('loads with its name and settings', async function () {
    await loadFlow(node, [{ id: 'apply-1', type: TYPE, name: 'vox', stem: 'vocals', wires: [] }]);
    assert.equal((helper.getNode('apply-1') as unknown as { name: string }).name, 'vox');
  });

  it('the editor accepts vocals, accompaniment or both (two outputs), and nothing else', function () {
    let stemInForm = 'both';
    const $ = (): { val(): string } => ({ val: () => stemInForm });
    const def = editorDefinitions(nodeFile(TYPE).replace(/\.js$/, '.html'), { $ }).get(TYPE);
    assert.ok(def);
    for (const ok of ['vocals', 'accompaniment', 'both']) assert.ok(editorAccepts(def, 'stem', ok), ok);
    for (const bad of ['drums', '', 'Vocals']) assert.ok(!editorAccepts(def, 'stem', bad), bad);
    const save = def.oneditsave as (this: { outputs?: number }) => void;
    const node: { outputs?: number } = {};
    save.call(node);
    assert.equal(node.outputs, 2);
    stemInForm = 'accompaniment';
    save.call(node);
    assert.equal(node.outputs, 1);
  });

  it('refuses an unknown stem at runtime', async function () {
    await loadFlow([node, catchNode], standardFlow(TYPE, { stem: 'drums' }));
    await expectRuntimeRejects(/stem must be vocals, accompaniment or both, got 'drums'/);
  });

  it('sends the vocals of a real MIR-1K clip exactly as lib applyMask does, drops msg.spectrogram, passes the rest through', async function () {
    await loadFlow([node, catchNode], standardFlow(TYPE, { stem: 'vocals' }));
    const received = nextMessage<StemMsg>(helper.getNode('out'));
    underTest().receive({ payload: mask, spectrogram, filename: 'annar_4_02.wav', topic: 't' } as NodeMessage);
    const msg = await received;
    assert.equal(msg.stem, 'vocals');
    assert.deepEqual(msg.payload.re, applyMask(spectrogram, mask, 'vocals').re);
    assert.equal('spectrogram' in msg, false);
    assert.equal(msg.filename, 'annar_4_02.wav');
    assert.equal(msg.topic, 't');
  });

  it('with both: vocals on output 1 and accompaniment on output 2, summing to the mixture', async function () {
    await loadFlow([node, catchNode], standardFlow(TYPE, { stem: 'both', outputs: 2 }, 2));
    const vocals = nextMessage<StemMsg>(helper.getNode('out'));
    const accompaniment = nextMessage<StemMsg>(helper.getNode('out2'));
    underTest().receive({ payload: mask, spectrogram, topic: 'both' } as NodeMessage);
    const [v, a] = await Promise.all([vocals, accompaniment]);
    assert.equal(v.stem, 'vocals');
    assert.equal(a.stem, 'accompaniment');
    assert.equal(a.topic, 'both');
    assert.deepEqual(a.payload.im, applyMask(spectrogram, mask, 'accompaniment').im);
    let maxErr = 0;
    for (let c = 0; c < 2; c++) {
      const mix = spectrogram.re[c];
      for (let i = 0; i < mix.length; i++) maxErr = Math.max(maxErr, Math.abs(v.payload.re[c][i] + a.payload.re[c][i] - mix[i]));
    }
    assert.ok(maxErr < 1e-5, `vocals + accompaniment = mixture (max error ${maxErr})`);
  });

  it('an accompaniment-only node sends the accompaniment', async function () {
    await loadFlow([node, catchNode], standardFlow(TYPE, { stem: 'accompaniment' }));
    const received = nextMessage<StemMsg>(helper.getNode('out'));
    underTest().receive({ payload: mask, spectrogram } as NodeMessage);
    assert.equal((await received).stem, 'accompaniment');
  });

  for (const [label, bad, pattern] of [
    ['a spectrogram in payload', (): NodeMessage => ({ payload: spectrogram, spectrogram }), /msg.payload must be a mask .*got spectrogram/],
    ['no msg.spectrogram', (): NodeMessage => ({ payload: mask }), /msg.spectrogram must be the spectrogram .*got undefined/],
    ['a mask of another clip (mismatched)', (): NodeMessage => ({ payload: mask, spectrogram: stft({ sampleRate: 16000, channels: [new Float32Array(16000), new Float32Array(16000)] }, { fftSize: 4096, hop: 1024 }) }),
      /mask and spectrogram differ in length/],
    ['a mono mask on a stereo spectrogram', (): NodeMessage => ({ payload: { ...mask, vocals: [mask.vocals[0]] }, spectrogram }), /mask has 1 channels, the spectrogram 2/],
  ] as const) {
    it(`reports ${label} through a catch node, and a good message after it still succeeds`, async function () {
      await loadFlow([node, catchNode], standardFlow(TYPE, { stem: 'vocals' }));
      await expectCaught(bad(), pattern);
      const good = nextMessage<StemMsg>(helper.getNode('out'));
      underTest().receive({ payload: mask, spectrogram } as NodeMessage);
      assert.equal((await good).stem, 'vocals');
    });
  }
});
