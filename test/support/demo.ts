/**
 * The `npm start` process (scripts/start.js) as the demo specs drive it: on free ports, in a temporary
 * user directory, with the example flows deployed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as http from 'node:http';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import assert from 'node:assert/strict';
import { decodeAudio } from '../../lib/audio/decode';
import type { AudioData } from '../../lib/audio/types';
import { REPO_ROOT } from './paths';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

export interface Demo {
  base: string;
  mqttPort: number;
  userDir: string;
  /** The Node-RED process. */
  pid: number;
  /** Everything the process printed so far. */
  output(): string;
  stop(): Promise<void>;
}

/**
 * Starts scripts/start.js and resolves once its console shows every line in `readyWhen`. With `flows`,
 * the user directory starts with those flows instead of the examples (`[]`: an empty editor).
 */
export async function startDemo(readyWhen: string[], tmpPrefix: string, flows?: unknown[]): Promise<Demo> {
  const port = await freePort();
  const mqttPort = await freePort();
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), tmpPrefix));
  if (flows) fs.writeFileSync(path.join(userDir, 'flows.json'), JSON.stringify(flows));
  const child: ChildProcess = spawn(process.execPath, [path.join(REPO_ROOT, 'scripts', 'start.js')], {
    env: {
      ...process.env, PORT: String(port), MQTT_PORT: String(mqttPort), NODE_RED_USER_DIR: userDir,
      VOCAL_SPLIT_INBOX: '', VOCAL_SPLIT_OUTBOX: '', VOCAL_SPLIT_SAMPLE: '', MQTT_BROKER: '',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => { output += d.toString(); });
  child.stderr?.on('data', (d: Buffer) => { output += d.toString(); });
  const stop = async (): Promise<void> => {
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    fs.rmSync(userDir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 50_000;
  while (!readyWhen.every((line) => output.includes(line))) {
    if (Date.now() > deadline || child.exitCode !== null) {
      await stop();
      throw new Error(`Node-RED did not start:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { base: `http://127.0.0.1:${port}`, mqttPort, userDir, pid: child.pid ?? 0, output: () => output, stop };
}

/**
 * POSTs bytes on a connection of its own (no keep-alive pool). For uploads that follow a long pause:
 * fetch would reuse a pooled socket that the server may be closing after its 5 s keep-alive timeout,
 * and the write then fails with EPIPE.
 */
export function postOnFreshConnection(url: string, body: Buffer): Promise<{ status: number; contentType: string; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, {
      method: 'POST', agent: false,
      headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': body.length },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type']), body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Checks two decoded 16-bit stems against the song: same rate, channels and length; they sum to it. */
export async function assertStemsOfSong(song: Buffer, vocalsWav: Buffer, accompanimentWav: Buffer): Promise<void> {
  const mixture = await decodeAudio(song);
  const stems: AudioData[] = [await decodeAudio(vocalsWav), await decodeAudio(accompanimentWav)];
  for (const stem of stems) {
    assert.equal(stem.sampleRate, mixture.sampleRate);
    assert.equal(stem.channels.length, mixture.channels.length);
    assert.equal(stem.channels[0].length, mixture.channels[0].length);
  }
  // 16-bit WAVs: each stem is within half a step of its float value.
  let err = 0;
  for (let c = 0; c < mixture.channels.length; c++) {
    for (let i = 0; i < mixture.channels[c].length; i++) {
      err = Math.max(err, Math.abs(stems[0].channels[c][i] + stems[1].channels[c][i] - mixture.channels[c][i]));
    }
  }
  assert.ok(err < 1e-4, `|vocals + accompaniment − song| ≤ ${err}`);
}
