/**
 * Failure modes a long-running Node-RED meets, each in a real runtime: paths from messages that
 * try to leave the node's folder, inputs over the size and duration limits, model folders that are
 * missing, corrupt or of another architecture, and redeploys / removal / stop in the middle of a
 * job or a live stream (no unhandled rejection, engines and tensors back to baseline).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { NodeMessage } from 'node-red';
import { resample } from '../lib/audio/resample';
import type { AudioData } from '../lib/audio/types';
import { cachedEngineCount } from '../lib/model/backends';
import { encodePcm } from '../lib/stream/pcm';
import decodeInit from '../nodes/decode/decode';
import vocalSplitInit from '../nodes/vocal-split/vocal-split';
import { FIXTURES, REPO_ROOT, helper, loadFlow, localized, nextMessage, recordStatuses, smallTestModel, type FlowNode } from './support/node-red';
import { catchNode, expectCaught, mir1kClip, standardFlow, underTest, type CaughtMsg } from './support/node-specs';

const decodeNode = localized(decodeInit, 'vocal-split-decode');
const splitNode = localized(vocalSplitInit, 'vocal-split');

/**
 * Collects unhandled rejections and uncaught exceptions while `body` runs. `body` ends with every
 * engine freed, and an engine is freed only once its calls in flight have settled; Node reports an
 * unhandled rejection right after the microtasks of the turn it happened in, so one more turn
 * (setImmediate) is enough for any of them to show.
 */
async function noUnhandled(body: () => Promise<void>): Promise<void> {
  const seen: unknown[] = [];
  const onRejection = (reason: unknown): void => { seen.push(reason); };
  process.on('unhandledRejection', onRejection);
  process.on('uncaughtException', onRejection);
  try {
    await body();
    assert.equal(cachedEngineCount(), 0, 'every engine freed: nothing is in flight any more');
    await new Promise((r) => setImmediate(r));
  } finally {
    process.removeListener('unhandledRejection', onRejection);
    process.removeListener('uncaughtException', onRejection);
  }
  assert.deepEqual(seen.map(String), [], 'no unhandled rejection or uncaught exception');
}

describe('hardening', function () {
  this.timeout(120_000);
  let model: string;
  before(async function () { model = await smallTestModel(); });
  afterEach(async function () {
    await helper.unload();
    assert.equal(cachedEngineCount(), 0, 'every engine freed once the nodes closed');
  });

  describe('paths from messages stay inside the node\'s folder', function () {
    let folder: string;
    let outside: string;
    before(function () {
      const root = fs.mkdtempSync(path.join(os.tmpdir(), 'vocal-split-paths-'));
      folder = path.join(root, 'music');
      fs.mkdirSync(path.join(folder, 'sub'), { recursive: true });
      fs.copyFileSync(path.join(FIXTURES, 'audio', 'mp3_stereo_44k.mp3'), path.join(folder, 'song.mp3'));
      outside = path.join(root, 'secret.mp3');
      fs.copyFileSync(path.join(FIXTURES, 'audio', 'mp3_stereo_44k.mp3'), outside);
      fs.symlinkSync(outside, path.join(folder, 'link.mp3'));
      process.on('exit', () => fs.rmSync(root, { recursive: true, force: true }));
    });

    for (const [type, node, outputs] of [['vocal-split-decode', decodeNode, 1], ['vocal-split', splitNode, 2]] as const) {
      it(`${type}: reads a file inside, refuses .., absolute paths outside, and links leading out`, async function () {
        await loadFlow([node, catchNode], standardFlow(type, { folder, model, backend: 'onnx', output: 'audio' }, outputs));
        const ok = nextMessage<NodeMessage & { payload: AudioData }>(helper.getNode('out'));
        underTest().receive({ payload: 'song.mp3' });
        assert.equal((await ok).payload.sampleRate, 44100, 'a relative path inside the folder is read');
        const ok2 = nextMessage<NodeMessage & { payload: AudioData }>(helper.getNode('out'));
        underTest().receive({ payload: path.join(folder, 'song.mp3') });
        await ok2;
        await expectCaught({ payload: '../secret.mp3' }, /'\.\.' is not allowed/);
        await expectCaught({ payload: 'sub/../song.mp3' }, /'\.\.' is not allowed/);
        // Outside, or leading outside: the same words as a missing file (see node_caps_spec).
        await expectCaught({ payload: outside }, /no such file in the node's folder/);
        await expectCaught({ payload: '/etc/passwd' }, /no such file in the node's folder/);
        await expectCaught({ payload: 'link.mp3' }, /no such file in the node's folder/);
        await expectCaught({ payload: 'missing.mp3' }, /no such file in the node's folder/);
      });
    }

    it('with no folder set, reads no file named in a message', async function () {
      await loadFlow([decodeNode, catchNode], standardFlow('vocal-split-decode', {}, 1));
      await expectCaught({ payload: path.join(FIXTURES, 'audio', 'mp3_stereo_44k.mp3') }, /reads no files named in messages: set its Folder/);
    });
  });

  describe('limits', function () {
    it('refuses bytes and files over Max size before decoding them', async function () {
      await loadFlow([decodeNode, catchNode], standardFlow('vocal-split-decode', { maxMegabytes: '0.01', folder: FIXTURES }, 1));
      await expectCaught({ payload: fs.readFileSync(path.join(FIXTURES, 'audio', 'mp3_stereo_44k.mp3')) }, /over the 10485-byte limit/);
      await expectCaught({ payload: 'audio/mp3_stereo_44k.mp3' }, /over the 10485-byte limit/);
      const ok = nextMessage(helper.getNode('out'));
      underTest().receive({ payload: fs.readFileSync(path.join(FIXTURES, 'audio', 'opus_mono_16k.opus')) }); // 7.5 kB
      await ok;
    });

    it('refuses audio longer than Max length, in bytes and as audio, before separating', async function () {
      await loadFlow([splitNode, catchNode], standardFlow('vocal-split', { model, backend: 'onnx', maxSeconds: '2' }, 2));
      const clip = await mir1kClip('Kenshin_2_10.wav');
      await expectCaught({ payload: clip }, /over the 2 s limit/);
      await expectCaught({ payload: fs.readFileSync(path.join(FIXTURES, 'mir1k-sample', 'Wavfile', 'Kenshin_2_10.wav')) }, /longer than|over the 2/);
    });

    it('refuses a max size that is not a positive number of megabytes at deploy time', async function () {
      await loadFlow([decodeNode, catchNode], standardFlow('vocal-split-decode', { maxMegabytes: '-5' }, 1));
      const caught = nextMessage<CaughtMsg>(helper.getNode('caught'));
      underTest().receive({ payload: Buffer.alloc(10) });
      assert.match((await caught).error.message, /max size must be more than 0 and at most 4096 MB, got '-5'/);
    });
  });

  describe('model folders that cannot load: a clear error naming the file, at deploy time', function () {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'vocal-split-bad-models-'));
    after(function () { fs.rmSync(root, { recursive: true, force: true }); });
    const shipped = path.join(REPO_ROOT, 'models', 'default');
    const cases: Array<[string, () => string, RegExp]> = [
      ['missing', () => path.join(root, 'nowhere'), /nowhere[/\\]model\.json: cannot read the model/],
      ['corrupt model.json', () => {
        const d = path.join(root, 'json');
        fs.mkdirSync(d);
        fs.writeFileSync(path.join(d, 'model.json'), '{ not json');
        return d;
      }, /json[/\\]model\.json: not valid JSON/],
      ['truncated weights.bin', () => {
        const d = path.join(root, 'trunc');
        fs.mkdirSync(d);
        fs.copyFileSync(path.join(shipped, 'model.json'), path.join(d, 'model.json'));
        fs.writeFileSync(path.join(d, 'weights.bin'), fs.readFileSync(path.join(shipped, 'weights.bin')).subarray(0, 1_000_000));
        return d;
      }, /trunc[/\\]model\.json: weight .* runs past the end of the weight data .*truncated weights\.bin/],
      ['another architecture', () => {
        const d = path.join(root, 'arch');
        fs.mkdirSync(d);
        const json = JSON.parse(fs.readFileSync(path.join(shipped, 'model.json'), 'utf8')) as { userDefinedMetadata: { vocalSplit: { config: { depth: number } } } };
        json.userDefinedMetadata.vocalSplit.config.depth = 5;
        fs.writeFileSync(path.join(d, 'model.json'), JSON.stringify(json));
        fs.copyFileSync(path.join(shipped, 'weights.bin'), path.join(d, 'weights.bin'));
        return d;
      }, /arch[/\\]model\.json: weight .* has shape .* expected/],
    ];
    for (const [name, make, pattern] of cases) {
      it(name, async function () {
        const dir = make();
        await loadFlow([splitNode, catchNode], standardFlow('vocal-split', { model: dir, backend: 'onnx' }, 2));
        const node = underTest() as unknown as import('node:events').EventEmitter;
        const statuses = recordStatuses(node);
        const errors: string[] = [];
        node.on('call:error', (call: { args: unknown[] }) => errors.push(String(call.args[0])));
        for (let i = 0; i < 500 && errors.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
        assert.equal(errors.length, 1, 'one error at deploy, before any message');
        assert.match(errors[0], pattern);
        await new Promise((r) => setImmediate(r));
        assert.ok(statuses.some((s) => s.fill === 'red'), 'red status');
        await expectCaught({ payload: Buffer.alloc(8) }, pattern); // and each message says why
      });
    }
  });

  describe('redeploy, removal and stop in the middle of the work', function () {
    const song = async (): Promise<AudioData> => {
      const clip = await resample(await mir1kClip('annar_4_02.wav'), 44100);
      return { sampleRate: 44100, channels: clip.channels.map((ch) => Float32Array.from({ length: 40 * 44100 }, (_, i) => ch[i % ch.length])) };
    };
    const flow = (extra: Record<string, unknown> = {}, backend = 'onnx'): FlowNode[] => [
      { id: 'tab', type: 'tab', label: 't' },
      { id: 'split', z: 'tab', type: 'vocal-split', model, backend, output: 'audio', ...extra, wires: [['vocals'], ['accompaniment']] },
      { id: 'vocals', z: 'tab', type: 'helper' },
      { id: 'accompaniment', z: 'tab', type: 'helper' },
    ];
    const started = (id: string): Promise<void> => new Promise((resolve) => {
      (helper.getNode(id) as unknown as import('node:events').EventEmitter).on('call:status', (call: { args: Array<{ text?: string }> }) => {
        if (/^[1-9]\d* %/.test(call.args[0].text ?? '')) resolve();
      });
    });

    // onnx holds no tfjs tensors (its session lives in a worker); wasm does, so it shows a tensor leak.
    for (const backend of ['onnx', 'wasm']) {
      it(`a full redeploy while a song is separated: the job ends, the new node works, nothing leaks (${backend})`, async function () {
        const tensors = tf.memory().numTensors;
        await noUnhandled(async () => {
          await helper.load(splitNode, flow({}, backend) as never);
          const running = started('split');
          helper.getNode('split').receive({ payload: await song() });
          await running;
          // The wasm engine computes in a worker thread of its own: none of its tensors live on this thread.
          assert.equal(tf.memory().numTensors, tensors, 'the wasm engine\'s weights are in its worker');
          await helper.setFlows(flow({ name: 'changed' }, backend) as never, 'full');
          const out = nextMessage<NodeMessage & { payload: AudioData }>(helper.getNode('vocals'));
          helper.getNode('split').receive({ payload: await mir1kClip('Kenshin_2_10.wav') });
          assert.equal((await out).payload.sampleRate, 16000, 'the redeployed node separates');
          assert.equal(cachedEngineCount(), 1, 'one engine: the new node\'s (the old one was freed)');
          await helper.setFlows([{ id: 'tab', type: 'tab', label: 't' }] as never, 'full'); // the node removed
          assert.equal(cachedEngineCount(), 0, 'the engine freed with its last node');
        });
        assert.equal(tf.memory().numTensors, tensors, 'no tensors left behind');
      });
    }

    it('Node-RED stopping while a song is separated and a live stream is open', async function () {
      await noUnhandled(async () => {
        await helper.load(splitNode, [...flow(), { id: 'live', z: 'tab', type: 'vocal-split', model, backend: 'onnx', mode: 'stream', wires: [['vocals'], ['accompaniment']] }] as never);
        const running = started('split');
        helper.getNode('split').receive({ payload: await song() });
        const pcm = encodePcm((await song()).channels.map((c) => c.subarray(0, 5 * 44100)), 's16le');
        for (let at = 0; at < pcm.length; at += 17640) helper.getNode('live').receive({ topic: 'radio', payload: pcm.subarray(at, at + 17640) });
        await running;
        await helper.unload();
        assert.equal(cachedEngineCount(), 0);
      });
    });
  });
});
