import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { NodeMessage } from 'node-red';
import { decodeAudio } from '../lib/audio/decode';
import { encodeWav } from '../lib/audio/encode';
import { resample } from '../lib/audio/resample';
import type { AudioData } from '../lib/audio/types';
import { cachedEngineCount, createBackend } from '../lib/model/backends';
import { separate } from '../lib/separate';
import { sharedAudioPool } from '../lib/workers';
import vocalSplitInit from '../nodes/vocal-split/vocal-split';
import { MIR1K_SAMPLE, editorAccepts, editorDefinitions, helper, loadFlow, localized, nextMessage, nodeFile, recordStatuses, smallTestModel } from './support/node-red';
import { catchNode, expectCaught, expectRuntimeRejects, maxAbsDiff, mir1kClip, standardFlow, underTest } from './support/node-specs';
import { expectedAutoBackend } from './support/test-backends';

const TYPE = 'vocal-split';
const node = localized(vocalSplitInit, TYPE);
type StemMsg<T> = NodeMessage & { payload: T; stem: string; filename?: string; req?: unknown; res?: unknown };

/** Both outputs of the node under test for one message. */
async function stems<T>(send: NodeMessage): Promise<[StemMsg<T>, StemMsg<T>]> {
  const vocals = nextMessage<StemMsg<T>>(helper.getNode('out'));
  const accompaniment = nextMessage<StemMsg<T>>(helper.getNode('out2'));
  underTest().receive(send);
  return Promise.all([vocals, accompaniment]);
}

describe('vocal-split node', function () {
  let model: string;
  before(async function () { model = await smallTestModel(); });
  afterEach(async function () {
    await helper.unload();
    assert.equal(cachedEngineCount(), 0, 'every engine freed once the nodes closed');
  });

  it('loads the model and shows its backend while idle', async function () {
    await loadFlow([node, catchNode], standardFlow(TYPE, { name: 'karaoke', model, backend: 'auto' }, 2));
    const statuses = recordStatuses(underTest());
    while (!statuses.some((s) => s.fill === 'green')) await new Promise((r) => setTimeout(r, 5));
    assert.deepEqual(statuses.at(-1), { fill: 'green', shape: 'ring', text: await expectedAutoBackend() });
  });

  it('the editor accepts its settings and refuses bad ones', function () {
    const def = editorDefinitions(nodeFile(TYPE).replace(/\.js$/, '.html')).get(TYPE);
    assert.ok(def);
    assert.equal(def.outputs, 2);
    const cases: Array<[string, string[], string[]]> = [
      ['model', ['default', '/models/mine'], ['', ' ']],
      ['backend', ['auto', 'cuda', 'onnx', 'tfjs-node', 'wasm', 'cpu'], ['gpu', '']],
      ['output', ['auto', 'wav', 'audio'], ['mp3', '']],
      ['bitDepth', ['16', '24', '32'], ['8', '']],
      ['rate', ['', '16000', '48000'], ['0', 'x', '250000']],
      ['concurrency', ['1', '8'], ['0', '', '100']],
      ['maxSeconds', ['600', '1800'], ['0', '-1', '']],
    ];
    for (const [field, good, bad] of cases) {
      for (const v of good) assert.ok(editorAccepts(def, field, v), `${field} '${v}' accepted`);
      for (const v of bad) assert.ok(!editorAccepts(def, field, v), `${field} '${v}' refused`);
    }
  });

  for (const [setting, value, pattern] of [
    ['output', 'mp3', /output must be auto, wav or audio, got 'mp3'/],
    ['bitDepth', '12', /WAV format must be 16, 24 \(PCM\) or 32 \(float\), got '12'/],
    ['maxSeconds', '0', /max length must be more than 0/],
    ['concurrency', 'many', /concurrency must be an integer from 1 to 64, got 'many'/],
  ] as const) {
    it(`refuses ${setting} '${value}' at runtime`, async function () {
      await loadFlow([node, catchNode], standardFlow(TYPE, { model, [setting]: value }, 2));
      await expectRuntimeRejects(pattern);
    });
  }

  it('splits the bytes of a real MIR-1K clip into WAV bytes on two outputs; msg properties (req/res too) pass through', async function () {
    await loadFlow([node, catchNode], standardFlow(TYPE, { model, output: 'auto', bitDepth: '16' }, 2));
    const file = path.join(MIR1K_SAMPLE, 'Kenshin_2_10.wav');
    const req = { url: '/split' };
    const res = { _res: { statusCode: 200 } };
    const [v, a] = await stems<Buffer>({ payload: fs.readFileSync(file), filename: file, topic: 'song', req, res });
    for (const [msg, stem] of [[v, 'vocals'], [a, 'accompaniment']] as const) {
      assert.equal(msg.stem, stem);
      assert.ok(Buffer.isBuffer(msg.payload), `${stem} is WAV bytes`);
      assert.equal(msg.payload.toString('latin1', 0, 4), 'RIFF');
      assert.equal(msg.filename, file);
      assert.equal(msg.topic, 'song');
      assert.equal(msg.req, req);
      assert.equal(msg.res, res);
    }
    const clip = await mir1kClip();
    const vocals = await decodeAudio(v.payload);
    const accompaniment = await decodeAudio(a.payload);
    assert.equal(vocals.sampleRate, 16000);
    assert.equal(vocals.channels[0].length, clip.channels[0].length);
    // The stems add up to the mixture (to 16-bit rounding).
    let maxErr = 0;
    for (let c = 0; c < 2; c++) {
      for (let i = 0; i < clip.channels[c].length; i++) {
        maxErr = Math.max(maxErr, Math.abs(vocals.channels[c][i] + accompaniment.channels[c][i] - clip.channels[c][i]));
      }
    }
    assert.ok(maxErr < 1e-4, `vocals + accompaniment = mixture (max error ${maxErr})`);
  });

  it('takes a file path, and audio in gives audio out equal to lib separate()', async function () {
    await loadFlow([node, catchNode], standardFlow(TYPE, { model, output: 'auto', folder: MIR1K_SAMPLE }, 2));
    const [pv] = await stems<Buffer>({ payload: path.join(MIR1K_SAMPLE, 'annar_4_02.wav') });
    assert.ok(Buffer.isBuffer(pv.payload));
    const song = await resample(await mir1kClip('annar_4_02.wav'), 44100);
    const result = await stems<AudioData>({ payload: song });
    const backend = await createBackend(model, { backend: 'onnx' });
    const expected = await separate(song, backend);
    await backend.dispose();
    assert.equal(maxAbsDiff(result[0].payload, expected.vocals), 0);
    assert.equal(maxAbsDiff(result[1].payload, expected.accompaniment), 0);
  });

  for (const backend of ['onnx', 'wasm']) {
    it(`does not freeze Node-RED: the separation is a worker-pool task, and callbacks run while it goes (${backend})`, async function () {
      await loadFlow([node, catchNode], standardFlow(TYPE, { model, backend, output: 'audio' }, 2));
      // 20 s of real music at 44.1 kHz: many patches.
      const clip = await resample(await mir1kClip('annar_4_02.wav'), 44100);
      const song: AudioData = { sampleRate: 44100, channels: clip.channels.map((ch) => Float32Array.from({ length: 20 * 44100 }, (_, i) => ch[i % ch.length])) };
      // No timing: at the first progress report (> 0 %) the job is a running task of the shared worker
      // pool (its work is on another thread), and a callback set then runs before the stems arrive.
      const order: string[] = [];
      let runningInPool = -1;
      (underTest() as unknown as import('node:events').EventEmitter).on('call:status', (c: { args: Array<{ text?: string }> }) => {
        if (runningInPool >= 0 || !/^[1-9]\d* %/.test(c.args[0].text ?? '')) return;
        runningInPool = sharedAudioPool().stats().running;
        setImmediate(() => order.push('callback'));
      });
      await stems<AudioData>({ payload: song });
      order.push('stems');
      assert.equal(runningInPool, 1, 'the separation was a task of the worker pool when it reported progress');
      assert.deepEqual(order, ['callback', 'stems']);
    });
  }

  it('sends WAV for audio in when asked, in the chosen format and rate', async function () {
    await loadFlow([node, catchNode], standardFlow(TYPE, { model, output: 'wav', bitDepth: '32', rate: '22050' }, 2));
    const [v] = await stems<Buffer>({ payload: await mir1kClip() });
    const back = await decodeAudio(v.payload);
    assert.equal(back.sampleRate, 22050);
    assert.equal(v.payload.readUInt16LE(34), 32, '32 bits per sample');
  });

  it('sends audio for bytes in when asked', async function () {
    await loadFlow([node, catchNode], standardFlow(TYPE, { model, output: 'audio' }, 2));
    const bytes = encodeWav(await mir1kClip(), { bitDepth: 16 });
    const [, a] = await stems<AudioData>({ payload: bytes });
    assert.equal(a.payload.sampleRate, 16000);
    assert.equal(a.payload.channels.length, 2);
  });

  for (const [label, payload, pattern] of [
    ['a number', 42, /must be audio bytes \(Buffer\), a file path or audio .*got number/],
    ['corrupt bytes', Buffer.from('RIFF\u0000\u0001\u0000\u0000WAVEfmt garbage garbage garbage'), /WAV: chunk 'fmt ' claims \d+ bytes but only 19 are left/],
    ['a missing file', '/no/such/song.mp3', /ENOENT|no such file|not found/i],
    ['a spectrogram', { fftSize: 4096, hop: 1024, re: [], im: [] }, /got spectrogram/],
    ['audio with a NaN sample', { sampleRate: 44100, channels: [new Float32Array([0, NaN])] }, /channel 0 sample 1 is NaN/],
  ] as const) {
    it(`reports ${label} through a catch node, and a good message after it still succeeds`, async function () {
      await loadFlow([node, catchNode], standardFlow(TYPE, { model, folder: MIR1K_SAMPLE }, 2));
      await expectCaught({ payload } as unknown as NodeMessage, pattern);
      const [v] = await stems<Buffer>({ payload: path.join(MIR1K_SAMPLE, 'bug_5_07.wav') });
      assert.ok(Buffer.isBuffer(v.payload));
    });
  }
});
