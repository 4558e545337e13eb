/**
 * `npm start` is secure by default, checked on the real process with real HTTP and a real MQTT
 * client: the editor needs a login (password made on first start, printed once, kept as a bcrypt
 * hash), no cross-origin requests and no CORS headers, only this machine's host names, capped
 * uploads, and a broker with limits and (here) a login. (The admin API's body cap: start_spec.)
 */
import assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import mqtt from 'mqtt';
import { adminToken, startDemo, type Demo } from './support/demo';

const MQTT_LOGIN = { username: 'jukebox', password: 'mqtt-secret' };

/** One request with headers fetch() will not send (Host, Upgrade) or a body sent in parts. */
function request(url: string, options: http.RequestOptions & { body?: Buffer }): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { agent: false, ...options }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => { body += d.toString(); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve({ status: res.statusCode ?? 0, headers: res.headers, body: '' });
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

describe('npm start is secure by default', function () {
  this.timeout(60_000);
  let demo: Demo;
  let userDir: string;
  let password: string;

  before(async function () {
    userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vocal-split-secure-'));
    demo = await startDemo(['is running', 'Started flows', 'Connected to broker'], '', {
      userDir,
      env: {
        NODE_RED_ADMIN_PASSWORD: undefined, // the first start makes one
        VOCAL_SPLIT_ALLOWED_HOSTS: 'studio.example',
        VOCAL_SPLIT_MAX_UPLOAD_MB: '1',
        VOCAL_SPLIT_UPLOAD_BUDGET_MB: '1.5',
        MQTT_MAX_PACKET_MB: '1',
        MQTT_USERNAME: MQTT_LOGIN.username,
        MQTT_PASSWORD: MQTT_LOGIN.password,
      },
    });
  });

  after(async function () {
    await demo?.stop();
    fs.rmSync(userDir, { recursive: true, force: true });
  });

  it('makes the editor password on first start, prints it once, and keeps only its bcrypt hash', async function () {
    const printed = /editor login: {2}user admin, password (\S+)/.exec(demo.output());
    assert.ok(printed, demo.output());
    password = printed[1];
    const hashFile = path.join(userDir, 'admin-password.bcrypt');
    const hash = fs.readFileSync(hashFile, 'utf8');
    assert.match(hash, /^\$2[aby]\$10\$/);
    assert.ok(!hash.includes(password));
    assert.equal(fs.statSync(hashFile).mode & 0o077, 0, 'readable by its owner only');
    assert.equal((await fetch(`${demo.base}/flows`)).status, 401, 'no login, no admin API');
    await assert.rejects(adminToken(demo.base, `${password}x`), /login failed/);
    const token = await adminToken(demo.base, password);
    assert.equal((await fetch(`${demo.base}/flows`, { headers: { Authorization: `Bearer ${token}` } })).status, 200);
  });

  it('refuses cross-origin requests (preflights included) and sends no CORS headers', async function () {
    const token = await adminToken(demo.base, password);
    const evil = 'http://evil.example';
    const preflight = await fetch(`${demo.base}/flows`, {
      method: 'OPTIONS', headers: { Origin: evil, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'authorization,content-type' },
    });
    assert.equal(preflight.status, 403);
    assert.equal(preflight.headers.get('access-control-allow-origin'), null);
    assert.equal(preflight.headers.get('access-control-allow-headers'), null);
    assert.equal((await fetch(`${demo.base}/settings`, { headers: { Origin: evil, Authorization: `Bearer ${token}` } })).status, 403);
    const deploy = await fetch(`${demo.base}/flows`, { method: 'POST', headers: { Origin: evil, Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: '[]' });
    assert.equal(deploy.status, 403, 'a web page cannot deploy');
    const upload = await fetch(`${demo.base}/audio-info`, { method: 'POST', headers: { Origin: evil, 'Content-Type': 'text/plain' }, body: 'x' });
    assert.equal(upload.status, 403, 'nor use the example endpoints from another site');
    const own = await fetch(`${demo.base}/settings`, { headers: { Origin: demo.base, Authorization: `Bearer ${token}` } });
    assert.equal(own.status, 200, 'the editor\'s own requests pass');
    assert.equal(own.headers.get('access-control-allow-origin'), null, 'no CORS header, not even "*"');
  });

  it('answers only to this machine\'s names (a DNS-rebinding Host is refused), WebSocket upgrades included', async function () {
    const status = async (host: string): Promise<number> => (await request(`${demo.base}/karaoke`, { headers: { Host: host } })).status;
    assert.equal(await status(`evil.example:${demo.port}`), 403);
    assert.equal(await status(`127.0.0.1.evil.example:${demo.port}`), 403);
    for (const host of [`localhost:${demo.port}`, `127.0.0.1:${demo.port}`, `[::1]:${demo.port}`, 'studio.example', `app.localhost:${demo.port}`]) {
      assert.equal(await status(host), 200, host);
    }
    const upgrade = (host: string) => request(`${demo.base}/comms`, {
      headers: { Host: host, Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': crypto.randomBytes(16).toString('base64') },
    });
    assert.equal((await upgrade(`evil.example:${demo.port}`)).status, 403);
    assert.equal((await upgrade(`127.0.0.1:${demo.port}`)).status, 101);
  });

  it('caps uploads: chunked 411, over VOCAL_SPLIT_MAX_UPLOAD_MB 413, past the budget of bodies held at once 503 + Retry-After', async function () {
    const chunked = await request(`${demo.base}/audio-info`, { method: 'POST', headers: { 'Transfer-Encoding': 'chunked' }, body: Buffer.alloc(1000) });
    assert.equal(chunked.status, 411);
    const big = await request(`${demo.base}/audio-info`, { method: 'POST', headers: { 'Content-Length': String(2 * 2 ** 20) } });
    assert.equal(big.status, 413);
    assert.match(big.body, /over the 1048576-byte limit \(VOCAL_SPLIT_MAX_UPLOAD_MB\)/);
    // A 1 MB upload that is still coming in holds 1 MB of the 1.5 MB budget: a second one must wait.
    const slow = http.request(`${demo.base}/audio-info`, { method: 'POST', agent: false, headers: { 'Content-Length': String(2 ** 20) } });
    slow.on('error', () => undefined);
    slow.write(Buffer.alloc(1000));
    await new Promise((r) => setTimeout(r, 300));
    const second = await request(`${demo.base}/audio-info`, { method: 'POST', headers: { 'Content-Length': String(2 ** 20) }, body: Buffer.alloc(2 ** 20) });
    assert.equal(second.status, 503);
    assert.equal(second.headers['retry-after'], '10');
    slow.destroy();
    await new Promise((r) => setTimeout(r, 300));
    const third = await request(`${demo.base}/audio-info`, { method: 'POST', headers: { 'Content-Length': String(2 ** 20), 'Content-Type': 'application/octet-stream' }, body: Buffer.alloc(2 ** 20) });
    assert.equal(third.status, 400, 'budget back once the first upload went away');
  });

  it('the broker wants its login, closes a connection that sends a packet over MQTT_MAX_PACKET_MB, keeps no retained messages and no offline sessions', async function () {
    const url = `mqtt://127.0.0.1:${demo.mqttPort}`;
    // Both jukebox flows' broker nodes logged in with MQTT_USERNAME / MQTT_PASSWORD.
    while ((demo.output().match(/Connected to broker/g) ?? []).length < 2) await new Promise((r) => setTimeout(r, 100));
    await assert.rejects(mqtt.connectAsync(url, { reconnectPeriod: 0 }), /Not authorized|Bad username or password/i);
    await assert.rejects(mqtt.connectAsync(url, { reconnectPeriod: 0, username: MQTT_LOGIN.username, password: 'wrong' }), /Not authorized|Bad username or password/i);
    const connect = (options: mqtt.IClientOptions = {}) => mqtt.connectAsync(url, { reconnectPeriod: 0, ...MQTT_LOGIN, ...options });

    const big = await connect();
    const closed = new Promise<void>((r) => big.once('close', () => r()));
    big.publish('jukebox/in', Buffer.alloc(2 * 2 ** 20), { qos: 0 });
    await closed;
    big.end(true);

    // Retained: a subscriber sees the marker it publishes itself first, so nothing retained came before it.
    const a = await connect();
    await a.publishAsync('jukebox/in/retained-test', Buffer.from('kept?'), { qos: 1, retain: true });
    await a.endAsync();
    const b = await connect();
    const first = new Promise<string>((r) => b.once('message', (_t, p) => r(p.toString())));
    await b.subscribeAsync('jukebox/in/retained-test', { qos: 1 });
    await b.publishAsync('jukebox/in/retained-test', Buffer.from('marker'), { qos: 1 });
    assert.equal(await first, 'marker', 'no retained message was delivered');
    await b.endAsync();

    // A persistent session asked for, subscribed, gone: nothing is queued for it while it is away.
    const c = await connect({ clientId: 'offline-client', clean: false });
    await c.subscribeAsync('jukebox/queue-test', { qos: 1 });
    await c.endAsync();
    const d = await connect();
    for (let i = 0; i < 5; i++) await d.publishAsync('jukebox/queue-test', Buffer.from(`m${i}`), { qos: 1 });
    const got: string[] = [];
    const c2 = mqtt.connect(url, { reconnectPeriod: 0, ...MQTT_LOGIN, clientId: 'offline-client', clean: false });
    c2.on('message', (_t, p) => got.push(p.toString()));
    const connack = await new Promise<mqtt.IConnackPacket>((r) => c2.once('connect', r));
    assert.equal(connack.sessionPresent, false);
    await c2.subscribeAsync('jukebox/queue-test', { qos: 1 });
    await d.publishAsync('jukebox/queue-test', Buffer.from('marker'), { qos: 1 });
    while (!got.includes('marker')) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(got, ['marker']);
    await c2.endAsync();
    await d.endAsync();
  });

  it('a second start prints no password, and the first one still logs in', async function () {
    await demo.stop();
    demo = await startDemo(['is running', 'Started flows'], '', { userDir, env: { NODE_RED_ADMIN_PASSWORD: undefined } });
    assert.ok(!demo.output().includes('editor login'), demo.output());
    await adminToken(demo.base, password);
  });
});
