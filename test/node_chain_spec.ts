/**
 * The nodes together in the real runtime: the six-node chain equals the all-in-one node and the
 * library call; per-node queues and concurrency; one model per process; close during a job.
 */
import assert from 'node:assert/strict';
import type { NodeMessage } from 'node-red';
import * as tf from '@tensorflow/tfjs';
import { decodeAudio } from '../lib/audio/decode';
import { encodeWav } from '../lib/audio/encode';
import { resample } from '../lib/audio/resample';
import type { AudioData } from '../lib/audio/types';
import { cachedEngineCount, createBackend } from '../lib/model/backends';
import { MODEL_RESAMPLING } from '../lib/model/signal-framing';
import { separate } from '../lib/separate';
import { helper, loadFlow, nextMessages, recordCompletions, recordLogs, recordStatuses, smallTestModel, type FlowNode } from './support/node-red';
import { ALL_NODES } from './support/all-nodes';
import { maxAbsDiff, mir1kClip } from './support/node-specs';

type Msg<T> = NodeMessage & { payload: T; stem: string; filename?: string };

/** decode → stft → unet-mask → apply-mask (both) → istft → encode, beside a vocal-split node; one catch node for all. */
function chainFlow(model: string, bitDepth = '32'): FlowNode[] {
  return [
    { id: 'c-decode', type: 'vocal-split-decode', maxSeconds: '600', wires: [['c-stft']] },
    { id: 'c-stft', type: 'vocal-split-stft', fftSize: '4096', hop: '1024', resample: true, wires: [['c-mask']] },
    { id: 'c-mask', type: 'vocal-split-unet-mask', model, backend: 'onnx', concurrency: '1', wires: [['c-apply']] },
    { id: 'c-apply', type: 'vocal-split-apply-mask', stem: 'both', outputs: 2, wires: [['c-istft'], ['c-istft']] },
    { id: 'c-istft', type: 'vocal-split-istft', rate: 'original', wires: [['c-encode']] },
    { id: 'c-encode', type: 'vocal-split-encode', bitDepth, rate: '', wires: [['chain-out']] },
    { id: 'chain-out', type: 'helper' },
    { id: 'all-in-one', type: 'vocal-split', model, backend: 'onnx', output: 'wav', bitDepth, rate: '', concurrency: '1', maxSeconds: '600', wires: [['aio-vocals'], ['aio-accompaniment']] },
    { id: 'aio-vocals', type: 'helper' },
    { id: 'aio-accompaniment', type: 'helper' },
    { id: 'catcher', type: 'catch', scope: null, wires: [['caught']] },
    { id: 'caught', type: 'helper' },
  ];
}

function failOnCatch(): Promise<never> {
  return new Promise((_, reject) => helper.getNode('caught').once('input', (m: { error: { message: string; source: { id: string } } }) =>
    reject(new Error(`${m.error.source.id}: ${m.error.message}`))));
}

async function runBoth(bytes: Buffer): Promise<{ chain: Record<string, AudioData>; aio: Record<string, AudioData>; props: Msg<Buffer>[] }> {
  const chainOut = nextMessages<Msg<Buffer>>(helper.getNode('chain-out'), 2);
  const vocals = nextMessages<Msg<Buffer>>(helper.getNode('aio-vocals'), 1);
  const accompaniment = nextMessages<Msg<Buffer>>(helper.getNode('aio-accompaniment'), 1);
  const failed = failOnCatch();
  helper.getNode('c-decode').receive({ payload: bytes, filename: 'song.wav', topic: 'chain' });
  helper.getNode('all-in-one').receive({ payload: bytes, filename: 'song.wav', topic: 'aio' });
  const [c, [v], [a]] = await Promise.race([Promise.all([chainOut, vocals, accompaniment]), failed]);
  const chain: Record<string, AudioData> = {};
  for (const m of c) chain[m.stem] = await decodeAudio(m.payload);
  return { chain, aio: { vocals: await decodeAudio(v.payload), accompaniment: await decodeAudio(a.payload) }, props: [...c, v, a] };
}

describe('vocal split nodes together', function () {
  let model: string;
  before(async function () { model = await smallTestModel(); });
  afterEach(async function () {
    await helper.unload();
    assert.equal(cachedEngineCount(), 0, 'every engine freed once the nodes closed');
  });

  it('the chain decode → stft → unet-mask → apply-mask → istft → encode gives the stems of vocal-split and of separate() within 1e-6 (44.1 kHz)', async function () {
    await loadFlow(ALL_NODES, chainFlow(model));
    // A real song at 44.1 kHz: a MIR-1K clip, as 32-bit float WAV bytes.
    const song = await resample(await mir1kClip('Kenshin_2_10.wav'), 44100);
    const { chain, aio, props } = await runBoth(encodeWav(song, { bitDepth: 32 }));
    const backend = await createBackend(model, { backend: 'onnx' });
    const expected = await separate(song, backend);
    await backend.dispose();
    for (const stem of ['vocals', 'accompaniment'] as const) {
      const chainErr = maxAbsDiff(chain[stem], expected[stem]);
      const aioErr = maxAbsDiff(aio[stem], expected[stem]);
      assert.ok(chainErr <= 1e-6, `chain ${stem} differs from separate() by ${chainErr}`);
      assert.ok(aioErr <= 1e-6, `vocal-split ${stem} differs from separate() by ${aioErr}`);
    }
    for (const m of props) assert.equal(m.filename, 'song.wav');
    assert.deepEqual(props.map((m) => m.topic).sort(), ['aio', 'aio', 'chain', 'chain']);
  });

  it('at 16 kHz the chain resamples for the model and back, and its vocals still equal vocal-split\'s', async function () {
    await loadFlow(ALL_NODES, chainFlow(model));
    const clip = await mir1kClip('bug_5_07.wav');
    const { chain, aio } = await runBoth(encodeWav(clip, { bitDepth: 32 }));
    assert.equal(chain.vocals.sampleRate, 16000);
    assert.equal(chain.vocals.channels[0].length, clip.channels[0].length);
    assert.ok(maxAbsDiff(chain.vocals, aio.vocals) <= 1e-6);
    // The accompaniments differ by exactly the resampler's round trip 16 → 44.1 → 16 kHz of the mixture:
    // vocal-split takes mixture − vocals at the input's rate, the chain resamples the masked accompaniment.
    const roundTrip = await resample(await resample(clip, 44100, MODEL_RESAMPLING), 16000, MODEL_RESAMPLING);
    let maxErr = 0;
    clip.channels.forEach((mix, c) => {
      for (let i = 0; i < mix.length; i++) {
        const chainMinusAio = chain.accompaniment.channels[c][i] - aio.accompaniment.channels[c][i];
        maxErr = Math.max(maxErr, Math.abs(chainMinusAio - (roundTrip.channels[c][i] - mix[i])));
      }
    });
    assert.ok(maxErr <= 1e-5, `chain − vocal-split accompaniment = resampling round-trip error (to ${maxErr})`);
  });

  it('loads a model once per process, whatever the number of nodes, and frees it when they close', async function () {
    await loadFlow(ALL_NODES, [
      ...chainFlow(model),
      { id: 'second-split', type: 'vocal-split', model, backend: 'auto', wires: [[], []] },
      { id: 'second-mask', type: 'vocal-split-unet-mask', model, backend: 'onnx', wires: [[]] },
    ]);
    const nodes = ['c-mask', 'all-in-one', 'second-split', 'second-mask'].map((id) => recordStatuses(helper.getNode(id)));
    while (!nodes.every((s) => s.some((x) => x.fill === 'green'))) await new Promise((r) => setTimeout(r, 5));
    assert.equal(cachedEngineCount(), 1);
  });

  it('a node closed while its model is still loading frees it too', async function () {
    await loadFlow(ALL_NODES, [{ id: 'split', type: 'vocal-split', model, backend: 'wasm', wires: [[], []] }]);
    // afterEach unloads at once and checks that no engine is left.
  });

  for (const concurrency of [1, 2]) {
    it(`queues messages and runs ${concurrency} at once (concurrency ${concurrency}), each result on its own message`, async function () {
      await loadFlow(ALL_NODES, [
        { id: 'split', type: 'vocal-split', model, backend: 'onnx', output: 'audio', concurrency: String(concurrency), wires: [['vocals'], []] },
        { id: 'vocals', type: 'helper' },
      ]);
      const statuses = recordStatuses(helper.getNode('split'));
      const clips = ['Ani_1_06.wav', 'bug_5_07.wav', 'annar_4_02.wav', 'Kenshin_2_10.wav'];
      const audio = await Promise.all(clips.map((c) => mir1kClip(c)));
      const received = nextMessages<Msg<AudioData>>(helper.getNode('vocals'), clips.length);
      clips.forEach((topic, i) => helper.getNode('split').receive({ payload: audio[i], topic }));
      const results = await received;
      for (const msg of results) {
        const i = clips.indexOf(msg.topic as string);
        assert.equal(msg.payload.channels[0].length, audio[i].channels[0].length, `${msg.topic} got its own result`);
      }
      if (concurrency === 1) assert.deepEqual(results.map((m) => m.topic), clips, 'one at a time, in order');
      const texts = statuses.map((s) => s.text ?? '');
      assert.ok(texts.some((t) => /queued/.test(t)), `the status shows waiting messages (${texts.join(' | ')})`);
      assert.equal(texts.some((t) => /×2/.test(t)), concurrency === 2, 'two jobs at once only with concurrency 2');
      assert.ok(!texts.some((t) => /×3/.test(t)));
    });
  }

  for (const backend of ['onnx', 'wasm'] as const) {
    it(`close during a job (${backend}): the separation stops, queued messages are dropped with done(), nothing leaks`, async function () {
      const tensorsBefore = tf.memory().numTensors;
      await loadFlow(ALL_NODES, [
        { id: 'split', type: 'vocal-split', model, backend, output: 'audio', wires: [['vocals'], ['accompaniment']] },
        { id: 'vocals', type: 'helper' },
        { id: 'accompaniment', type: 'helper' },
        { id: 'catcher', type: 'catch', scope: null, wires: [['caught']] },
        { id: 'caught', type: 'helper' },
      ]);
      const split = helper.getNode('split');
      const logs = recordLogs(split);
      let outputs = 0;
      let caught = 0;
      helper.getNode('vocals').on('input', () => { outputs++; });
      helper.getNode('caught').on('input', () => { caught++; });
      const { completions, stop } = recordCompletions();
      try {
        // A minute of music at 44.1 kHz: many batches.
        const clip = await resample(await mir1kClip('annar_4_02.wav'), 44100);
        const song: AudioData = { sampleRate: 44100, channels: clip.channels.map((ch) => Float32Array.from({ length: 60 * 44100 }, (_, i) => ch[i % ch.length])) };
        const progressed = new Promise<void>((resolve) => {
          (split as unknown as import('node:events').EventEmitter).on('call:status', (call: { args: Array<{ text?: string }> }) => {
            if (/^[1-9]\d* %/.test(call.args[0].text ?? '')) resolve();
          });
        });
        for (const topic of ['running', 'queued-1', 'queued-2']) split.receive({ payload: song, topic });
        await progressed; // the first message is part-way through its separation
        await split.close(true); // what a redeploy that removes the node does
        assert.equal(outputs, 0, 'nothing sent');
        assert.equal(caught, 0, 'no error for a closing node');
        const ended = completions.filter((c) => c.nodeId === 'split');
        assert.deepEqual(ended.map((c) => c.msg.topic).sort(), ['queued-1', 'queued-2', 'running']);
        assert.ok(ended.every((c) => c.error === undefined), 'each finished with done() and no error');
        await new Promise((r) => setImmediate(r));
        assert.deepEqual(logs, ['closed: 1 running job(s) aborted, 2 queued message(s) dropped']);
        assert.equal(cachedEngineCount(), 0, 'the engine is freed');
        assert.equal(tf.memory().numTensors, tensorsBefore, 'no tensors left behind');
      } finally {
        stop();
      }
    });
  }
});
