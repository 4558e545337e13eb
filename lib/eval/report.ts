/**
 * The one table `vocal-split eval` prints: the model beside its ceiling (ideal ratio mask), its floor
 * (the mixture) and the published MIR-1K results.
 */
import type { GlobalScores, Stems } from './metrics';

export interface TableRow {
  label: string;
  /** Missing values print as "–" (the published tables don't give every column). */
  vocals: Partial<GlobalScores>;
  accompaniment: Partial<GlobalScores>;
}

/** Vocal GNSDR/GSIR/GSAR on the MIR-1K test split as published (dB). */
export const PUBLISHED_ROWS: readonly TableRow[] = [
  { label: 'RPCA (Huang et al. 2012)', vocals: { gnsdr: 3.15 }, accompaniment: {} },
  { label: 'MLRR (Yang 2013)', vocals: { gnsdr: 3.85 }, accompaniment: {} },
  { label: 'DNN (Huang et al. 2014)', vocals: { gnsdr: 6.93 }, accompaniment: {} },
  { label: 'DRNN (Huang et al. 2014)', vocals: { gnsdr: 7.45, gsir: 13.08, gsar: 9.68 }, accompaniment: {} },
];

/**
 * Ratios whose true denominator is zero (the mixture has no artifacts) come out as 200–300 dB of
 * floating-point noise; above this they print as ∞.
 */
export const INFINITE_DB = 150;

function cell(v: number | undefined): string {
  if (v === undefined) return '–';
  if (Number.isNaN(v)) return 'nan';
  if (v > INFINITE_DB) return '∞';
  return v.toFixed(2);
}

const COLUMNS = ['gnsdr', 'gsir', 'gsar'] as const;

export function formatTable(rows: readonly TableRow[]): string[] {
  const labelWidth = Math.max(6, ...rows.map((r) => r.label.length));
  const w = 7;
  const group = (title: string): string => title.padStart(Math.floor((3 * w + title.length) / 2)).padEnd(3 * w);
  const lines = [
    `${''.padEnd(labelWidth)}  ${group('vocals')}   ${group('accompaniment')}`,
    `${'method'.padEnd(labelWidth)}  ${COLUMNS.map((c) => c.toUpperCase().padStart(w)).join('')}   ${COLUMNS.map((c) => c.toUpperCase().padStart(w)).join('')}`,
  ];
  for (const r of rows) {
    const part = (s: Partial<GlobalScores>): string => COLUMNS.map((c) => cell(s[c]).padStart(w)).join('');
    lines.push(`${r.label.padEnd(labelWidth)}  ${part(r.vocals)}   ${part(r.accompaniment)}`);
  }
  return lines.map((l) => l.trimEnd());
}

export function scoreRow(label: string, scores: Stems<GlobalScores>): TableRow {
  return { label, vocals: scores.vocals, accompaniment: scores.accompaniment };
}
