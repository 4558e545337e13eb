/**
 * The caps a node puts on what an outsider can make it hold, each in a real Node-RED runtime: its
 * queue (QUEUE_FULL beyond Queue limit), its live streams (TOO_MANY_STREAMS beyond Max streams,
 * state only for streams it took), the decoded size of audio (frames × channels, from the header,
 * before anything is allocated), stream keys in its log, and what its errors say about files
 * outside its folder.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { NodeMessage } from 'node-red';
import { encodeWav } from '../lib/audio/encode';
import { cachedEngineCount } from '../lib/model/backends';
import { encodePcm } from '../lib/stream/pcm';
import decodeInit from '../nodes/decode/decode';
import vocalSplitInit from '../nodes/vocal-split/vocal-split';
import { FIXTURES, helper, loadFlow, localized, nextMessage, nextMessages, recordLogs, smallTestModel } from './support/node-red';
import { catchNode, expectCaught, standardFlow, underTest, type CaughtMsg } from './support/node-specs';
import { BIG_MULTICHANNEL_WAV, wavHeader } from './support/wav-header';

const decodeNode = localized(decodeInit, 'vocal-split-decode');
const splitNode = localized(vocalSplitInit, 'vocal-split');
type Caught = CaughtMsg & { error: { code?: string } };

describe('caps on what a node holds', function () {
  this.timeout(120_000);
  let model: string;
  let tmp: string;
  before(async function () {
    model = await smallTestModel();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vocal-split-caps-'));
  });
  after(function () { fs.rmSync(tmp, { recursive: true, force: true }); });
  afterEach(async function () {
    await helper.unload();
    assert.equal(cachedEngineCount(), 0, 'every engine freed once the nodes closed');
  });

  it('refuses a message at once with QUEUE_FULL when Queue limit messages wait already, and does the others', async function () {
    await loadFlow([splitNode, catchNode], standardFlow('vocal-split', { model, backend: 'onnx', output: 'audio', concurrency: '1', queueLimit: '2' }, 2));
    const song = fs.readFileSync(path.join(FIXTURES, 'audio', 'wav_s16_mono_48k.wav'));
    const refused = nextMessages<Caught>(helper.getNode('caught'), 3);
    const done = nextMessages<NodeMessage>(helper.getNode('out'), 3);
    for (let i = 0; i < 6; i++) underTest().receive({ payload: song, topic: String(i) } as NodeMessage);
    const errors = await refused;
    assert.deepEqual(errors.map((e) => e.error.code), ['QUEUE_FULL', 'QUEUE_FULL', 'QUEUE_FULL']);
    assert.deepEqual(errors.map((e) => e.topic), ['3', '4', '5'], 'one running and two waiting were taken; the rest refused');
    assert.match(errors[0].error.message, /busy: 2 messages are waiting already \(Queue limit\); try again later/);
    assert.deepEqual((await done).map((m) => m.topic), ['0', '1', '2']);
  });

  it('refuses a Queue limit that is not a whole number from 1 to 10000 at deploy time', async function () {
    await loadFlow([splitNode, catchNode], standardFlow('vocal-split', { model, backend: 'onnx', queueLimit: '0' }, 2));
    await expectCaught({ payload: Buffer.alloc(10) }, /queue limit must be an integer from 1 to 10000, got '0'/);
  });

  describe('live streams', function () {
    const chunk = encodePcm([new Float32Array(4410).fill(0.1), new Float32Array(4410).fill(-0.1)], 's16le'); // 100 ms
    const streamFlow = (extra: Record<string, unknown>) => standardFlow('vocal-split', {
      model, backend: 'onnx', mode: 'stream', pcmEncoding: 's16le', pcmRate: '44100', pcmChannels: '2', idleTimeout: '10', ...extra,
    }, 2);

    it('takes Max streams streams and refuses one more with TOO_MANY_STREAMS until one of them ends', async function () {
      await loadFlow([splitNode, catchNode], streamFlow({ maxStreams: '2' }));
      const refused = nextMessage<Caught>(helper.getNode('caught'));
      for (const topic of ['a', 'b', 'c']) underTest().receive({ topic, payload: chunk } as NodeMessage);
      const err = await refused;
      assert.equal(err.error.code, 'TOO_MANY_STREAMS');
      assert.equal(err.topic, 'c');
      assert.match(err.error.message, /stream 'c' refused: 2 live streams are open already \(Max streams\)/);
      // Stream a ends (msg.complete): its place is free again.
      const ended = nextMessage<NodeMessage & { complete?: boolean }>(helper.getNode('out'));
      underTest().receive({ topic: 'a', payload: chunk, complete: true } as NodeMessage);
      assert.equal((await ended).complete, true);
      const caught: Caught[] = [];
      (helper.getNode('caught') as unknown as import('node:events').EventEmitter).on('input', (m: Caught) => caught.push(m));
      const cEnded = nextMessage<NodeMessage & { topic: string }>(helper.getNode('out'));
      underTest().receive({ topic: 'c', payload: chunk, complete: true } as NodeMessage);
      assert.equal((await cEnded).topic, 'c', 'stream c is taken now');
      assert.deepEqual(caught, []);
    });

    it('logs a stream key from outside with its control characters escaped (no forged log lines)', async function () {
      await loadFlow([splitNode, catchNode], streamFlow({ maxStreams: '1', idleTimeout: '0.2' }));
      const logs = recordLogs(underTest());
      const evil = 'jukebox/live/x\n30 Nov 08:00:00 - [info] forged line/in';
      underTest().receive({ topic: evil, payload: chunk } as NodeMessage);
      const refused = nextMessage<Caught>(helper.getNode('caught'));
      underTest().receive({ topic: `${evil}2`, payload: chunk } as NodeMessage);
      const err = await refused;
      assert.ok(!err.error.message.includes('\n'), err.error.message);
      assert.match(err.error.message, /x\\u000a30 Nov/);
      const deadline = Date.now() + 10_000;
      while (!logs.some((l) => l.includes('dropped after')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      const idle = logs.find((l) => l.includes('dropped after'));
      assert.ok(idle, logs.join(' | '));
      assert.ok(!idle.includes('\n'), idle);
      assert.match(idle, /stream 'jukebox\/live\/x\\u000a30 Nov 08:00:00 - \[info\] forged line\/in' dropped/);
    });
  });

  describe('decoded size: frames × channels, from the header, before decoding', function () {
    it('refuses bytes of an 8-channel 192 kHz WAV shorter than Max length but larger decoded than Max length of 48 kHz stereo', async function () {
      // 0.5 s of 8 × 192 kHz is 3 MB decoded; Max length 1 s allows 1 s of 48 kHz stereo (384 kB).
      const channels = Array.from({ length: 8 }, () => new Float32Array(96000).fill(0.25));
      const wav = Buffer.from(encodeWav({ sampleRate: 192000, channels }, { bitDepth: 16 }));
      await loadFlow([decodeNode, catchNode], standardFlow('vocal-split-decode', { maxSeconds: '1' }, 1));
      await expectCaught({ payload: wav }, /decoded, this audio would take 2\.9 MB \(8 ch × 192000 Hz × 0\.5 s as 32-bit samples\), over the 0\.4 MB limit/);
      // The same length in stereo at 48 kHz is within it.
      const ok = nextMessage(helper.getNode('out'));
      underTest().receive({ payload: Buffer.from(encodeWav({ sampleRate: 48000, channels: channels.slice(0, 2).map((c) => c.subarray(0, 24000)) }, { bitDepth: 16 })) });
      await ok;
    });

    it('refuses a 522 MB 8-bit 8-channel 192 kHz WAV file after reading its header only (sparse file)', async function () {
      const folder = fs.mkdtempSync(path.join(tmp, 'big-'));
      const file = path.join(folder, 'big.wav');
      fs.writeFileSync(file, wavHeader(BIG_MULTICHANNEL_WAV));
      fs.truncateSync(file, 44 + BIG_MULTICHANNEL_WAV.dataBytes);
      await loadFlow([splitNode, catchNode], standardFlow('vocal-split', { model, backend: 'onnx', folder }, 2));
      const before = process.memoryUsage().rss;
      const err = await expectCaught({ payload: 'big.wav' }, /decoded, this audio would take 1991 MB \(8 ch × 192000 Hz × 339\.8 s as 32-bit samples\), over the 659 MB limit/);
      assert.ok(process.memoryUsage().rss - before < 200 * 2 ** 20, 'the file was not read');
      assert.equal(err.error.source.id, underTest().id);
    });
  });

  describe('error texts say nothing about files outside the node\'s folder', function () {
    it('answers a path to an existing file outside exactly as one to a missing file', async function () {
      const folder = fs.mkdtempSync(path.join(tmp, 'music-'));
      const secret = path.join(tmp, 'secret.wav');
      fs.copyFileSync(path.join(FIXTURES, 'audio', 'wav_s16_mono_48k.wav'), secret);
      fs.symlinkSync(secret, path.join(folder, 'exists.wav'));
      fs.symlinkSync(path.join(tmp, 'nope.wav'), path.join(folder, 'nope.wav'));
      await loadFlow([decodeNode, catchNode], standardFlow('vocal-split-decode', { folder }, 1));
      const text = async (payload: string): Promise<string> => (await expectCaught({ payload }, /./)).error.message.replace(payload, '<path>');
      const answers = [await text(secret), await text(path.join(tmp, 'nope.wav')), await text('exists.wav'), await text('nope.wav'), await text('/etc/hostname'), await text('/etc/no-such-file')];
      assert.equal(new Set(answers).size, 1, answers.join(' | '));
      assert.match(answers[0], /<path>: no such file in the node's folder/);
    });
  });
});
