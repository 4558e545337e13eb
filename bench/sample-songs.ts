/** Songs for the throughput benchmarks, made from the MIR-1K sample clips in the repository. */
import { encodeWav } from '../lib/audio/encode';
import { resample } from '../lib/audio/resample';
import { listClips, loadClip } from '../lib/eval/mir1k';
import { MIR1K_SAMPLE } from '../test/support/paths';

/**
 * `count` different stereo 44.1 kHz songs of `seconds`, as 16-bit WAV bytes: song k is the sample
 * clips' mixtures in an order rotated by k, looped, the voice a little left of centre.
 */
export async function sampleSongs(count: number, seconds: number): Promise<Buffer[]> {
  const clips = await Promise.all(listClips(MIR1K_SAMPLE).map((r) => loadClip(r)));
  const songs: Buffer[] = [];
  for (let k = 0; k < count; k++) {
    const order = clips.map((_, i) => clips[(i + k) % clips.length]);
    const mono = Float32Array.from(order.flatMap((c) => Array.from(c.mixture)).slice(0, seconds * 16000));
    const at44 = await resample({ sampleRate: 16000, channels: [mono.map((x) => 0.22 * x), mono.map((x) => 0.18 * x)] }, 44100);
    songs.push(encodeWav(at44, { bitDepth: 16 }));
  }
  return songs;
}
