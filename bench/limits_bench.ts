/**
 * `npm run bench limits`: what the caps of `npm start` hold against the hardening report's attacks,
 * on the real process with its example flows. Each case starts from a reset peak RSS and prints
 * whether Node-RED stayed up, how every request was answered, and the process's peak RSS (goal:
 * ≤ 1.5 GB, every request answered, no input lost or overwritten):
 *   streams    5,000 MQTT players sending one 100 ms chunk each to jukebox/live/<player>/in
 *   uploads    30 concurrent uploads of 30-second 44.1 kHz stereo songs to /karaoke
 *   inbox      3 GB and 5 GB files dropped into the inbox (sparse files)
 *   wav8       the 522 MB 8-bit, 8-channel, 192 kHz WAV (sparse), in the inbox and POSTed
 *   redeploys  10 full redeploys, 3 s apart, while 4 clients keep uploading 30-second songs
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import mqtt from 'mqtt';
import { encodePcm } from '../lib/stream/pcm';
import { postOnFreshConnection, startDemo, type Demo } from '../test/support/demo';
import { BIG_MULTICHANNEL_WAV, wavHeader } from '../test/support/wav-header';
import { peakRssMB, resetPeakRss, rssMB } from './peak-rss';
import { sampleSongs } from './sample-songs';

export const title = 'Limits: npm start under the hardening report\'s attacks (peak RSS, answers)';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function tally(statuses: number[]): string {
  const counts = new Map<number, number>();
  for (const s of statuses) counts.set(s, (counts.get(s) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => a[0] - b[0]).map(([s, n]) => `${n}× ${s === 0 ? 'no answer' : s}`).join(', ');
}

function report(demo: Demo, name: string, details: string): void {
  const alive = (() => { try { process.kill(demo.pid, 0); return true; } catch { return false; } })();
  console.log(`${name}: ${details}; Node-RED ${alive ? 'up' : 'DOWN'}, peak RSS ${peakRssMB(demo.pid)} MB, RSS now ${rssMB(demo.pid)} MB`);
}

async function streams(demo: Demo): Promise<void> {
  const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${demo.mqttPort}`, { reconnectPeriod: 0 });
  const refused = new Set<string>();
  client.on('message', (topic) => refused.add(topic));
  await client.subscribeAsync('jukebox/live/+/error', { qos: 1 });
  const chunk = encodePcm([new Float32Array(4410), new Float32Array(4410)], 's16le');
  const players = 5000;
  await Promise.all(Array.from({ length: players }, (_, p) => client.publishAsync(`jukebox/live/p${p}/in`, chunk, { qos: 1 })));
  const deadline = Date.now() + 120_000;
  while (refused.size < players - 32 && Date.now() < deadline) await sleep(200);
  const peak = peakRssMB(demo.pid);
  await sleep(12_000); // the 32 streams taken time out (10 s idle)
  await client.endAsync();
  console.log(`streams: ${players} players, ${refused.size} refused with TOO_MANY_STREAMS on …/error (32 taken); peak RSS ${peak} MB, ${rssMB(demo.pid)} MB 12 s later (streams dropped)`);
  report(demo, 'streams', 'done');
}

async function uploads(demo: Demo, songs30: Buffer[]): Promise<void> {
  const t0 = performance.now();
  const answers = await Promise.all(songs30.map((song) => postOnFreshConnection(`${demo.base}/karaoke`, song).catch(() => ({ status: 0 }))));
  report(demo, 'uploads', `30 × ${(songs30[0].length / 2 ** 20).toFixed(1)} MB at once: ${tally(answers.map((a) => a.status))} in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
}

async function inbox(demo: Demo): Promise<void> {
  const dir = path.join(demo.userDir, 'inbox');
  const drop = (name: string, bytes: number, header: Uint8Array = new Uint8Array(0)): void => {
    fs.writeFileSync(path.join(dir, `.${name}`), header);
    fs.truncateSync(path.join(dir, `.${name}`), bytes);
    fs.renameSync(path.join(dir, `.${name}`), path.join(dir, name));
  };
  const wait = async (names: string[]): Promise<string[]> => {
    while (!names.every((n) => fs.existsSync(path.join(dir, 'failed', `${n}.reason.txt`)) || fs.existsSync(path.join(dir, 'done', n)))) await sleep(200);
    return names.map((n) => `${n} → ${fs.existsSync(path.join(dir, 'done', n)) ? 'done/' : `failed/ (${fs.readFileSync(path.join(dir, 'failed', `${n}.reason.txt`), 'utf8').trim()})`}`);
  };
  drop('three-gb.wav', 3 * 2 ** 30);
  drop('five-gb.mp3', 5 * 2 ** 30);
  report(demo, 'inbox', (await wait(['three-gb.wav', 'five-gb.mp3'])).join('; '));
}

async function wav8(demo: Demo): Promise<void> {
  const dir = path.join(demo.userDir, 'inbox');
  const name = 'eight-channels-192k.wav';
  fs.writeFileSync(path.join(dir, `.${name}`), wavHeader(BIG_MULTICHANNEL_WAV));
  fs.truncateSync(path.join(dir, `.${name}`), 44 + BIG_MULTICHANNEL_WAV.dataBytes);
  fs.renameSync(path.join(dir, `.${name}`), path.join(dir, name));
  const reason = path.join(dir, 'failed', `${name}.reason.txt`);
  while (!fs.existsSync(reason)) await sleep(200);
  // The same file announced as an upload: the answer comes from its Content-Length, before any byte of it.
  const posted = await new Promise<string>((resolve) => {
    const req = http.request(`${demo.base}/karaoke`, { method: 'POST', agent: false, headers: { 'Content-Length': String(44 + BIG_MULTICHANNEL_WAV.dataBytes) } }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => { body += d.toString(); });
      res.on('end', () => resolve(`${res.statusCode} ${body}`));
    });
    req.on('error', (err) => resolve(`error ${err.message}`));
    req.write(wavHeader(BIG_MULTICHANNEL_WAV));
  });
  report(demo, 'wav8', `inbox → failed/ (${fs.readFileSync(reason, 'utf8').trim()}); POST /karaoke → ${posted}`);
}

async function redeploys(demo: Demo, songs30: Buffer[]): Promise<void> {
  const token = await demo.adminToken();
  const flows = await (await fetch(`${demo.base}/flows`, { headers: { Authorization: `Bearer ${token}` } })).json();
  const statuses: number[] = [];
  let loading = true;
  const clients = Array.from({ length: 4 }, async (_, c) => {
    for (let k = c; loading; k += 4) {
      const answer = await postOnFreshConnection(`${demo.base}/karaoke`, songs30[k % songs30.length]).catch(() => ({ status: 0 }));
      statuses.push(answer.status);
      if (answer.status !== 200) await sleep(500);
    }
  });
  for (let i = 0; i < 10; i++) {
    await sleep(3000);
    await fetch(`${demo.base}/flows`, {
      method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', 'Node-RED-Deployment-Type': 'full' }, body: JSON.stringify(flows),
    });
  }
  await sleep(3000);
  loading = false;
  await Promise.all(clients);
  report(demo, 'redeploys', `10 full redeploys under 4 uploading clients: ${statuses.length} uploads answered (${tally(statuses)})`);
}

export async function run(): Promise<void> {
  const wanted = (process.env.LIMITS_CASES ?? 'streams,uploads,inbox,wav8,redeploys').split(',');
  const songs30 = await sampleSongs(30, 30);
  const demo = await startDemo(['is running', 'Started flows', 'Connected to broker'], 'vocal-split-limits-');
  try {
    console.log(`Node-RED after start: RSS ${rssMB(demo.pid)} MB (machine: ${process.env.BENCH_NOTE ?? 'see the report'})`);
    const cases: Record<string, () => Promise<void>> = {
      streams: () => streams(demo),
      uploads: () => uploads(demo, songs30),
      inbox: () => inbox(demo),
      wav8: () => wav8(demo),
      redeploys: () => redeploys(demo, songs30),
    };
    for (const name of wanted) {
      resetPeakRss(demo.pid);
      await cases[name]();
    }
  } finally {
    await demo.stop();
  }
}
