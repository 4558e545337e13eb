/**
 * The MQTT 5 worker pool against a real broker (Debian's mosquitto on a free port): `vocal-split
 * worker` processes, the requester of lib/pool, and what the README promises: every job answered,
 * by any worker, with the same stems as a local separation; nothing lost when a worker is killed.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { connectAsync, type MqttClient, type Packet } from 'mqtt';
import { decodeAudio } from '../lib/audio/decode';
import { encodeWav } from '../lib/audio/encode';
import type { AudioData } from '../lib/audio/types';
import { createBackend } from '../lib/model/backends';
import { PoolJobError, PoolRequester, type PoolResult } from '../lib/pool';
import { separate } from '../lib/separate';
import { startMosquitto, MOSQUITTO, type Broker } from './support/mosquitto';
import { smallTestModel } from './support/node-red';
import { maxAbsDiff, noise } from './support/numeric';
import { MIR1K_SAMPLE } from './support/paths';
import { WorkerProcess } from './support/mqtt-pool-workers';

const CLIPS = ['Ani_1_06', 'Kenshin_2_10', 'annar_4_02', 'ariel_4_03', 'bobon_3_08', 'bug_5_07'];
const clip = (name: string): Buffer => fs.readFileSync(path.join(MIR1K_SAMPLE, `${name}.wav`));

/** A stereo noise song of `seconds` at 44.1 kHz as 16-bit WAV bytes: long enough to be caught mid-job. */
function noiseSong(seconds: number, seed: number): Buffer {
  const n = Math.round(seconds * 44100);
  return encodeWav({ sampleRate: 44100, channels: [noise(n, seed).map((v) => v * 0.3), noise(n, seed + 1).map((v) => v * 0.3)] }, { bitDepth: 16 });
}

async function localStems(model: string, bytes: Buffer): Promise<{ vocals: AudioData; accompaniment: AudioData }> {
  const backend = await createBackend(model, { backend: 'onnx' });
  try {
    return await separate(await decodeAudio(bytes), backend);
  } finally {
    await backend.dispose();
  }
}

async function assertSameStems(result: PoolResult, expected: { vocals: AudioData; accompaniment: AudioData }): Promise<void> {
  for (const stem of ['vocals', 'accompaniment'] as const) {
    const wav = result.stems[stem];
    assert.ok(wav, `${stem} missing`);
    const got = await decodeAudio(wav);
    const want = expected[stem];
    assert.equal(got.sampleRate, want.sampleRate);
    assert.equal(got.channels.length, want.channels.length);
    got.channels.forEach((ch, c) => {
      assert.equal(ch.length, want.channels[c].length);
      assert.ok(maxAbsDiff(ch, want.channels[c]) <= 1e-6, `${stem} channel ${c} differs by ${maxAbsDiff(ch, want.channels[c])}`);
    });
  }
}

/** The short correlation id a worker prints for the job ("job 0123abcd4567 ..."). */
function jobIdOfNextSubmit(requester: PoolRequester): Promise<string> {
  return new Promise((resolve) => {
    const client = (requester as unknown as { client: MqttClient }).client;
    const onPacket = (packet: Packet): void => {
      if (packet.cmd === 'publish' && packet.properties?.correlationData) {
        client.removeListener('packetsend', onPacket);
        resolve(packet.properties.correlationData.toString('hex').slice(0, 12));
      }
    };
    client.on('packetsend', onPacket);
  });
}

describe('worker pool on mosquitto (vocal-split worker, lib/pool)', function () {
  this.timeout(120_000);
  let broker: Broker;
  let model: string;
  const workers: WorkerProcess[] = [];
  const requesters: PoolRequester[] = [];
  // Each test its own jobs topic: a worker SIGKILLed in one test stays a member of the group (its
  // session persists) and mosquitto would go on handing it that topic's jobs.
  let jobsTopic = '';
  beforeEach(function () { jobsTopic = `pool-spec/${this.currentTest?.title.slice(0, 20).replace(/[^a-z]/gi, '-')}/jobs`; });
  const worker = (clientId: string, ...more: string[]): WorkerProcess => {
    const w = new WorkerProcess(['--broker', broker.url, '--jobs', jobsTopic, '--model', model, '--backend', 'onnx', '--client-id', clientId, ...more]);
    workers.push(w);
    return w;
  };
  const requester = (timeoutMs = 60_000, attempts = 3): PoolRequester => {
    const r = new PoolRequester({ broker: { url: broker.url }, jobsTopic, timeoutMs, attempts });
    requesters.push(r);
    return r;
  };

  before(async function () {
    if (!MOSQUITTO) this.skip();
    broker = await startMosquitto();
    model = await smallTestModel();
  });
  afterEach(async function () {
    for (const r of requesters.splice(0)) await r.close();
    for (const w of workers.splice(0)) await w.kill();
  });
  after(async function () {
    await broker?.stop();
  });

  it('two workers answer 6 jobs, every stem equal (1e-6) to a local separation of the same bytes', async function () {
    const [a, b] = await Promise.all([worker('two-a').start(), worker('two-b').start()]);
    const pool = requester();
    const results = await Promise.all(CLIPS.map((name) => pool.submit(clip(name), { format: 'wav32f' })));
    for (const [i, name] of CLIPS.entries()) await assertSameStems(results[i], await localStems(model, clip(name)));
    assert.ok(results.every((r) => r.attempts === 1));
    // Both took a share (mosquitto hands shared-subscription messages round-robin).
    const done = (w: WorkerProcess): number => w.count(/ done in /);
    // (A worker logs a job after answering it: give the last log lines a moment.)
    for (const deadline = Date.now() + 10_000; done(a) + done(b) < 6 && Date.now() < deadline;) await new Promise((r) => setTimeout(r, 20));
    assert.equal(done(a) + done(b), 6);
    assert.ok(done(a) > 0 && done(b) > 0, `a did ${done(a)}, b did ${done(b)}`);
  });

  it('a worker SIGKILLed mid-job and started again with the same command answers every job', async function () {
    const w = await worker('killed-and-back').start();
    const pool = requester();
    const songs = [noiseSong(6, 1), clip('Ani_1_06'), clip('bug_5_07')];
    const firstId = jobIdOfNextSubmit(pool);
    let killed: Promise<void> | undefined;
    const answers = songs.map((song, i) => pool.submit(song, { format: 'wav32f' }, {
      // The worker says it has the job (progress 0) before it starts: kill it right then.
      onProgress: () => { if (i === 0) killed ??= w.kill('SIGKILL'); },
    }));
    await new Promise<void>((resolve) => { const t = setInterval(() => { if (killed) { clearInterval(t); resolve(); } }, 5); });
    await killed;
    const id = await firstId;
    assert.ok(!w.lines.some((l) => l.includes(`job ${id}`)), 'the first job was finished before the kill');
    const linesBefore = w.lines.length;
    await w.start();
    const results = await Promise.all(answers);
    await w.waitFor(new RegExp(`job ${id} .* done in`), 5_000, linesBefore); // the restarted worker finished the killed job
    for (const [i, song] of songs.entries()) await assertSameStems(results[i], await localStems(model, song));
    assert.ok(results.every((r) => r.attempts === 1), 'answered without resubmission');
  });

  it('the requester resubmits when the killed worker does not come back, and drops the late duplicate', async function () {
    const gone = await worker('killed-for-good').start();
    const pool = requester(3000, 6);
    const song = noiseSong(8, 3);
    let killed: Promise<void> | undefined;
    const answer = pool.submit(song, { format: 'wav32f' }, { onProgress: () => { killed ??= gone.kill('SIGKILL'); } });
    await new Promise<void>((resolve) => { const t = setInterval(() => { if (killed) { clearInterval(t); resolve(); } }, 5); });
    await killed;
    const other = await worker('survivor').start();
    const result = await answer;
    assert.ok(result.attempts >= 2, `answered after ${result.attempts} attempt(s)`);
    await other.waitFor(/ done in /, 10_000); // (its log line may come after its answers)
    await assertSameStems(result, await localStems(model, song));
    // The first worker comes back after all, finishes the job from its session: the answers are dropped.
    const back = await worker('killed-for-good').start();
    await back.waitFor(/ done in /, 30_000);
    const deadline = Date.now() + 5000;
    while (pool.duplicatesDropped < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.equal(pool.duplicatesDropped, 2, 'both stems of the second run dropped');
  });

  it('malformed jobs get an error answer or are logged and dropped; the worker keeps working', async function () {
    const w = await worker('malformed').start();
    const pool = requester();
    const errorOf = async (job: Promise<unknown>): Promise<string> => {
      const err = await job.then(() => undefined, (e: unknown) => e);
      assert.ok(err instanceof PoolJobError && err.code === 'WORKER_ERROR', `expected a worker's error, got ${String(err)}`);
      return err.message;
    };
    assert.match(await errorOf(pool.submit(Buffer.from('this is not audio at all'))), /format|audio/i);
    assert.match(await errorOf(pool.submit(Buffer.alloc(0))), /empty/i);
    assert.match(await errorOf(pool.submit(clip('ariel_4_03'), { format: 'mp3' as 'wav16' })), /format 'mp3'/);
    assert.match(await errorOf(pool.submit(clip('ariel_4_03'), { rate: -44100 })), /rate '-44100'/);
    assert.match(await errorOf(pool.submit(clip('ariel_4_03'), { rate: 1e12 })), /rate/);
    assert.match(await errorOf(pool.submit(clip('ariel_4_03'), { stems: ['drums' as 'vocals'] })), /stems 'drums'/);
    // A WAV header claiming 10 hours: refused from the header, before any allocation.
    const huge = Buffer.from(encodeWav({ sampleRate: 44100, channels: [new Float32Array(441)] }));
    huge.writeUInt32LE(44100 * 2 * 3600 * 10, 40);
    assert.match(await errorOf(pool.submit(huge)), /claims|limit|long/i);
    // No response topic: nowhere to answer, so logged and dropped (and acknowledged: not redelivered).
    const raw: MqttClient = await connectAsync(broker.url, { protocolVersion: 5 });
    try {
      await raw.publishAsync(jobsTopic, clip('ariel_4_03'), { qos: 1 });
      await w.waitFor(/dropped a job without a response topic/, 10_000);
      // No correlationData: answered with an error on the response topic.
      await raw.subscribeAsync('malformed/answers', { qos: 1 });
      const reply = new Promise<Record<string, string | string[]> | undefined>((resolve) => raw.once('message', (_t, _p, packet) => resolve(packet.properties?.userProperties)));
      await raw.publishAsync(jobsTopic, clip('ariel_4_03'), { qos: 1, properties: { responseTopic: 'malformed/answers' } });
      assert.match(String((await reply)?.error), /correlationData/);
    } finally {
      await raw.endAsync();
    }
    // Still alive and working.
    assert.ok(w.alive);
    const ok = await pool.submit(clip('ariel_4_03'), { stems: ['vocals'], format: 'wav32f' });
    assert.ok(ok.stems.vocals && !ok.stems.accompaniment);
    assert.ok(w.alive);
  });

  it('a job for one stem, 24-bit at 22050 Hz, gets just that stem in that format', async function () {
    await worker('formats').start();
    const pool = requester();
    const result = await pool.submit(clip('bobon_3_08'), { stems: ['accompaniment'], format: 'wav24', rate: 22050 });
    assert.deepEqual(Object.keys(result.stems), ['accompaniment']);
    const wav = result.stems.accompaniment as Buffer;
    assert.equal(wav.readUInt16LE(34), 24, 'bits per sample');
    assert.equal(wav.readUInt32LE(24), 22050, 'sample rate');
  });

  it('no worker: the requester fails with a clear error after its attempts', async function () {
    const pool = requester(300, 2);
    const err = await pool.submit(clip('ariel_4_03')).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof PoolJobError);
    assert.equal(err.code, 'NO_ANSWER');
    assert.match(err.message, /no worker answered: 2 × 0 s .*is a vocal-split worker running/);
  });
});
