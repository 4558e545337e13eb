/**
 * Seeded mutations of real audio files for the fuzz suite: truncations, bit flips, header fields
 * set to extreme values, inserted / deleted / duplicated / zeroed ranges. Deterministic for a
 * (file, seed), so a failing variant can be rebuilt from its id; the corpus itself is never stored.
 */

import { mulberry32 as prng } from '../../lib/model/weights-io';

const EXTREMES = [0, 1, 0x7fffffff, 0x80000000, 0xffffffff, 0xffff, 0x8000];

export interface Variant {
  /** e.g. "mp3_stereo_44k.mp3#17 flip@12" */
  id: string;
  bytes: Buffer;
}

/** Variant `index` of `bytes` for `seed`: one or a few mutations, biased towards the header. */
export function mutate(name: string, bytes: Buffer, seed: number, index: number): Variant {
  let h = 2166136261;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 16777619);
  const rnd = prng((seed * 1_000_003 + index * 7919 + (h >>> 0)) >>> 0);
  const int = (n: number): number => Math.floor(rnd() * n);
  // Half the positions land in the first 256 bytes, where headers and chunk sizes live.
  const pos = (len: number): number => (len === 0 ? 0 : rnd() < 0.5 ? int(Math.min(256, len)) : int(len));
  let out = Buffer.from(bytes);
  const done: string[] = [];
  const steps = 1 + int(3);
  for (let s = 0; s < steps; s++) {
    const kind = int(7);
    const at = pos(out.length);
    switch (kind) {
      case 0: { // truncate
        out = out.subarray(0, at);
        done.push(`cut@${at}`);
        break;
      }
      case 1: { // flip bits
        const n = 1 + int(8);
        for (let i = 0; i < n && out.length > 0; i++) out[pos(out.length)] ^= 1 << int(8);
        done.push(`flip×${n}`);
        break;
      }
      case 2: { // a 16- or 32-bit field set to an extreme
        if (out.length >= at + 4) {
          const v = EXTREMES[int(EXTREMES.length)];
          if (rnd() < 0.5) out.writeUInt32LE(v >>> 0, at); else out.writeUInt32BE(v >>> 0, at);
          done.push(`field@${at}=${v}`);
        }
        break;
      }
      case 3: { // insert random bytes
        const n = 1 + int(64);
        const ins = Buffer.from(Array.from({ length: n }, () => int(256)));
        out = Buffer.concat([out.subarray(0, at), ins, out.subarray(at)]);
        done.push(`ins@${at}+${n}`);
        break;
      }
      case 4: { // delete a range
        const n = 1 + int(Math.max(1, Math.min(4096, out.length - at)));
        out = Buffer.concat([out.subarray(0, at), out.subarray(at + n)]);
        done.push(`del@${at}-${n}`);
        break;
      }
      case 5: { // duplicate a range
        const n = 1 + int(Math.max(1, Math.min(4096, out.length - at)));
        out = Buffer.concat([out.subarray(0, at + n), out.subarray(at, at + n), out.subarray(at + n)]);
        done.push(`dup@${at}-${n}`);
        break;
      }
      default: { // zero a range
        const n = Math.min(out.length - at, 1 + int(Math.max(1, Math.min(4096, out.length - at))));
        if (n > 0) out.fill(0, at, at + n);
        done.push(`zero@${at}-${n}`);
      }
    }
  }
  return { id: `${name}#${index} ${done.join(' ')}`, bytes: out };
}
