import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import mqtt from 'mqtt';
import { decodeAudio } from '../lib/audio/decode';
import { resample } from '../lib/audio/resample';
import { encodePcm } from '../lib/stream/pcm';
import { peakRssMB, resetPeakRss } from '../bench/peak-rss';
import { assertStemsOfSong, postOnFreshConnection, startDemo, type Demo } from './support/demo';
import { FIXTURES, MIR1K_SAMPLE } from './support/paths';
import { BIG_MULTICHANNEL_WAV, wavHeader } from './support/wav-header';

/** `npm start`'s script, as a user runs it: the real embedded Node-RED with the example flows. */
describe('npm start (embedded Node-RED with the example flows)', function () {
  let demo: Demo;
  let base: string;
  let userDir: string;
  let mqttPort: number;
  const output = (): string => demo.output();

  before(async function () {
    // Up, flows started, and the jukebox flow connected to the embedded broker.
    // Kept stems of the karaoke page: 2 MB here, so a few short songs overflow it.
    demo = await startDemo(['is running', 'Started flows', 'Connected to broker'], 'vocal-split-start-', { env: { VOCAL_SPLIT_KEEP_MB: '2' } });
    ({ base, userDir, mqttPort } = demo);
  });

  after(async function () {
    await demo.stop();
  });

  it('serves the editor, with our node in the palette (the admin API after a login only)', async function () {
    const editor = await fetch(`${base}/`);
    assert.equal(editor.status, 200);
    assert.equal((await fetch(`${base}/nodes`, { headers: { Accept: 'application/json' } })).status, 401);
    const token = await demo.adminToken();
    const nodes = await fetch(`${base}/nodes`, { headers: { Accept: 'application/json', Authorization: `Bearer ${token}` } });
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
      assert.equal(response.headers.get('etag'), null, 'no SHA-1 of the stem hashed on the event loop');
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
    assert.equal((await fetch(`${base}/inject/e5c0inject000001`, { method: 'POST' })).status, 401, 'no login, no inject');
    const inject = await fetch(`${base}/inject/e5c0inject000001`, { method: 'POST', headers: { Authorization: `Bearer ${await demo.adminToken()}` } });
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

  it('caps admin API bodies at 5 MB (apiMaxLength): a 6 MB deploy is refused with 413', async function () {
    const token = await demo.adminToken();
    const huge = JSON.stringify([{ id: 'x', type: 'comment', info: 'x'.repeat(6 * 2 ** 20) }]);
    const response = await postOnFreshConnection(`${base}/flows`, Buffer.from(huge), { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' });
    assert.equal(response.status, 413);
  });

  it('keeps the page\'s stems bounded in bytes: the oldest songs go once VOCAL_SPLIT_KEEP_MB is full', async function () {
    this.timeout(120_000);
    const urls: Array<{ vocals: string; accompaniment: string }> = [];
    let kept = 0;
    for (const name of ['Kenshin_2_10.wav', 'Ani_1_06.wav', 'khair_2_03.wav']) {
      const response = await postOnFreshConnection(`${base}/karaoke?stem=both`, fs.readFileSync(path.join(MIR1K_SAMPLE, name)));
      assert.equal(response.status, 200);
      urls.push(JSON.parse(response.body.toString()) as { vocals: string; accompaniment: string });
      kept = fs.statSync(path.join(MIR1K_SAMPLE, name)).size * 2;
    }
    const status = async (url: string): Promise<number> => (await fetch(`${base}/${url}`)).status;
    // 0.64 + 0.83 + 1.32 MB of stems: the two oldest songs made way for the last one.
    assert.deepEqual(await Promise.all(urls.flatMap((u) => [status(u.vocals), status(u.accompaniment)])), [404, 404, 404, 404, 200, 200]);
    assert.ok(kept < 2 * 2 ** 20);
  });

  it('answers uploads past the queue limit with 503 + Retry-After and the others with their stems', async function () {
    this.timeout(120_000);
    const song = fs.readFileSync(path.join(FIXTURES, 'audio', 'wav_s16_mono_48k.wav'));
    const answers = await Promise.all(Array.from({ length: 40 }, () => postOnFreshConnection(`${base}/karaoke`, song)));
    const busy = answers.filter((a) => a.status === 503);
    const done = answers.filter((a) => a.status === 200);
    assert.equal(busy.length + done.length, 40, `every request answered: ${answers.map((a) => a.status).join(' ')}`);
    assert.ok(busy.length > 0, 'one running and 16 waiting at most: the rest refused');
    for (const b of busy) {
      assert.equal(b.headers['retry-after'], '10');
      assert.match((JSON.parse(b.body.toString()) as { error: string }).error, /busy: 16 messages are waiting already \(Queue limit\)/);
    }
    for (const d of done) assert.equal((await decodeAudio(d.body)).channels[0].length, 48000);
  });

  describe('the folder watch flow', function () {
    const inbox = (...p: string[]): string => path.join(userDir, 'inbox', ...p);
    const outbox = (...p: string[]): string => path.join(userDir, 'outbox', ...p);
    const until = async (what: string, ok: () => boolean, ms = 100_000): Promise<void> => {
      const deadline = Date.now() + ms;
      while (!ok()) {
        if (Date.now() > deadline) throw new Error(`${what}: inbox ${fs.readdirSync(inbox()).join(', ')}; outbox ${fs.readdirSync(outbox()).join(', ')}\n${output()}`);
        await new Promise((r) => setTimeout(r, 250));
      }
    };
    const has = (file: string): boolean => fs.existsSync(file);

    it('waits for a file to stop growing: a song copied in two halves 2.5 s apart is split whole', async function () {
      this.timeout(120_000);
      const song = fs.readFileSync(path.join(MIR1K_SAMPLE, 'stool_4_06.wav'));
      const file = inbox('stool_4_06.wav');
      fs.writeFileSync(file, song.subarray(0, song.length >> 1));
      await new Promise((r) => setTimeout(r, 2500));
      fs.appendFileSync(file, song.subarray(song.length >> 1));
      await until('stool_4_06.wav in done/', () => has(inbox('done', 'stool_4_06.wav')));
      assert.ok(!has(inbox('failed', 'stool_4_06.wav')), 'the half file was never read');
      await assertStemsOfSong(song, fs.readFileSync(outbox('stool_4_06.vocals.wav')), fs.readFileSync(outbox('stool_4_06.accompaniment.wav')));
    });

    it('never overwrites: track.wav and track.mp3 get names of their own, and a file already in the outbox stays', async function () {
      this.timeout(120_000);
      fs.writeFileSync(outbox('track.vocals.wav'), 'mine');
      const songs = [fs.readFileSync(path.join(MIR1K_SAMPLE, 'yifen_5_11.wav')), fs.readFileSync(path.join(FIXTURES, 'audio', 'mp3_stereo_44k.mp3'))];
      fs.writeFileSync(inbox('track.wav'), songs[0]);
      fs.writeFileSync(inbox('track.mp3'), songs[1]);
      await until('both in done/', () => has(inbox('done', 'track.wav')) && has(inbox('done', 'track.mp3')));
      assert.equal(fs.readFileSync(outbox('track.vocals.wav'), 'utf8'), 'mine');
      assert.ok(!has(outbox('track.accompaniment.wav')), 'a pair is never split over two names');
      const pairs = ['track (2)', 'track (3)'].map((b) => [fs.readFileSync(outbox(`${b}.vocals.wav`)), fs.readFileSync(outbox(`${b}.accompaniment.wav`))]);
      const lengths = await Promise.all(songs.map(async (s) => (await decodeAudio(s)).channels[0].length));
      for (const [vocals, accompaniment] of pairs) {
        const k = lengths.indexOf((await decodeAudio(vocals)).channels[0].length);
        assert.ok(k >= 0);
        await assertStemsOfSong(songs[k], vocals, accompaniment);
      }
      assert.deepEqual(fs.readdirSync(outbox()).filter((f) => f.endsWith('.tmp')), [], 'no temporary file left');
    });

    it('never follows a link out of the inbox: it goes to failed/ with a reason that says nothing about the target', async function () {
      this.timeout(60_000);
      const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'vocal-split-outside-'));
      try {
        const target = path.join(outside, 'private.wav');
        fs.copyFileSync(path.join(MIR1K_SAMPLE, 'bug_5_07.wav'), target);
        fs.symlinkSync(target, inbox('leak.wav'));
        await until('leak.wav in failed/', () => has(inbox('failed', 'leak.wav.reason.txt')));
        assert.match(fs.readFileSync(inbox('failed', 'leak.wav.reason.txt'), 'utf8'), /leak\.wav: no such file in the node's folder/);
        assert.ok(fs.lstatSync(inbox('failed', 'leak.wav')).isSymbolicLink(), 'the link itself was moved');
        assert.ok(!fs.readdirSync(outbox()).some((f) => f.startsWith('leak')));
        assert.ok(fs.readFileSync(target).equals(fs.readFileSync(path.join(MIR1K_SAMPLE, 'bug_5_07.wav'))), 'the target is untouched');
      } finally {
        fs.rmSync(outside, { recursive: true, force: true });
      }
    });

    it('refuses 3 GB and 5 GB files and a 522 MB 8-channel 192 kHz WAV (sparse) before reading them: failed/ with the reason, peak RSS under 1.5 GB', async function () {
      this.timeout(100_000);
      resetPeakRss(demo.pid);
      const big = (name: string, bytes: number, header: Uint8Array = new Uint8Array(0)): void => {
        const tmp = inbox(`.${name}`); // made hidden, then renamed in whole: the watch sees one finished file
        fs.writeFileSync(tmp, header);
        fs.truncateSync(tmp, bytes);
        fs.renameSync(tmp, inbox(name));
      };
      big('three.wav', 3 * 2 ** 30);
      big('five.mp3', 5 * 2 ** 30);
      big('eight-channels.wav', 44 + BIG_MULTICHANNEL_WAV.dataBytes, wavHeader(BIG_MULTICHANNEL_WAV));
      const reason = (f: string): string => fs.readFileSync(inbox('failed', `${f}.reason.txt`), 'utf8');
      await until('all three in failed/', () => ['three.wav', 'five.mp3', 'eight-channels.wav'].every((f) => has(inbox('failed', `${f}.reason.txt`))));
      assert.match(reason('three.wav'), /file is 3221225472 bytes, over the 536870912-byte limit/);
      assert.match(reason('five.mp3'), /file is 5368709120 bytes, over the 536870912-byte limit/);
      assert.match(reason('eight-channels.wav'), /decoded, this audio would take 1991 MB \(8 ch × 192000 Hz × 339\.8 s/);
      const peak = peakRssMB(demo.pid);
      assert.ok(peak < 1536, `peak RSS ${peak} MB`);
      assert.equal((await fetch(`${base}/karaoke`)).status, 200, 'still up');
    });
  });

  it('caps live streams per node: players past Max streams hear TOO_MANY_STREAMS on their …/error topic', async function () {
    this.timeout(60_000);
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${mqttPort}`, { reconnectPeriod: 0 });
    try {
      const errors = new Map<string, { code: string; error: string }>();
      client.on('message', (topic, payload) => errors.set(topic, JSON.parse(payload.toString()) as { code: string; error: string }));
      await client.subscribeAsync('jukebox/live/+/error', { qos: 1 });
      const chunk = encodePcm([new Float32Array(4410), new Float32Array(4410)], 's16le');
      // All at once (well inside the streams' 10 s idle timeout, which would free places).
      await Promise.all(Array.from({ length: 100 }, (_, p) => client.publishAsync(`jukebox/live/p${p}/in`, chunk, { qos: 1 })));
      // 32 players were taken (the live example's Max streams), the other 68 refused.
      const deadline = Date.now() + 40_000;
      while (errors.size < 68 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      await new Promise((r) => setTimeout(r, 500));
      assert.equal(errors.size, 68);
      for (const e of errors.values()) assert.equal(e.code, 'TOO_MANY_STREAMS');
      assert.match(errors.get('jukebox/live/p99/error')?.error ?? '', /stream 'jukebox\/live\/p99\/in' refused: 32 live streams are open already \(Max streams\)/);
    } finally {
      await client.endAsync();
    }
  });

  it('answers requests in flight with 503 + Retry-After when the flows are redeployed, and serves again afterwards', async function () {
    this.timeout(120_000);
    const song = fs.readFileSync(path.join(MIR1K_SAMPLE, 'titon_4_10.wav'));
    const uploads = Array.from({ length: 6 }, () => postOnFreshConnection(`${base}/karaoke`, song));
    await new Promise((r) => setTimeout(r, 500));
    const token = await demo.adminToken();
    const flows = await (await fetch(`${base}/flows`, { headers: { Authorization: `Bearer ${token}` } })).json();
    const deploy = await fetch(`${base}/flows`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', 'Node-RED-Deployment-Type': 'full' },
      body: JSON.stringify(flows),
    });
    assert.equal(deploy.status, 204);
    const answers = await Promise.all(uploads);
    const statuses = answers.map((a) => a.status);
    assert.ok(statuses.every((s) => s === 200 || s === 503), statuses.join(' '));
    assert.ok(statuses.includes(503), statuses.join(' '));
    for (const a of answers.filter((x) => x.status === 503)) {
      assert.equal(a.headers['retry-after'], '10');
      assert.match((JSON.parse(a.body.toString()) as { error: string }).error, /closing \(redeploy or shutdown\)/);
    }
    // The new flows register their routes as they start (the deploy answers before that).
    while ((await fetch(`${base}/karaoke`)).status !== 200) await new Promise((r) => setTimeout(r, 200));
    const again = await postOnFreshConnection(`${base}/karaoke`, song);
    assert.equal(again.status, 200);
  });
});
