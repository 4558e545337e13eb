import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { decodeAudio } from '../lib/audio/decode';
import { FIXTURES, MIR1K_SAMPLE, REPO_ROOT } from './support/paths';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

/** `npm start`'s script, as a user runs it: the real embedded Node-RED with the example flows. */
describe('npm start (embedded Node-RED with the example flows)', function () {
  let child: ChildProcess;
  let base: string;
  let userDir: string;
  let output = '';

  before(async function () {
    const port = await freePort();
    userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vocal-split-start-'));
    base = `http://127.0.0.1:${port}`;
    child = spawn(process.execPath, [path.join(REPO_ROOT, 'scripts', 'start.js')], {
      env: { ...process.env, PORT: String(port), NODE_RED_USER_DIR: userDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (d: Buffer) => { output += d.toString(); });
    child.stderr?.on('data', (d: Buffer) => { output += d.toString(); });
    const deadline = Date.now() + 50_000;
    while (!output.includes('is running')) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`Node-RED did not start:\n${output}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  });

  after(async function () {
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    fs.rmSync(userDir, { recursive: true, force: true });
  });

  it('serves the editor, with our node in the palette', async function () {
    const editor = await fetch(`${base}/`);
    assert.equal(editor.status, 200);
    const nodes = await fetch(`${base}/nodes`, { headers: { Accept: 'application/json' } });
    const list = (await nodes.json()) as Array<{ module: string; types: string[] }>;
    const ours = list.filter((n) => n.module === 'node-red-contrib-vocal-split').flatMap((n) => n.types);
    assert.ok(ours.includes('vocal-split-decode'), `palette has ${ours.join(', ')}`);
  });

  it('answers a real MP3 upload to /audio-info with its rate, channels and duration', async function () {
    const response = await fetch(`${base}/audio-info`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/octet-stream' },
      body: fs.readFileSync(path.join(FIXTURES, 'audio', 'mp3_stereo_44k.mp3')),
    });
    assert.equal(response.status, 200);
    const info = (await response.json()) as { sampleRate: number; channels: number; seconds: number };
    assert.equal(info.sampleRate, 44100);
    assert.equal(info.channels, 2);
    assert.ok(Math.abs(info.seconds - 1.5) < 0.01, `${info.seconds} s`);
  });

  it('answers a file that is not audio with HTTP 400 and the reason, and keeps serving', async function () {
    const bad = await fetch(`${base}/audio-info`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/octet-stream' },
      body: Buffer.from('this is not a song'),
    });
    assert.equal(bad.status, 400);
    assert.match(((await bad.json()) as { error: string }).error, /not a recognised audio format/);
    const good = await fetch(`${base}/audio-info`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/octet-stream' },
      body: fs.readFileSync(path.join(FIXTURES, 'audio', 'wav_s16_mono_48k.wav')),
    });
    assert.equal(good.status, 200);
    assert.equal(((await good.json()) as { sampleRate: number }).sampleRate, 48000);
  });

  it('splits a real song POSTed to /karaoke: the karaoke and the vocals WAVs sum to the song', async function () {
    this.timeout(120_000);
    const song = fs.readFileSync(path.join(MIR1K_SAMPLE, 'Ani_1_06.wav'));
    const post = (query: string) => fetch(`${base}/karaoke${query}`, {
      method: 'POST', headers: { 'Content-Type': 'application/octet-stream' }, body: song,
    });
    const [karaoke, vocals] = await Promise.all([post(''), post('?stem=vocals')]);
    for (const response of [karaoke, vocals]) {
      assert.equal(response.status, 200);
      assert.equal(response.headers.get('content-type'), 'audio/wav');
    }
    const mixture = await decodeAudio(song);
    const k = await decodeAudio(Buffer.from(await karaoke.arrayBuffer()));
    const v = await decodeAudio(Buffer.from(await vocals.arrayBuffer()));
    for (const stem of [k, v]) {
      assert.equal(stem.sampleRate, mixture.sampleRate);
      assert.equal(stem.channels.length, mixture.channels.length);
      assert.equal(stem.channels[0].length, mixture.channels[0].length);
    }
    // 16-bit WAVs: each stem is within half a step of its float value.
    let err = 0;
    for (let c = 0; c < mixture.channels.length; c++) {
      for (let i = 0; i < mixture.channels[c].length; i++) {
        err = Math.max(err, Math.abs(k.channels[c][i] + v.channels[c][i] - mixture.channels[c][i]));
      }
    }
    assert.ok(err < 1e-4, `|karaoke + vocals − song| ≤ ${err}`);
    const bad = await fetch(`${base}/karaoke`, { method: 'POST', headers: { 'Content-Type': 'application/octet-stream' }, body: Buffer.from('not a song') });
    assert.equal(bad.status, 400);
    assert.match(((await bad.json()) as { error: string }).error, /not a recognised audio format/);
  });
});
