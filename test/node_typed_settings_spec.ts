/**
 * Stream key and Folder are typedInputs, read for each message with RED.util.evaluateNodeProperty,
 * in a real Node-RED runtime: from a msg property, flow context, an environment variable or a fixed
 * text; flows saved before (no type) keep their meaning; a bad type is refused at deploy and a
 * folder that is not text fails its message, each with a clear error and a red status.
 */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import type { Node, NodeMessage } from 'node-red';
import type { AudioData } from '../lib/audio/types';
import { cachedEngineCount } from '../lib/model/backends';
import decodeInit from '../nodes/decode/decode';
import stftInit from '../nodes/stft/stft';
import vocalSplitInit from '../nodes/vocal-split/vocal-split';
import { FIXTURES, MIR1K_SAMPLE, editorAccepts, editorDefinitions, helper, loadFlow, localized, nextMessage, nodeFile, smallTestModel } from './support/node-red';
import { catchNode, expectCaught, mir1kClip, standardFlow, underTest, type CaughtMsg } from './support/node-specs';

const stftNode = localized(stftInit, 'vocal-split-stft');
const decodeNode = localized(decodeInit, 'vocal-split-decode');
const vocalSplitNode = localized(vocalSplitInit, 'vocal-split');
const AUDIO = path.join(FIXTURES, 'audio');
const SONG = 'mp3_mono_16k.mp3';

type ChunkMsg = NodeMessage & { complete?: boolean; stream: { key: string; first: number }; payload: { firstFrame: number; frames: number } };

/** The stft node's stream output, by stream key, until `keys` have each sent their last chunk. */
function streamsUntilComplete(keys: string[]): Promise<Map<string, ChunkMsg[]>> {
  const got = new Map<string, ChunkMsg[]>();
  const open = new Set(keys);
  return new Promise((resolve) => {
    (helper.getNode('out') as unknown as import('node:events').EventEmitter).on('input', (msg: ChunkMsg) => {
      got.set(msg.stream.key, [...(got.get(msg.stream.key) ?? []), msg]);
      if (msg.complete) open.delete(msg.stream.key);
      if (open.size === 0) resolve(got);
    });
  });
}

/** 0.1 s chunks of a real clip's voice at 16 kHz, as audio. */
async function chunks(count: number): Promise<AudioData[]> {
  const voice = (await mir1kClip()).channels[1];
  return Array.from({ length: count }, (_, i) => ({ sampleRate: 16000, channels: [voice.slice(i * 1600, (i + 1) * 1600)] }));
}

/** Frames of one stream's chunks are consecutive from 0. */
function assertConsecutive(msgs: ChunkMsg[], key: string): void {
  let next = 0;
  for (const m of msgs) {
    assert.equal(m.payload.firstFrame, next, `${key}: consecutive frames`);
    next += m.payload.frames;
  }
  assert.ok(next > 0, `${key}: frames sent`);
}

/** The statuses the node showed so far, deploy included (the helper spies on Node.prototype.status). */
function statusesOf(node: Node): Array<{ fill?: string; text?: string }> {
  const spy = Object.getPrototypeOf(node).status as { getCalls(): Array<{ thisValue: unknown; args: Array<{ fill?: string; text?: string }> }> };
  return spy.getCalls().filter((c) => c.thisValue === node).map((c) => c.args[0]);
}

/** The config is refused at deploy: a red status saying why (shortened), and each message fails with the reason. */
async function expectDeployRefused(pattern: RegExp): Promise<void> {
  const red = statusesOf(underTest()).filter((s) => s.fill === 'red').map((s) => String(s.text).replace(/…$/, ''));
  assert.equal(red.length, 1, 'one red status at deploy');
  const caught = nextMessage<CaughtMsg>(helper.getNode('caught'));
  let sent = false;
  helper.getNode('out').on('input', () => { sent = true; });
  underTest().receive({ payload: 'anything' });
  const message = (await caught).error.message;
  assert.match(message, pattern);
  assert.equal(sent, false);
  assert.ok(message.replace(/^Error: /, '').startsWith(red[0]), `the status says why: ${red[0]}`);
}

describe('typedInput settings: stream key', function () {
  this.timeout(60_000);
  afterEach(async function () {
    await helper.unload();
    delete process.env.VOCAL_SPLIT_TEST_STREAM;
  });
  const stft = (extra: Record<string, unknown>): ReturnType<typeof standardFlow> => standardFlow('vocal-split-stft', {
    fftSize: '4096', hop: '1024', resample: true, mode: 'stream', ...extra,
  });

  it('msg property: chunks of one topic with two msg.player values are two streams', async function () {
    await loadFlow([stftNode, catchNode], stft({ streamKey: 'player', streamKeyType: 'msg' }));
    const done = streamsUntilComplete(['p1', 'p2']);
    const audio = await chunks(8);
    audio.forEach((payload, i) => underTest().receive({ topic: 'radio', player: i % 2 ? 'p2' : 'p1', payload, complete: i >= 6 || undefined } as NodeMessage));
    const got = await done;
    assert.deepEqual([...got.keys()].sort(), ['p1', 'p2']);
    for (const [key, msgs] of got) assertConsecutive(msgs, key);
  });

  it('flow context: read for each message (a new value starts a new stream)', async function () {
    await loadFlow([stftNode, catchNode], stft({ streamKey: 'studio', streamKeyType: 'flow' }));
    const done = streamsUntilComplete(['studio-a', 'studio-b']);
    const audio = await chunks(6);
    const flowContext = underTest().context().flow;
    flowContext.set('studio', 'studio-a');
    for (let i = 0; i < 3; i++) underTest().receive({ payload: audio[i], complete: i === 2 || undefined } as NodeMessage);
    // Set before the chunks above have been worked on: each message reads the key when it arrives.
    flowContext.set('studio', 'studio-b');
    for (let i = 3; i < 6; i++) underTest().receive({ payload: audio[i], complete: i === 5 || undefined } as NodeMessage);
    const got = await done;
    assert.deepEqual([...got.keys()].sort(), ['studio-a', 'studio-b']);
    for (const [key, msgs] of got) assertConsecutive(msgs, key);
  });

  it('environment variable and fixed text: every message in one stream, whatever its topic', async function () {
    for (const [type, value, key] of [['env', 'VOCAL_SPLIT_TEST_STREAM', 'from-env'], ['str', 'one stream', 'one stream']] as const) {
      process.env.VOCAL_SPLIT_TEST_STREAM = 'from-env';
      await loadFlow([stftNode, catchNode], stft({ streamKey: value, streamKeyType: type }));
      const done = streamsUntilComplete([key]);
      const audio = await chunks(4);
      audio.forEach((payload, i) => underTest().receive({ topic: `t${i}`, payload, complete: i === 3 || undefined } as NodeMessage));
      const got = await done;
      assert.deepEqual([...got.keys()], [key], type);
      assertConsecutive(got.get(key)!, key);
      await helper.unload();
    }
  });

  it('a flow saved before the typedInput (no type; a key or none) still reads msg.topic', async function () {
    for (const extra of [{ streamKey: 'topic' }, { streamKey: '' }, {}]) {
      await loadFlow([stftNode, catchNode], stft(extra));
      const done = streamsUntilComplete(['old']);
      const audio = await chunks(3);
      audio.forEach((payload, i) => underTest().receive({ topic: 'old', payload, complete: i === 2 || undefined } as NodeMessage));
      assert.deepEqual([...(await done).keys()], ['old'], JSON.stringify(extra));
      await helper.unload();
    }
  });

  it('refuses a type it cannot read from, or a property Node-RED cannot parse, at deploy', async function () {
    await loadFlow([stftNode, catchNode], stft({ streamKey: '$.player', streamKeyType: 'jsonata' }));
    await expectDeployRefused(/stream key must be read from msg, flow, global, str or env, got 'jsonata'/);
    await helper.unload();
    await loadFlow([stftNode, catchNode], stft({ streamKey: 'player..id', streamKeyType: 'msg' }));
    await expectDeployRefused(/stream key: 'player\.\.id' is not a property name Node-RED can read/);
  });

  it('the vocal-split node reads it too (msg.player)', async function () {
    const model = await smallTestModel();
    await loadFlow([vocalSplitNode, catchNode], standardFlow('vocal-split', {
      model, backend: 'onnx', mode: 'stream', latency: 'low', streamKey: 'player', streamKeyType: 'msg',
    }, 2));
    const keys = new Set<string>();
    const ended = new Promise<void>((resolve) => {
      let complete = 0;
      (helper.getNode('out') as unknown as import('node:events').EventEmitter).on('input', (m: ChunkMsg) => {
        keys.add(m.stream.key);
        if (m.complete && ++complete === 2) resolve();
      });
    });
    const audio = await chunks(6);
    audio.forEach((payload, i) => underTest().receive({ topic: 'radio', player: i % 2 ? 'p2' : 'p1', payload, complete: i >= 4 || undefined } as NodeMessage));
    await ended;
    assert.deepEqual([...keys].sort(), ['p1', 'p2']);
    await helper.unload();
    assert.equal(cachedEngineCount(), 0);
  });
});

describe('typedInput settings: folder', function () {
  this.timeout(60_000);
  afterEach(async function () {
    await helper.unload();
    delete process.env.VOCAL_SPLIT_TEST_FOLDER;
  });
  const decode = (extra: Record<string, unknown>): ReturnType<typeof standardFlow> => standardFlow('vocal-split-decode', extra);
  const decoded = async (msg: NodeMessage): Promise<AudioData> => {
    const out = nextMessage<{ payload: AudioData }>(helper.getNode('out'));
    underTest().receive(msg);
    return (await out).payload;
  };

  it('msg property: the file is looked for in the folder the message names; none named, no files', async function () {
    await loadFlow([decodeNode, catchNode], decode({ folder: 'dir', folderType: 'msg' }));
    const audio = await decoded({ payload: SONG, dir: AUDIO } as NodeMessage);
    assert.equal(audio.sampleRate, 16000);
    await expectCaught({ payload: SONG }, /reads no files named in messages/);
    await expectCaught({ payload: SONG, dir: FIXTURES } as NodeMessage, /no such file in the node's folder/);
  });

  it('environment variable and flow context, read for each message', async function () {
    process.env.VOCAL_SPLIT_TEST_FOLDER = AUDIO;
    await loadFlow([decodeNode, catchNode], decode({ folder: 'VOCAL_SPLIT_TEST_FOLDER', folderType: 'env' }));
    assert.equal((await decoded({ payload: SONG })).sampleRate, 16000);
    await helper.unload();
    await loadFlow([decodeNode, catchNode], decode({ folder: 'inbox', folderType: 'flow' }));
    underTest().context().flow.set('inbox', AUDIO);
    assert.equal((await decoded({ payload: SONG })).sampleRate, 16000);
    underTest().context().flow.set('inbox', MIR1K_SAMPLE);
    await expectCaught({ payload: SONG }, /no such file in the node's folder/);
  });

  it('a folder that is not text fails its message: clear error, red status, and the next message works', async function () {
    await loadFlow([decodeNode, catchNode], decode({ folder: 'dir', folderType: 'msg' }));
    const err = await expectCaught({ payload: SONG, dir: 42 } as NodeMessage, /Folder \(msg\.dir\) must give a folder path \(text\), got number/);
    assert.equal((err as CaughtMsg & { dir: number }).dir, 42);
    assert.equal((await decoded({ payload: SONG, dir: AUDIO } as NodeMessage)).sampleRate, 16000);
  });

  it('refuses a type it cannot read from, or a property Node-RED cannot parse, at deploy', async function () {
    await loadFlow([decodeNode, catchNode], decode({ folder: '1', folderType: 'num' }));
    await expectDeployRefused(/folder must be read from msg, flow, global, str or env, got 'num'/);
    await helper.unload();
    await loadFlow([decodeNode, catchNode], decode({ folder: '', folderType: 'msg' }));
    await expectDeployRefused(/folder: '' is not a property name Node-RED can read/);
  });

  it('the vocal-split node reads it too (msg.dir)', async function () {
    const model = await smallTestModel();
    await loadFlow([vocalSplitNode, catchNode], standardFlow('vocal-split', { model, backend: 'onnx', folder: 'dir', folderType: 'msg' }, 2));
    const vocals = nextMessage<{ stem: string }>(helper.getNode('out'));
    underTest().receive({ payload: 'Kenshin_2_10.wav', dir: MIR1K_SAMPLE } as NodeMessage);
    assert.equal((await vocals).stem, 'vocals');
    await expectCaught({ payload: 'Kenshin_2_10.wav', dir: ['not', 'text'] } as NodeMessage, /Folder \(msg\.dir\) must give a folder path \(text\), got/);
  });
});

describe('typedInput settings in the editor', function () {
  it('accepts the types each setting reads from, and a property Node-RED can parse; a flow without a type is valid', function () {
    for (const type of ['vocal-split', 'vocal-split-stft', 'vocal-split-unet-mask', 'vocal-split-istft']) {
      const def = editorDefinitions(nodeFile(type).replace(/\.js$/, '.html')).get(type)!;
      const key = (value: string, streamKeyType?: string): boolean => editorAccepts(def, 'streamKey', value, { streamKeyType });
      assert.equal(def.defaults.streamKeyType.value, 'msg', type);
      for (const [value, t] of [['player', 'msg'], ['payload.id', 'msg'], ['', 'msg'], ['studio', 'flow'], ['#:(file)::studio', 'global'], ['', 'str'], ['STREAM', 'env'], ['topic', undefined]] as const) {
        assert.ok(key(value, t), `${type}: stream key ${t}.${value} accepted`);
      }
      for (const [value, t] of [['player..id', 'msg'], ['a[', 'flow'], ['$.x', 'jsonata'], ['1', 'num']] as const) {
        assert.ok(!key(value, t), `${type}: stream key ${t}.${value} refused`);
      }
    }
    for (const type of ['vocal-split', 'vocal-split-decode']) {
      const def = editorDefinitions(nodeFile(type).replace(/\.js$/, '.html')).get(type)!;
      const folder = (value: string, folderType?: string): boolean => editorAccepts(def, 'folder', value, { folderType });
      assert.equal(def.defaults.folderType.value, 'str', type);
      for (const [value, t] of [['', 'str'], ['/srv/songs', 'str'], ['INBOX', 'env'], ['dir', 'msg'], ['inbox', 'flow'], ['/srv/songs', undefined]] as const) {
        assert.ok(folder(value, t), `${type}: folder ${t}.${value} accepted`);
      }
      for (const [value, t] of [['', 'msg'], ['a..b', 'global'], ['1', 'num']] as const) {
        assert.ok(!folder(value, t), `${type}: folder ${t}.${value} refused`);
      }
    }
  });
});
