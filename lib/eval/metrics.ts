/**
 * Clip-level and global separation scores of the MIR-1K protocol (Huang et al. 2014):
 * NSDR = SDR(estimate) − SDR(mixture used as the estimate), the improvement a method brings;
 * GNSDR, GSIR, GSAR (and GSDR) = means over clips weighted by each clip's length.
 */

/** BSS Eval scores (dB) of one estimated source of one clip. */
export interface SourceScores {
  sdr: number;
  sir: number;
  sar: number;
}

export interface SourceScoresWithNsdr extends SourceScores {
  nsdr: number;
}

/** The two stems the protocol scores: vocals (against the voice) and accompaniment. */
export interface Stems<T> {
  vocals: T;
  accompaniment: T;
}

export const STEMS = ['vocals', 'accompaniment'] as const;
export type StemName = (typeof STEMS)[number];

export interface GlobalScores {
  gnsdr: number;
  gsdr: number;
  gsir: number;
  gsar: number;
}

/** Adds NSDR = SDR − SDR of the mixture (both against the same reference). */
export function withNsdr(estimate: SourceScores, mixture: SourceScores): SourceScoresWithNsdr {
  return { ...estimate, nsdr: estimate.sdr - mixture.sdr };
}

/** The mixture scored as its own estimate: NSDR 0 by definition. */
export function mixtureScores(mixture: SourceScores): SourceScoresWithNsdr {
  return { ...mixture, nsdr: 0 };
}

/** Length-weighted means; NaN when there is nothing to average. */
export function globalScores(clips: ReadonlyArray<{ length: number; scores: SourceScoresWithNsdr }>): GlobalScores {
  let total = 0;
  const sum = { gnsdr: 0, gsdr: 0, gsir: 0, gsar: 0 };
  for (const { length, scores } of clips) {
    if (!(length > 0)) throw new RangeError(`clip length must be positive, got ${length}`);
    total += length;
    sum.gnsdr += length * scores.nsdr;
    sum.gsdr += length * scores.sdr;
    sum.gsir += length * scores.sir;
    sum.gsar += length * scores.sar;
  }
  return { gnsdr: sum.gnsdr / total, gsdr: sum.gsdr / total, gsir: sum.gsir / total, gsar: sum.gsar / total };
}

/** Global scores of both stems for one method, from per-clip results. */
export function globalStemScores(clips: ReadonlyArray<{ length: number; scores: Stems<SourceScoresWithNsdr> }>): Stems<GlobalScores> {
  const of = (stem: StemName): GlobalScores => globalScores(clips.map((c) => ({ length: c.length, scores: c.scores[stem] })));
  return { vocals: of('vocals'), accompaniment: of('accompaniment') };
}
