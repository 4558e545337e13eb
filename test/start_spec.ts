import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import mqtt from 'mqtt';
import { decodeAudio } from '../lib/audio/decode';
import { resample } from '../lib/audio/resample';
import { encodePcm } from '../lib/stream/pcm';
import { assertStemsOfSong, postOnFreshConnection, startDemo, type Demo } from './support/demo';
import { FIXTURES, MIR1K_SAMPLE } from './support/paths';

/** `npm start`'s script, as a user runs it: the real embedded Node-RED with the example flows. */
describe('npm start (embedded Node-RED with the example flows)', function () {
  let demo: Demo;
  let base: string;
  let userDir: string;
  let mqttPort: number;
  const output = (): string => demo.output();

  before(async function () {
    // Up, flows started, and the jukebox flow connected to the embedded broker.
    demo = await startDemo(['is running', 'Started flows', 'Connected to broker'], 'vocal-split-start-');
    ({ base, userDir, mqttPort } = demo);
  });

  after(async function () {
    await demo.stop();
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
    await assertStemsOfSong(song, Buffer.from(await vocals.arrayBuffer()), Buffer.from(await karaoke.arrayBuffer()));
    const bad = await fetch(`${base}/karaoke`, { method: 'POST', headers: { 'Content-Type': 'application/octet-stream' }, body: Buffer.from('not a song') });
    assert.equal(bad.status, 400);
    assert.match(((await bad.json()) as { error: string }).error, /not a recognised audio format/);
  });
  it('prints the inbox, the outbox and the broker, and made the folders in its user directory', function () {
    for (const dir of ['inbox', 'outbox']) {
      assert.ok(output().includes(path.join(userDir, dir)), output());
      assert.ok(fs.statSync(path.join(userDir, dir)).isDirectory());
    }
    assert.ok(output().includes(`mqtt://127.0.0.1:${mqttPort}`), output());
  });

  it('serves the karaoke page at GET /karaoke: a file picker and two audio players', async function () {
    const response = await fetch(`${base}/karaoke`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/html/);
    const html = await response.text();
    assert.match(html, /<input type="file"/);
    assert.equal(html.match(/<audio /g)?.length, 2);
    assert.match(html, /karaoke\?stem=both/);
  });

  it('takes a 20 MB upload (a 10-minute MP3 is 10-20 MB): a file that is not audio gets 400 with the reason, not 413', async function () {
    const big = Buffer.alloc(20 * 1024 * 1024, 'this is not a song ');
    const response = await fetch(`${base}/karaoke?stem=both`, {
      method: 'POST', headers: { 'Content-Type': 'application/octet-stream' }, body: big,
    });
    assert.equal(response.status, 400);
    assert.match(((await response.json()) as { error: string }).error, /not a recognised audio format/);
  });

  it('splits a real 10-minute stereo MP3 POSTed to /karaoke (a large upload, end to end)', async function () {
    this.timeout(240_000);
    // Ten minutes of a real clip, looped, encoded to a 128 kbit/s stereo MP3 (≈ 9.6 MB) by ffmpeg.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vocal-split-long-'));
    try {
      const mp3 = path.join(dir, 'long.mp3');
      execFileSync('ffmpeg', ['-v', 'error', '-stream_loop', '-1', '-i', path.join(MIR1K_SAMPLE, 'leon_1_06.wav'),
        '-t', '600', '-ar', '44100', '-ac', '2', '-b:a', '128k', mp3]);
      const song = fs.readFileSync(mp3);
      assert.ok(song.length > 9_000_000, `${song.length} bytes`);
      // The MP3 took seconds to encode: a fresh connection, not a pooled one the server may be closing.
      const response = await postOnFreshConnection(`${base}/karaoke`, song);
      assert.equal(response.status, 200);
      assert.equal(response.contentType, 'audio/wav');
      const karaoke = await decodeAudio(response.body);
      const mixture = await decodeAudio(song);
      assert.equal(karaoke.sampleRate, 44100);
      assert.equal(karaoke.channels.length, 2);
      assert.equal(karaoke.channels[0].length, mixture.channels[0].length);
      assert.ok(karaoke.channels[0].length >= 600 * 44100);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('answers 16 uploads at once, each with its own song\'s stem (8 songs, karaoke and vocals of each)', async function () {
    this.timeout(180_000);
    const names = fs.readdirSync(MIR1K_SAMPLE).filter((f) => f.endsWith('.wav')).sort().slice(0, 8);
    const songs = names.map((n) => fs.readFileSync(path.join(MIR1K_SAMPLE, n)));
    const answers = await Promise.all(songs.flatMap((song) => ['', '?stem=vocals'].map((q) => postOnFreshConnection(`${base}/karaoke${q}`, song))));
    for (let k = 0; k < songs.length; k++) {
      const [karaoke, vocals] = [answers[2 * k], answers[2 * k + 1]];
      assert.equal(karaoke.status, 200, names[k]);
      assert.equal(vocals.status, 200, names[k]);
      await assertStemsOfSong(songs[k], vocals.body, karaoke.body);
    }
  });

  it('answers the page\'s ?stem=both with the URLs of both stems, which sum to the song', async function () {
    this.timeout(120_000);
    const song = fs.readFileSync(path.join(MIR1K_SAMPLE, 'Kenshin_2_10.wav'));
    const response = await fetch(`${base}/karaoke?stem=both`, {
      method: 'POST', headers: { 'Content-Type': 'application/octet-stream' }, body: song,
    });
    assert.equal(response.status, 200);
    const urls = (await response.json()) as { vocals: string; accompaniment: string };
    const get = async (url: string) => {
      const stem = await fetch(`${base}/${url}`);
      assert.equal(stem.status, 200);
      assert.equal(stem.headers.get('content-type'), 'audio/wav');
      return Buffer.from(await stem.arrayBuffer());
    };
    await assertStemsOfSong(song, await get(urls.vocals), await get(urls.accompaniment));
    const gone = await fetch(`${base}/karaoke/stems/nope/vocals.wav`);
    assert.equal(gone.status, 404);
    assert.match(((await gone.json()) as { error: string }).error, /split the song again/);
  });

  it('splits a song dropped into the inbox into <song>.vocals.wav and <song>.accompaniment.wav in the outbox', async function () {
    this.timeout(120_000);
    const song = fs.readFileSync(path.join(MIR1K_SAMPLE, 'annar_4_02.wav'));
    const mixture = await decodeAudio(song);
    const expectedBytes = 44 + mixture.channels[0].length * mixture.channels.length * 2;
    fs.writeFileSync(path.join(userDir, 'inbox', 'annar_4_02.wav'), song);
    const outs = ['vocals', 'accompaniment'].map((stem) => path.join(userDir, 'outbox', `annar_4_02.${stem}.wav`));
    const deadline = Date.now() + 100_000;
    const size = (f: string) => (fs.existsSync(f) ? fs.statSync(f).size : -1);
    while (!outs.every((f) => size(f) === expectedBytes)) {
      if (Date.now() > deadline) throw new Error(`no stems in the outbox (${fs.readdirSync(path.join(userDir, 'outbox')).join(', ')}):\n${output()}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    await assertStemsOfSong(song, fs.readFileSync(outs[0]), fs.readFileSync(outs[1]));
  });

  it('splits a song published to jukebox/in over MQTT: jukebox/vocals and jukebox/karaoke sum to it', async function () {
    this.timeout(120_000);
    const song = fs.readFileSync(path.join(MIR1K_SAMPLE, 'bobon_3_08.wav'));
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${mqttPort}`, { reconnectPeriod: 0 });
    try {
      const got: Record<string, Buffer> = {};
      const both = new Promise<void>((resolve) => {
        client.on('message', (topic, payload) => {
          got[topic] = payload;
          if (got['jukebox/vocals'] && got['jukebox/karaoke']) resolve();
        });
      });
      await client.subscribeAsync(['jukebox/vocals', 'jukebox/karaoke'], { qos: 1 });
      await client.publishAsync('jukebox/in', song, { qos: 1 });
      await both;
      await assertStemsOfSong(song, got['jukebox/vocals'], got['jukebox/karaoke']);
    } finally {
      await client.endAsync();
    }
  });
  it('streams a song live over MQTT in 100 ms PCM chunks: jukebox/live/<player>/karaoke and …/vocals come back chunk by chunk and sum to it', async function () {
    this.timeout(120_000);
    const clip = await resample(await decodeAudio(fs.readFileSync(path.join(MIR1K_SAMPLE, 'heycat_4_05.wav'))), 44100);
    const pcm = encodePcm(clip.channels, 's16le');
    const chunk = 17640; // 100 ms of 44.1 kHz stereo s16le
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${mqttPort}`, { reconnectPeriod: 0 });
    try {
      const got: Record<string, Buffer[]> = { 'jukebox/live/kitchen/vocals': [], 'jukebox/live/kitchen/karaoke': [] };
      const size = (t: string): number => got[t].reduce((n, b) => n + b.length, 0);
      const all = new Promise<void>((resolve) => {
        client.on('message', (topic, payload) => {
          got[topic]?.push(payload);
          if (size('jukebox/live/kitchen/vocals') >= pcm.length && size('jukebox/live/kitchen/karaoke') >= pcm.length) resolve();
        });
      });
      await client.subscribeAsync(Object.keys(got), { qos: 1 });
      for (let at = 0; at < pcm.length; at += chunk) await client.publishAsync('jukebox/live/kitchen/in', pcm.subarray(at, at + chunk), { qos: 1 });
      await client.publishAsync('jukebox/live/kitchen/in', Buffer.alloc(0), { qos: 1 }); // end of stream
      await all;
      const vocals = Buffer.concat(got['jukebox/live/kitchen/vocals']);
      const karaoke = Buffer.concat(got['jukebox/live/kitchen/karaoke']);
      assert.equal(vocals.length, pcm.length);
      assert.equal(karaoke.length, pcm.length);
      assert.ok(got['jukebox/live/kitchen/karaoke'].length > 10, 'answered chunk by chunk, not at the end');
      let worst = 0;
      let voiceEnergy = 0;
      for (let i = 0; i < pcm.length; i += 2) {
        worst = Math.max(worst, Math.abs(vocals.readInt16LE(i) + karaoke.readInt16LE(i) - pcm.readInt16LE(i)));
        voiceEnergy += vocals.readInt16LE(i) ** 2;
      }
      assert.ok(worst <= 1, `vocals + karaoke = the song (off by ${worst} LSB)`);
      assert.ok(voiceEnergy > 0, 'the vocals are not silent');
    } finally {
      await client.endAsync();
    }
  });

  it('runs the pieces flow (decode → STFT → U-Net mask → apply mask → iSTFT → encode) from its inject button', async function () {
    this.timeout(60_000);
    const inject = await fetch(`${base}/inject/e5c0inject000001`, { method: 'POST' });
    assert.equal(inject.status, 200);
    const song = fs.readFileSync(path.join(FIXTURES, 'audio', 'mp3_stereo_44k.mp3'));
    const mixture = await decodeAudio(song);
    const expectedBytes = 44 + mixture.channels[0].length * mixture.channels.length * 2;
    const outs = ['vocals', 'accompaniment'].map((stem) => path.join(userDir, 'outbox', `mp3_stereo_44k.chain.${stem}.wav`));
    const deadline = Date.now() + 50_000;
    const size = (f: string) => (fs.existsSync(f) ? fs.statSync(f).size : -1);
    while (!outs.every((f) => size(f) === expectedBytes)) {
      if (Date.now() > deadline) throw new Error(`no chain stems in the outbox:\n${output()}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    await assertStemsOfSong(song, fs.readFileSync(outs[0]), fs.readFileSync(outs[1]));
  });
});
