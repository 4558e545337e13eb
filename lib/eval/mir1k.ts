/**
 * The MIR-1K protocol (Huang et al. 2014; the README's quality section), written to give the
 * numbers training/separate.py's `evaluate_clip` gives:
 *  - split: train = singers abjones and amy less the four development clips, dev = those four,
 *    test = every other singer (825 clips in the full dataset);
 *  - a clip's left channel is the accompaniment, its right channel the voice; each is scaled to
 *    RMS 1 (separate.py's `unit`; "unit energy" up to a factor both sources share) and the two are
 *    summed: the 0 dB mixture;
 *  - the mono mixture is separated at its own rate (16 kHz; `separate` resamples to the model's rate and back);
 *  - BSS Eval v3 against [voice, accompaniment], estimate j against reference j (no permutation
 *    search, as separate.py: a separator that swapped its stems must not be flattered);
 *  - NSDR against the mixture scored as both estimates.
 * Baselines: the ideal ratio mask (see `idealRatioMask`) and the mixture itself.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { decodeAudioFile } from '../audio/decode';
import { resample } from '../audio/resample';
import { istftChannel } from '../dsp/istft';
import { stftChannel } from '../dsp/stft';
import { InvalidArgumentError } from '../errors';
import type { BackendHandle } from '../model/backends/types';
import { DEFAULT_FRAMING, MODEL_RESAMPLING, type ModelFraming } from '../model/signal-framing';
import { complement } from '../separate/apply-mask';
import { separate } from '../separate/separator';
import { BssEval, type BssEvalResult } from './bss-eval';
import { mixtureScores, withNsdr, type SourceScores, type SourceScoresWithNsdr, type Stems } from './metrics';

export type Mir1kSplit = 'train' | 'dev' | 'test';
export const MIR1K_SPLITS: readonly Mir1kSplit[] = ['train', 'dev', 'test'];
export const TRAIN_SINGERS: readonly string[] = ['abjones', 'amy'];
/** The development clips that pick the checkpoint (training/data.py DEV_CLIPS). */
export const DEV_CLIPS: readonly string[] = ['abjones_5_08', 'abjones_5_09', 'amy_9_08', 'amy_9_09'];

export interface Mir1kClipRef {
  /** File name without .wav, `<singer>_<song>_<clip>`. */
  name: string;
  singer: string;
  split: Mir1kSplit;
  file: string;
}

export function singerOf(name: string): string {
  return name.split('_')[0];
}

export function splitOf(name: string): Mir1kSplit {
  if (!TRAIN_SINGERS.includes(singerOf(name))) return 'test';
  return DEV_CLIPS.includes(name) ? 'dev' : 'train';
}

export interface ListOptions {
  split?: Mir1kSplit;
  /** Only these singers' clips; each must have clips in the split. */
  singers?: readonly string[];
  /** The first `limit` clips (in name order) after the other filters. */
  limit?: number;
}

/** The clips of a MIR-1K `Wavfile/` folder, sorted by name as training/data.py sorts them. */
export function listClips(wavDir: string, options: ListOptions = {}): Mir1kClipRef[] {
  if (!fs.existsSync(wavDir) || !fs.statSync(wavDir).isDirectory()) {
    throw new InvalidArgumentError('MIR1K_NOT_FOUND', `no MIR-1K Wavfile folder at ${wavDir}`);
  }
  const split = options.split ?? 'test';
  const names = fs.readdirSync(wavDir).filter((f) => f.toLowerCase().endsWith('.wav')).map((f) => f.slice(0, -4)).sort();
  const all = names.map((name) => ({ name, singer: singerOf(name), split: splitOf(name), file: path.join(wavDir, `${name}.wav`) }));
  let clips = all.filter((c) => c.split === split);
  if (options.singers) {
    const missing = options.singers.filter((s) => !clips.some((c) => c.singer === s));
    if (missing.length > 0) {
      throw new InvalidArgumentError('MIR1K_NO_CLIPS', `no clips of ${missing.map((s) => `'${s}'`).join(', ')} in the ${split} split of ${wavDir}`);
    }
    clips = clips.filter((c) => options.singers!.includes(c.singer));
  }
  if (options.limit !== undefined) clips = clips.slice(0, options.limit);
  return clips;
}

/** A clip ready to score: both sources at RMS 1, and their sum. */
export interface Mir1kClip {
  name: string;
  sampleRate: number;
  voice: Float64Array;
  accompaniment: Float64Array;
  /** voice + accompaniment, the 0 dB mixture (Float64, as separate.py mixes). */
  mixture: Float64Array;
}

/** separate.py's `unit`: x / max(rms(x), 1e-12), in Float64. */
export function unitRms(x: ArrayLike<number>): Float64Array {
  let sum = 0;
  for (let i = 0; i < x.length; i++) sum += x[i] * x[i];
  const scale = 1 / Math.max(Math.sqrt(sum / x.length), 1e-12);
  const out = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = x[i] * scale;
  return out;
}

export async function loadClip(ref: Mir1kClipRef): Promise<Mir1kClip> {
  const audio = await decodeAudioFile(ref.file);
  if (audio.channels.length !== 2) {
    throw new InvalidArgumentError('MIR1K_NOT_STEREO', `${ref.file}: MIR-1K clips are stereo (left accompaniment, right voice); this one has ${audio.channels.length} channel(s)`);
  }
  const accompaniment = unitRms(audio.channels[0]);
  const voice = unitRms(audio.channels[1]);
  const mixture = new Float64Array(voice.length);
  for (let i = 0; i < mixture.length; i++) mixture[i] = voice[i] + accompaniment[i];
  return { name: ref.name, sampleRate: audio.sampleRate, voice, accompaniment, mixture };
}

/** Separated stems at the clip's rate, as the separator returns them. */
export interface StemSignals {
  vocals: Float32Array;
  accompaniment: Float32Array;
}

/**
 * The ideal ratio mask, as an oracle separator: mask = |V| / (|V| + |A|) per bin (the magnitude
 * ratio, the soft mask of Huang et al.'s networks), V and A the STFTs of the true sources with the
 * model's framing (its rate and STFT, periodic Hann; default 4096/1024 at 44.1 kHz) and the separator's
 * resampling, over the full band (the model's mask covers its `bins` and extends above). Applied to the mixture's STFT, inverted, resampled back; the
 * accompaniment is the mixture minus the vocals, as the separator makes it. It is the best any
 * method that only masks this STFT can be expected to do: the ceiling of the table.
 */
export async function idealRatioMask(clip: Mir1kClip, framing: ModelFraming = DEFAULT_FRAMING): Promise<StemSignals> {
  const rate = clip.sampleRate;
  const mix = Float32Array.from(clip.mixture);
  const sources = [Float32Array.from(clip.voice), Float32Array.from(clip.accompaniment)];
  // Resampled as the separator resamples (MODEL_RESAMPLING), both sources in one call. Resampling
  // and the STFT are linear, so the mixture's STFT is V + A (to float rounding).
  const [voiceAtModel, accAtModel] = rate === framing.sampleRate ? sources
    : (await resample({ sampleRate: rate, channels: sources }, framing.sampleRate, MODEL_RESAMPLING)).channels;
  const V = stftChannel(voiceAtModel, framing);
  const A = stftChannel(accAtModel, framing);
  const re = new Float32Array(V.re.length);
  const im = new Float32Array(V.im.length);
  for (let i = 0; i < re.length; i++) {
    const v = Math.sqrt(V.re[i] * V.re[i] + V.im[i] * V.im[i]);
    const a = Math.sqrt(A.re[i] * A.re[i] + A.im[i] * A.im[i]);
    // Where neither source has energy the mixture has none either: any mask will do.
    const m = v + a > 0 ? v / (v + a) : 0.5;
    re[i] = m * (V.re[i] + A.re[i]);
    im[i] = m * (V.im[i] + A.im[i]);
  }
  const vocalsAtModel = istftChannel(re, im, framing, voiceAtModel.length);
  const vocals = rate === framing.sampleRate ? vocalsAtModel
    : (await resample({ sampleRate: framing.sampleRate, channels: [vocalsAtModel] }, rate, { ...MODEL_RESAMPLING, length: mix.length })).channels[0];
  return { vocals, accompaniment: complement(mix, vocals) };
}

/** The model's stems for the clip's mono mixture, at the clip's rate. */
export async function separateClip(clip: Mir1kClip, backend: BackendHandle, onProgress?: (fraction: number) => void): Promise<StemSignals> {
  const mix = Float32Array.from(clip.mixture);
  const stems = await separate({ sampleRate: clip.sampleRate, channels: [mix] }, backend, { onProgress });
  return { vocals: stems.vocals.channels[0], accompaniment: stems.accompaniment.channels[0] };
}

/** A clip's references, prepared once and used for every estimate of it. */
export class ClipScorer {
  private readonly bss: BssEval;
  /** SDR/SIR/SAR of the mixture used as both estimates: the NSDR baseline. */
  readonly mixture: Stems<SourceScoresWithNsdr>;

  constructor(readonly clip: Mir1kClip) {
    this.bss = new BssEval([clip.voice, clip.accompaniment]);
    const r = this.bss.evaluate([clip.mixture, clip.mixture], { computePermutation: false });
    this.mixture = { vocals: mixtureScores(this.at(r, 0)), accompaniment: mixtureScores(this.at(r, 1)) };
  }

  /** SDR, SIR, SAR and NSDR of separated stems (vocals against the voice, accompaniment against the accompaniment). */
  score(stems: StemSignals): Stems<SourceScoresWithNsdr> {
    const r = this.bss.evaluate([stems.vocals, stems.accompaniment], { computePermutation: false });
    return {
      vocals: withNsdr(this.at(r, 0), this.mixture.vocals),
      accompaniment: withNsdr(this.at(r, 1), this.mixture.accompaniment),
    };
  }

  private at(r: BssEvalResult, j: number): SourceScores {
    return { sdr: r.sdr[j], sir: r.sir[j], sar: r.sar[j] };
  }
}
