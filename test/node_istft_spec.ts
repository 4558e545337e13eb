import assert from 'node:assert/strict';
import type { NodeMessage } from 'node-red';
import type { AudioData } from '../lib/audio/types';
import { resample } from '../lib/audio/resample';
import { istft } from '../lib/dsp/istft';
import { stft } from '../lib/dsp/stft';
import { MODEL_RESAMPLING } from '../lib/model/signal-framing';
import istftInit from '../nodes/istft/istft';
import { editorAccepts, editorDefinitions, helper, loadFlow, localized, nextMessage, nodeFile } from './support/node-red';
import { catchNode, expectCaught, expectRuntimeRejects, maxAbsDiff, mir1kClip, standardFlow, underTest } from './support/node-specs';

const TYPE = 'vocal-split-istft';
const node = localized(istftInit, TYPE);
type AudioMsg = NodeMessage & { payload: AudioData; stem?: string };

describe('vocal-split-istft node', function () {
  afterEach(() => helper.unload());

  it('loads with its name and settings', async function () {
    await loadFlow(node, [{ id: 'istft-1', type: TYPE, name: 'back', rate: 'spectrogram', wires: [] }]);
    assert.equal((helper.getNode('istft-1') as unknown as { name: string }).name, 'back');
  });

  it('the editor accepts original or spectrogram rates only', function () {
    const def = editorDefinitions(nodeFile(TYPE).replace(/\.js$/, '.html')).get(TYPE);
    assert.ok(def);
    assert.ok(editorAccepts(def, 'rate', 'original'));
    assert.ok(editorAccepts(def, 'rate', 'spectrogram'));
    assert.ok(!editorAccepts(def, 'rate', '44100'));
  });

  it('refuses an unknown rate setting at runtime', async function () {
    await loadFlow([node, catchNode], standardFlow(TYPE, { rate: 'fast' }));
    await expectRuntimeRejects(/sample rate must be 'original' or 'spectrogram', got 'fast'/);
  });

  it('gives a real MIR-1K clip back from its spectrogram, to float precision, and passes msg properties through', async function () {
    await loadFlow([node, catchNode], standardFlow(TYPE, { rate: 'spectrogram' }));
    const clip = await mir1kClip();
    const received = nextMessage<AudioMsg>(helper.getNode('out'));
    underTest().receive({ payload: stft(clip, { fftSize: 4096, hop: 1024 }), stem: 'vocals', filename: 'k.wav' } as NodeMessage);
    const msg = await received;
    assert.ok(maxAbsDiff(msg.payload, clip) < 1e-5);
    assert.equal(msg.stem, 'vocals');
    assert.equal(msg.filename, 'k.wav');
  });

  it('goes back to msg.originalSampleRate (as the stft node set it) the way separate() does', async function () {
    await loadFlow([node, catchNode], standardFlow(TYPE, { rate: 'original' }));
    const clip = await mir1kClip();
    const at44 = await resample(clip, 44100, MODEL_RESAMPLING);
    const spec = stft(at44, { fftSize: 4096, hop: 1024 });
    const received = nextMessage<AudioMsg>(helper.getNode('out'));
    underTest().receive({ payload: spec, originalSampleRate: 16000 } as NodeMessage);
    const msg = await received;
    assert.equal(msg.payload.sampleRate, 16000);
    assert.equal(msg.payload.channels[0].length, clip.channels[0].length);
    assert.deepEqual(msg.payload, await resample(istft(spec), 16000, MODEL_RESAMPLING));
  });

  for (const [label, payload, pattern] of [
    ['a string', 'spectrogram', /must be a spectrogram .*got string/],
    ['a mask', { fftSize: 4096, hop: 1024, vocals: [] }, /must be a spectrogram .*got mask/],
    ['a spectrogram with the wrong number of frames', { ...stft({ sampleRate: 8000, channels: [new Float32Array(800)] }, { fftSize: 256, hop: 64 }), frames: 3 },
      /spectrogram says 3 frames × 129 bins; 800 samples at 256\/64 need 15 × 129/],
  ] as const) {
    it(`reports ${label} through a catch node, and a good message after it still succeeds`, async function () {
      await loadFlow([node, catchNode], standardFlow(TYPE));
      await expectCaught({ payload } as unknown as NodeMessage, pattern);
      const good = nextMessage<AudioMsg>(helper.getNode('out'));
      underTest().receive({ payload: stft({ sampleRate: 8000, channels: [new Float32Array(800)] }, { fftSize: 256, hop: 64 }) } as NodeMessage);
      assert.equal((await good).payload.channels[0].length, 800);
    });
  }
});
