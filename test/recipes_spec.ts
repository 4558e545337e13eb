/**
 * What users will try against `npm start` (scripts/start.js): the README's shell recipes exactly as
 * written (real curl, real mosquitto_sub/mosquitto_pub from Debian's mosquitto-clients, ffmpeg), and the
 * uploads they send (a multipart form, raw bytes with any or no Content-Type) with the error answers
 * they get back.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { assertStemsOfSong, startDemo, type Demo } from './support/demo';
import { FIXTURES, REPO_ROOT } from './support/paths';

const SONG = path.join(FIXTURES, 'audio', 'mp3_stereo_44k.mp3');

/** The ```sh blocks of the README's "From a shell" section. */
function readmeRecipes(): string[] {
  const readme = fs.readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf('#### From a shell');
  assert.ok(start >= 0, 'the README has a "From a shell" section');
  const section = readme.slice(start, readme.indexOf('\n#', start + 1));
  return [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]);
}

function recipe(containing: string): string {
  const found = readmeRecipes().find((r) => r.includes(containing));
  if (!found) throw new Error(`no README recipe with ${containing}`);
  return found;
}

/**
 * Runs a recipe with bash in `dir` (which holds song.mp3), in its own process group so that the
 * background subscribers it starts can be ended afterwards. Resolves with what it printed.
 */
function runRecipe(script: string, dir: string, env: NodeJS.ProcessEnv): { done: Promise<string>; kill(): void } {
  const child = spawn('bash', ['-e', '-c', script], { cwd: dir, env: { ...process.env, ...env, SHELL: '/bin/bash' }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => { output += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { output += d.toString(); });
  const done = new Promise<string>((resolve, reject) => child.once('exit', (code) => (code === 0 ? resolve(output) : reject(new Error(`recipe exited ${code}:\n${script}\n${output}`)))));
  return { done, kill: () => { try { process.kill(-(child.pid ?? 0), 'SIGTERM'); } catch { /* already gone */ } } };
}

/** A request with exactly these headers (fetch always adds a Content-Type to a body). */
function post(url: string, body: Buffer, headers: Record<string, string>): Promise<{ status: number; type: string; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', agent: false, headers: { 'Content-Length': String(body.length), ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** A WAV file whose length is exactly its header's (no byte before or after it). */
function assertWholeWav(file: string): void {
  const bytes = fs.readFileSync(file);
  assert.equal(bytes.toString('latin1', 0, 4), 'RIFF', file);
  assert.equal(bytes.readUInt32LE(4) + 8, bytes.length, `${path.basename(file)}: ${bytes.length} bytes, its header says ${bytes.readUInt32LE(4) + 8}`);
}

/** An error answer as users see it: 400, one short plain sentence, no stack trace, no paths, no HTML. */
function assertPlainError(answer: { status: number; type: string; body: Buffer }, reason: RegExp): void {
  assert.equal(answer.status, 400, answer.body.toString());
  assert.match(answer.type, /^application\/json/);
  const { error } = JSON.parse(answer.body.toString()) as { error: string };
  assert.match(error, reason);
  assert.ok(error.length <= 300, `${error.length} characters`);
  assert.doesNotMatch(error, /\n|\bat .*:\d+|<html|^\w*Error:/i, error);
  for (const dir of [REPO_ROOT, os.tmpdir(), os.homedir()]) assert.ok(!error.includes(dir), `${error} names ${dir}`);
}

describe('README recipes and uploads against npm start', function () {
  this.timeout(90_000);
  let demo: Demo;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  const song = fs.readFileSync(SONG);

  before(async function () {
    demo = await startDemo(['is running', 'Started flows', 'Connected to broker'], 'vocal-split-recipes-');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vocal-split-recipes-shell-'));
    fs.copyFileSync(SONG, path.join(dir, 'song.mp3'));
    env = { PORT: demo.base.split(':').pop(), MQTT_PORT: String(demo.mqttPort) };
  });

  after(async function () {
    await demo?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('karaoke over HTTP: curl -F (a form) and curl --data-binary (no Content-Type given) get the two stems', async function () {
    await runRecipe(recipe('curl -F'), dir, env).done;
    for (const stem of ['karaoke', 'vocals']) assertWholeWav(path.join(dir, `${stem}.wav`));
    await assertStemsOfSong(song, fs.readFileSync(path.join(dir, 'vocals.wav')), fs.readFileSync(path.join(dir, 'karaoke.wav')));
  });

  it('takes the raw bytes with no Content-Type header at all, and a browser-style form upload, alike', async function () {
    const url = `${demo.base}/karaoke`;
    const octets = await post(url, song, { 'Content-Type': 'application/octet-stream' });
    const bare = await post(url, song, {});
    const form = new FormData();
    form.append('title', 'a song');
    form.append('file', new Blob([song]), 'song.mp3');
    const formAnswer = await fetch(url, { method: 'POST', body: form });
    assert.equal(octets.status, 200);
    assert.equal(bare.status, 200, bare.body.toString());
    assert.equal(formAnswer.status, 200);
    assert.ok(bare.body.equals(octets.body), 'no Content-Type: the same WAV as application/octet-stream');
    assert.ok(Buffer.from(await formAnswer.arrayBuffer()).equals(octets.body), 'a form: the same WAV as the raw bytes');
  });

  it('answers every bad upload with a short plain message: no stack trace, no paths, no HTML', async function () {
    const karaoke = `${demo.base}/karaoke`;
    const notAudio = Buffer.from('this is not a song & neither=this');
    assertPlainError(await post(karaoke, notAudio, {}), /^not a recognised audio format/);
    assertPlainError(await post(karaoke, Buffer.alloc(0), {}), /empty|no audio|not a recognised/i);
    // curl --data-binary's default type, with many '&' (a urlencoded parser would give up: HTTP 413).
    assertPlainError(await post(karaoke, Buffer.from('a&'.repeat(5000)), { 'Content-Type': 'application/x-www-form-urlencoded' }), /^not a recognised audio format/);
    const boundary = 'vocalsplitboundary';
    const multipart = (part: string) => Buffer.from(`--${boundary}\r\n${part}\r\n--${boundary}--\r\n`);
    const formType = { 'Content-Type': `multipart/form-data; boundary=${boundary}` };
    assertPlainError(await post(karaoke, multipart('Content-Disposition: form-data; name="file"; filename="a.mp3"\r\n\r\nnot audio'), formType), /^not a recognised audio format/);
    assertPlainError(await post(karaoke, multipart('Content-Disposition: form-data; name="title"\r\n\r\njust text'), formType), /the form has no file/);
    assertPlainError(await post(`${demo.base}/audio-info`, notAudio, {}), /^not a recognised audio format/);
    // And it keeps serving.
    assert.equal((await post(`${demo.base}/audio-info`, song, {})).status, 200);
  });

  it('MQTT jukebox: the mosquitto_sub/mosquitto_pub recipe writes two whole WAVs that sum to the song', async function () {
    const run = runRecipe(recipe('jukebox/in -f song.mp3'), dir, env);
    try {
      await run.done;
    } finally {
      run.kill();
    }
    for (const stem of ['karaoke', 'vocals']) assertWholeWav(path.join(dir, `${stem}.wav`));
    await assertStemsOfSong(song, fs.readFileSync(path.join(dir, 'vocals.wav')), fs.readFileSync(path.join(dir, 'karaoke.wav')));
  });

  it('MQTT jukebox, live: the ffmpeg | split | mosquitto_pub recipe gets back raw PCM exactly as long as the song (playback line left out)', async function () {
    const script = recipe('jukebox/live/kitchen/in').split('\n').filter((line) => !line.startsWith('ffplay')).join('\n');
    const raw = path.join(dir, 'karaoke.raw');
    // What the recipe's ffmpeg sends (ffmpeg's MP3 decoder trims the encoder delay its own way).
    const expectedBytes = execFileSync('ffmpeg', ['-v', 'error', '-i', SONG, '-f', 's16le', '-ar', '44100', '-ac', '2', '-'], { maxBuffer: 1 << 26 }).length;
    const run = runRecipe(script, dir, env);
    try {
      await run.done;
      const deadline = Date.now() + 30_000;
      while (!(fs.existsSync(raw) && fs.statSync(raw).size >= expectedBytes) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
      await new Promise((r) => setTimeout(r, 500)); // nothing more arrives after the last chunk
    } finally {
      run.kill();
    }
    const pcm = fs.readFileSync(raw);
    assert.equal(pcm.length, expectedBytes, 'the karaoke is exactly the song\'s length: no stray bytes between chunks');
    let energy = 0;
    for (let i = 0; i < pcm.length; i += 2) energy += pcm.readInt16LE(i) ** 2;
    assert.ok(energy > 0, 'not silence');
  });
});
