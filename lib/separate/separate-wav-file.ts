/**
 * Separation of a WAV file too long to hold in memory (an hour of stereo at 44.1 kHz is 1.27 GB
 * as float32): the samples are read from the file as the patches need them, and both stems are
 * written to their WAV files as soon as they are final. The result is the same, byte for byte, as
 * decoding the whole file, separate() and encodeWav(): the same patches, mask engine and iSTFT
 * (its streaming form, tested equal), only memory differs (a few MB of samples instead of three
 * copies of the song).
 *
 * PCM and float WAV at the model's rate (backend.framing); anything else returns false and the caller
 * takes the whole-file path. Each stem is written to a temporary file next to its target and renamed
 * into place once complete, so a failed or aborted run never leaves a WAV that looks whole.
 */
import * as fs from 'node:fs';
import { wavHeader, wavSamples, type WavBitDepth } from '../audio/encode';
import { concatSamples, withCapacity } from '../audio/sample-arrays';
import { findAudioProblem } from '../audio/validate';
import { decodeWavSamples, parseWavHeader, type WavHeader } from '../audio/wav';
import { AudioDecodeError } from '../errors';
import { loadFastFft } from '../dsp/fft-engine';
import { framingPlan, frameCount } from '../dsp/stft-plan';
import { StreamIstft } from '../dsp/stream-istft';
import type { BackendHandle } from '../model/backends/types';
import { applyMaskInPlace, complement } from './apply-mask';
import { runMaskEngine, type FrameSource } from './mask-engine';
import type { SeparateOptions } from './types';

/** Sample frames read from the file per read call. */
const READ_FRAMES = 65536;

/** The input's samples from `base` on, read from the file on demand, dropped once written out. */
class SampleWindow {
  private base = 0;
  private filled = 0;
  private bufs: Float32Array[];

  constructor(private readonly fd: number, private readonly h: WavHeader) {
    this.bufs = Array.from({ length: h.channels }, () => new Float32Array(4 * READ_FRAMES));
  }

  get length(): number {
    return this.h.frames;
  }

  /** Sample i of channel c (0 outside the file); i must be ≥ the released position. */
  fill(c: number, from: number, out: Float32Array): void {
    this.ensure(Math.min(this.h.frames, from + out.length));
    const buf = this.bufs[c];
    for (let j = 0; j < out.length; j++) {
      const i = from + j;
      out[j] = i < 0 || i >= this.h.frames ? 0 : buf[i - this.base];
    }
  }

  /** Samples before `before` are not needed any more. */
  release(before: number): void {
    const drop = Math.min(before, this.base + this.filled) - this.base;
    if (drop <= 0) return;
    for (const b of this.bufs) b.copyWithin(0, drop, this.filled);
    this.base += drop;
    this.filled -= drop;
  }

  private ensure(upTo: number): void {
    while (this.base + this.filled < upTo) {
      const first = this.base + this.filled;
      const n = Math.min(READ_FRAMES, this.h.frames - first);
      const bytes = Buffer.alloc(n * this.h.blockAlign);
      const got = fs.readSync(this.fd, bytes, 0, bytes.length, this.h.dataOffset + first * this.h.blockAlign);
      if (got !== bytes.length) throw new Error(`the WAV file ended at sample ${first + Math.floor(got / this.h.blockAlign)} of ${this.h.frames}`);
      const samples = decodeWavSamples(bytes, { ...this.h, dataOffset: 0, dataLength: bytes.length, frames: n });
      // Float WAVs can hold NaN / ∞: the input is at fault, and says so (not the encoder, later).
      const problem = findAudioProblem({ sampleRate: this.h.sampleRate, channels: samples }, true, first);
      if (problem) throw new AudioDecodeError(problem.code, `WAV: ${problem.message}`);
      this.bufs = this.bufs.map((b) => withCapacity(b, this.filled + n));
      samples.forEach((s, c) => this.bufs[c].set(s, this.filled));
      this.filled += n;
    }
  }
}

/** The header of an open WAV file if it is PCM / float at `sampleRate` (what separateWavFile takes); else undefined. */
function modelRateWavHeader(fd: number, sampleRate: number): WavHeader | undefined {
  const size = fs.fstatSync(fd).size;
  const head = Buffer.alloc(Math.min(size, 1 << 20)); // the chunks before the samples: a MiB is plenty
  fs.readSync(fd, head, 0, head.length, 0);
  const h = parseWavHeader(head, size);
  return (h.codec === 'pcm' || h.codec === 'float') && h.sampleRate === sampleRate ? h : undefined;
}

/** Whether `file` is a WAV that separateWavFile takes for a model at `sampleRate` (backend.framing.sampleRate); false for anything else, unreadable included. */
export async function isModelRateWav(file: string, sampleRate: number): Promise<boolean> {
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, 'r');
    return (modelRateWavHeader(fd, sampleRate)?.frames ?? 0) > 0;
  } catch {
    return false;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

export interface WavFileStems {
  vocals: string;
  accompaniment: string;
}

/**
 * Separates the WAV file `input` into two WAV files; false (nothing written) if the file is not
 * PCM / float WAV at the model's rate. Resolves with its length in seconds otherwise. On failure
 * neither output file is created (an existing one is left as it was).
 */
export async function separateWavFile(input: string, outputs: WavFileStems, backend: BackendHandle, options: SeparateOptions & { bitDepth?: WavBitDepth } = {}): Promise<number | false> {
  await loadFastFft();
  const fd = fs.openSync(input, 'r');
  const framing = backend.framing;
  const targets = [outputs.vocals, outputs.accompaniment];
  const temps = targets.map((file) => `${file}.${process.pid}-${Date.now().toString(36)}.partial`);
  const out: number[] = [];
  let complete = false;
  try {
    const h = modelRateWavHeader(fd, framing.sampleRate);
    if (!h) return false;
    const length = h.frames;
    const nCh = h.channels;
    const window = new SampleWindow(fd, h);
    const plan = framingPlan(framing);
    const { fftSize: N, hop, bins, window: w, fft } = plan;
    const frame = new Float32Array(N);
    const source: FrameSource = {
      channels: nCh,
      frames: frameCount(length, framing),
      bins,
      read: (channel, first, count, re, im) => {
        for (let j = 0; j < count; j++) {
          window.fill(channel, (first + j) * hop - N / 2, frame);
          fft.forward(frame, 0, w, re, im, j * bins);
        }
      },
    };
    const wavOptions = { bitDepth: options.bitDepth ?? 16 };
    for (const file of temps) {
      const f = fs.openSync(file, 'wx');
      out.push(f);
      fs.writeSync(f, wavHeader(h.sampleRate, nCh, length, wavOptions));
    }
    const istft = Array.from({ length: nCh }, () => new StreamIstft(framing));
    // Final vocals per channel, waiting until every channel has them (the files are interleaved).
    const pending: Float32Array[][] = Array.from({ length: nCh }, () => []);
    let written = 0;
    const mix: Float32Array[] = Array.from({ length: nCh }, () => new Float32Array(0));
    const flush = (): void => {
      const ready = Math.min(...pending.map((parts) => parts.reduce((n, p) => n + p.length, 0)));
      if (ready === 0) return;
      const vocals = pending.map((parts, c) => {
        const all = concatSamples(parts);
        pending[c] = all.length > ready ? [all.slice(ready)] : [];
        return all.subarray(0, ready);
      });
      const accompaniment = vocals.map((v, c) => {
        const m = (mix[c] = withCapacity(mix[c], ready)).subarray(0, ready);
        window.fill(c, written, m);
        return complement(m, v);
      });
      fs.writeSync(out[0], wavSamples(vocals, 0, ready, wavOptions));
      fs.writeSync(out[1], wavSamples(accompaniment, 0, ready, wavOptions));
      written += ready;
      window.release(written);
    };
    await runMaskEngine(source, backend, (channel, first, count, mask, re, im) => {
      const n = count * bins;
      applyMaskInPlace(re, im, mask, n);
      pending[channel].push(istft[channel].push({ first, count, re: re.subarray(0, n), im: im.subarray(0, n) }, length));
      if (channel === nCh - 1) flush();
    }, options);
    istft.forEach((s, c) => pending[c].push(s.end(length)));
    flush();
    if (written !== length) throw new Error(`wrote ${written} of ${length} sample frames`);
    const dataBytes = length * nCh * (wavOptions.bitDepth / 8);
    if (dataBytes & 1) out.forEach((f) => fs.writeSync(f, Buffer.alloc(1)));
    complete = true;
    return length / h.sampleRate;
  } finally {
    out.forEach((f) => fs.closeSync(f));
    fs.closeSync(fd);
    temps.slice(0, out.length).forEach((temp, i) => {
      if (complete) fs.renameSync(temp, targets[i]);
      else fs.rmSync(temp, { force: true });
    });
  }
}
