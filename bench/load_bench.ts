/**
 * Load on `npm start`'s karaoke endpoint: 20 uploads of different 30-second 44.1 kHz stereo songs
 * (16-bit WAV, 5.3 MB each) POSTed to /karaoke at once. Prints whether every answer is right (200,
 * a WAV as long as its song, quieter than it: the singer is gone), the total time, the Node-RED
 * process's peak RSS, and how the editor answers meanwhile (GET / every 100 ms: the event loop's
 * delay as a user feels it).
 */
import { decodeAudio } from '../lib/audio/decode';
import { postOnFreshConnection, startDemo } from '../test/support/demo';
import { peakRssMB } from './peak-rss';
import { sampleSongs } from './sample-songs';

export const title = 'Load: 20 concurrent 30-second uploads to /karaoke (npm start)';

const UPLOADS = 20;
const SECONDS = 30;

function energy(x: Float32Array): number {
  let e = 0;
  for (let i = 0; i < x.length; i++) e += x[i] * x[i];
  return e;
}

export async function run(): Promise<void> {
  const songs = await sampleSongs(UPLOADS, SECONDS);
  const demo = await startDemo(['is running', 'Started flows'], 'vocal-split-load-');
  try {
    const rssBefore = peakRssMB(demo.pid);
    const editor: number[] = [];
    let polling = true;
    const poll = (async () => {
      while (polling) {
        const t = performance.now();
        await fetch(`${demo.base}/`).then((r) => r.arrayBuffer());
        editor.push(performance.now() - t);
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    const t0 = performance.now();
    const answers = await Promise.all(songs.map(async (song) => {
      const r = await postOnFreshConnection(`${demo.base}/karaoke`, song);
      return { ...r, seconds: (performance.now() - t0) / 1000 };
    }));
    const total = (performance.now() - t0) / 1000;
    polling = false;
    await poll;
    let right = 0;
    for (let k = 0; k < UPLOADS; k++) {
      const a = answers[k];
      if (a.status !== 200) continue;
      const karaoke = await decodeAudio(a.body);
      const song = await decodeAudio(songs[k]);
      const ok = karaoke.channels[0].length === song.channels[0].length && energy(karaoke.channels[0]) < 0.9 * energy(song.channels[0]);
      if (ok) right++;
    }
    editor.sort((a, b) => a - b);
    console.log(`${UPLOADS} uploads of ${SECONDS} s songs (${(songs[0].length / 2 ** 20).toFixed(1)} MB each): ${right}/${UPLOADS} answered right (200, full length, singer removed)`);
    console.log(`total ${total.toFixed(1)} s; first answer after ${Math.min(...answers.map((a) => a.seconds)).toFixed(1)} s, last after ${Math.max(...answers.map((a) => a.seconds)).toFixed(1)} s`);
    console.log(`editor (GET / every 100 ms, ${editor.length} requests): median ${editor[Math.floor(editor.length / 2)].toFixed(0)} ms, p99 ${editor[Math.floor(editor.length * 0.99)].toFixed(0)} ms, max ${editor.at(-1)?.toFixed(0)} ms`);
    console.log(`Node-RED peak RSS: ${peakRssMB(demo.pid)} MB (${rssBefore} MB after start)`);
  } finally {
    await demo.stop();
  }
}
