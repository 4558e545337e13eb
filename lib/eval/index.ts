/** Separation quality: BSS Eval v3 (as mir_eval), NSDR/GNSDR, and the MIR-1K protocol. */
export { BssEval, bssEvalSources, FILTER_LENGTH, MAX_SOURCES } from './bss-eval';
export type { BssEvalOptions, BssEvalResult, Signal } from './bss-eval';
export { globalScores, globalStemScores, mixtureScores, withNsdr, STEMS } from './metrics';
export type { GlobalScores, SourceScores, SourceScoresWithNsdr, StemName, Stems } from './metrics';
export {
  ClipScorer, DEV_CLIPS, idealRatioMask, listClips, loadClip, MIR1K_SPLITS, separateClip, singerOf, splitOf, TRAIN_SINGERS, unitRms,
} from './mir1k';
export type { ListOptions, Mir1kClip, Mir1kClipRef, Mir1kSplit, StemSignals } from './mir1k';
export { formatTable, PUBLISHED_ROWS } from './report';
export type { TableRow } from './report';
