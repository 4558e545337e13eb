/**
 * The `npm start` process (scripts/start.js) as the demo specs drive it: on free ports, in a temporary
 * user directory, with the example flows deployed, and the editor's password given in
 * NODE_RED_ADMIN_PASSWORD (ADMIN_PASSWORD) unless the spec says otherwise.
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

/** The editor password the demo specs start Node-RED with. */
export const ADMIN_PASSWORD = 'demo-spec-password';

export interface DemoOptions {
  /** Environment on top of the spec's defaults (a value of undefined removes the variable). */
  env?: Record<string, string | undefined>;
  /** A user directory to use (and keep) instead of a fresh temporary one. */
  userDir?: string;
  /** Flows to start with instead of the examples (`[]`: an empty editor). */
  flows?: unknown[];
}

export interface Demo {
  base: string;
  port: number;
  mqttPort: number;
  userDir: string;
  /** The Node-RED process. */
  pid: number;
  /** Everything the process printed so far. */
  output(): string;
  stop(): Promise<void>;
  /** An admin API access token for `password` (default ADMIN_PASSWORD). */
  adminToken(password?: string): Promise<string>;
}

/** Logs in to the admin API as the editor does (Node-RED's password grant); rejects with the status. */
export async function adminToken(base: string, password: string): Promise<string> {
  const response = await fetch(`${base}/auth/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ client_id: 'node-red-admin', grant_type: 'password', scope: '*', username: 'admin', password }),
  });
  if (response.status !== 200) throw new Error(`login failed: HTTP ${response.status}`);
  return ((await response.json()) as { access_token: string }).access_token;
}

/**
 * Starts scripts/start.js and resolves once its console shows every line in `readyWhen`. With
 * `options.flows`, the user directory starts with those flows instead of the examples (`[]`: an empty editor).
 */
export async function startDemo(readyWhen: string[], tmpPrefix: string, options: DemoOptions = {}): Promise<Demo> {
  const port = await freePort();
  const mqttPort = await freePort();
  const userDir = options.userDir ?? fs.mkdtempSync(path.join(os.tmpdir(), tmpPrefix));
  if (options.flows) fs.writeFileSync(path.join(userDir, 'flows.json'), JSON.stringify(options.flows));
  const env: Record<string, string | undefined> = {
    ...process.env, PORT: String(port), MQTT_PORT: String(mqttPort), NODE_RED_USER_DIR: userDir,
    VOCAL_SPLIT_INBOX: '', VOCAL_SPLIT_OUTBOX: '', VOCAL_SPLIT_SAMPLE: '', MQTT_BROKER: '',
    NODE_RED_ADMIN_PASSWORD: ADMIN_PASSWORD, ...options.env,
  };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete env[k];
  const child: ChildProcess = spawn(process.execPath, [path.join(REPO_ROOT, 'scripts', 'start.js')], {
    env,
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
    if (!options.userDir) fs.rmSync(userDir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 50_000;
  while (!readyWhen.every((line) => output.includes(line))) {
    if (Date.now() > deadline || child.exitCode !== null) {
      await stop();
      throw new Error(`Node-RED did not start:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  const base = `http://127.0.0.1:${port}`;
  return {
    base, port, mqttPort, userDir, pid: child.pid ?? 0, output: () => output, stop,
    adminToken: (password = ADMIN_PASSWORD) => adminToken(base, password),
  };
}

/**
 * POSTs bytes on a connection of its own (no keep-alive pool). For uploads that follow a long pause:
 * fetch would reuse a pooled socket that the server may be closing after its 5 s keep-alive timeout,
 * and the write then fails with EPIPE.
 */
export function postOnFreshConnection(url: string, body: Buffer, headers: http.OutgoingHttpHeaders = {}): Promise<{ status: number; contentType: string; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, {
      method: 'POST', agent: false,
      headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': body.length, ...headers },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type']), headers: res.headers, body: Buffer.concat(chunks) }));
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
