/** `vocal-split eval --mir1k <Wavfile dir>`: the MIR-1K protocol, one table, per-clip JSON. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { VocalSplitError } from '../errors';
import { globalStemScores, type GlobalScores, type SourceScoresWithNsdr, type Stems } from '../eval/metrics';
import { ClipScorer, idealRatioMask, listClips, loadClip, MIR1K_SPLITS, separateClip, type Mir1kSplit } from '../eval/mir1k';
import { formatTable, PUBLISHED_ROWS, scoreRow } from '../eval/report';
import { BACKEND_NAMES, createBackend, type BackendChoice } from '../model/backends';
import { resolveModelDir } from '../model/locate';
import { walkArgs } from './args';
import { UsageError, type CliCommand } from './command';
import { progressBar } from './progress';

const HELP = `Usage: vocal-split eval --mir1k <Wavfile dir> [--model <name|dir>] [--split test|dev|train] [--singers a,b] [--limit <n>] [--json <file>] [--backend <name>] [--threads <n>] [--no-irm]

Scores a model on MIR-1K as Huang et al. (2014) did: each clip's voice (right channel) and
accompaniment (left) scaled to RMS 1 and summed (0 dB), the mono mixture separated at 16 kHz,
BSS Eval v3 (as mir_eval's bss_eval_sources) against the true sources, NSDR = SDR − SDR of the
mixture, global scores weighted by clip length. Prints one table: the model, the ideal ratio mask
(ceiling), the mixture (floor) and the published results; writes per-clip scores as JSON.

Options:
  --mir1k <dir>       a MIR-1K Wavfile/ folder (required)
  --model <name|dir>  a shipped model (default, mir1k-protocol) or a model folder (default: default)
  --split <name>      test (default: the 825 clips of the 17 test singers), dev or train
  --singers <a,b>     only these singers' clips
  --limit <n>         only the first n clips (by name)
  --json <file>       per-clip scores (default: eval-<model>.json in the current folder)
  --backend <name>    auto (default), ${BACKEND_NAMES.join(', ')}
  --threads <n>       inference threads (onnx, tfjs-node)
  --no-irm            skip the ideal-ratio-mask baseline
  -h, --help          show this help`;

interface EvalArgs {
  mir1k: string;
  model?: string;
  split: Mir1kSplit;
  singers?: string[];
  limit?: number;
  json?: string;
  backend: BackendChoice;
  threads?: number;
  irm: boolean;
}

function parseArgs(args: string[]): EvalArgs {
  const parsed: Partial<EvalArgs> = { backend: 'auto', split: 'test', irm: true };
  walkArgs(args, (arg, { value, positiveInt, backend }) => {
    if (arg === '--mir1k') parsed.mir1k = value();
    else if (arg === '--model') parsed.model = value();
    else if (arg === '--split') {
      const s = value();
      if (!(MIR1K_SPLITS as readonly string[]).includes(s)) throw new UsageError(`--split must be ${MIR1K_SPLITS.join(', ')}; got '${s}'`);
      parsed.split = s as Mir1kSplit;
    } else if (arg === '--singers') {
      const list = value().split(',').map((s) => s.trim()).filter((s) => s.length > 0);
      if (list.length === 0) throw new UsageError('--singers needs at least one name');
      parsed.singers = list;
    } else if (arg === '--limit') parsed.limit = positiveInt(1_000_000);
    else if (arg === '--json') parsed.json = value();
    else if (arg === '--backend') parsed.backend = backend();
    else if (arg === '--threads') parsed.threads = positiveInt(256);
    else if (arg === '--no-irm') parsed.irm = false;
    else throw new UsageError(arg.startsWith('-') ? `unknown option '${arg}'` : `unexpected argument '${arg}'`);
  });
  if (parsed.mir1k === undefined) throw new UsageError('missing --mir1k <Wavfile dir>');
  return parsed as EvalArgs;
}

/** One clip's scores, as written to the JSON file. */
interface ClipRecord {
  name: string;
  singer: string;
  samples: number;
  seconds: number;
  model: Stems<SourceScoresWithNsdr>;
  irm?: Stems<SourceScoresWithNsdr>;
  mixture: Stems<SourceScoresWithNsdr>;
  /**
   * Wall time in s: decoding + BSS Eval's reference side + the mixture's scores; the separation;
   * scoring its stems; the ideal ratio mask (made and scored); all of it.
   */
  timing: { prepare: number; separate: number; score: number; irm: number; total: number };
}

export const evalCommand: CliCommand = {
  name: 'eval',
  summary: 'score a model on MIR-1K (GNSDR/GSIR/GSAR beside the ideal mask, the mixture and published results)',
  help: HELP,
  async run(args, io) {
    const opts = parseArgs(args);
    const clips = listClips(opts.mir1k, { split: opts.split, singers: opts.singers, limit: opts.limit });
    if (clips.length === 0) throw new UsageError(`no ${opts.split}-split clips in ${opts.mir1k}`);
    const modelDir = resolveModelDir(opts.model);
    const modelName = path.basename(modelDir);
    const jsonFile = path.resolve(opts.json ?? `eval-${modelName}.json`);
    const backend = await createBackend(modelDir, { backend: opts.backend, threads: opts.threads });
    const records: ClipRecord[] = [];
    const failed: Array<{ name: string; error: string }> = [];
    const started = Date.now();
    try {
      const bar = progressBar(process.stderr, `MIR-1K ${opts.split}, ${clips.length} clips (${backend.name})`);
      for (let i = 0; i < clips.length; i++) {
        const ref = clips[i];
        const t0 = Date.now();
        try {
          const clip = await loadClip(ref);
          const scorer = new ClipScorer(clip);
          const t1 = Date.now();
          // Separation is most of a clip's time: let it drive the bar within the clip.
          const stems = await separateClip(clip, backend, (f) => bar.update((i + 0.6 * f) / clips.length));
          const t2 = Date.now();
          const model = scorer.score(stems);
          const t3 = Date.now();
          const irm = opts.irm ? scorer.score(await idealRatioMask(clip, backend.framing)) : undefined;
          const t4 = Date.now();
          records.push({
            name: ref.name, singer: ref.singer, samples: clip.voice.length, seconds: clip.voice.length / clip.sampleRate,
            model, irm, mixture: scorer.mixture,
            timing: { prepare: (t1 - t0) / 1000, separate: (t2 - t1) / 1000, score: (t3 - t2) / 1000, irm: (t4 - t3) / 1000, total: (t4 - t0) / 1000 },
          });
        } catch (err) {
          // A clip that can't be scored (unreadable, silent source) is reported, not fatal; bugs are.
          if (!(err instanceof VocalSplitError)) throw err;
          failed.push({ name: ref.name, error: err.message });
        }
        bar.update((i + 1) / clips.length);
      }
      bar.done();
    } finally {
      await backend.dispose();
    }
    for (const f of failed) io.err(`warning: ${f.name} not scored: ${f.error}`);
    if (records.length === 0) throw new Error(`none of the ${clips.length} clips could be scored`);

    const weighted = (pick: (r: ClipRecord) => Stems<SourceScoresWithNsdr> | undefined): Stems<GlobalScores> | undefined => {
      const items = records.map((r) => ({ length: r.samples, scores: pick(r) }));
      return items.every((x) => x.scores) ? globalStemScores(items as Array<{ length: number; scores: Stems<SourceScoresWithNsdr> }>) : undefined;
    };
    const summary = { model: weighted((r) => r.model)!, irm: weighted((r) => r.irm), mixture: weighted((r) => r.mixture)! };
    const seconds = records.reduce((s, r) => s + r.seconds, 0);
    const elapsed = (Date.now() - started) / 1000;

    io.out(`MIR-1K ${opts.split} split: ${records.length} clips, ${(seconds / 60).toFixed(1)} min of audio; model ${modelName} on ${backend.description}`);
    io.out('');
    for (const line of formatTable([
      scoreRow(`${modelName} (this model)`, summary.model),
      ...(summary.irm ? [scoreRow('ideal ratio mask (ceiling)', summary.irm)] : []),
      scoreRow('mixture (floor)', summary.mixture),
      ...PUBLISHED_ROWS,
    ])) io.out(line);
    io.out('');
    io.out(`dB, weighted by clip length. Mixture GSDR: vocals ${summary.mixture.vocals.gsdr.toFixed(2)}, accompaniment ${summary.mixture.accompaniment.gsdr.toFixed(2)}`
      + ' (NSDR = SDR − this, clip by clip; the mixture has no artifacts: GSAR ∞).');
    if (summary.irm) io.out('Ideal ratio mask: |V| / (|V| + |A|) on the separator\'s 4096/1024 STFT at 44.1 kHz, full band.');
    io.out('Published rows: vocal scores on the MIR-1K test split as reported.');

    const doc = {
      protocol: 'MIR-1K (Huang et al. 2014): sources at RMS 1 summed (0 dB), mono mixture separated at 16 kHz, '
        + 'BSS Eval v3 (mir_eval bss_eval_sources, no permutation), NSDR = SDR − SDR(mixture), global = length-weighted mean',
      model: { name: modelName, dir: modelDir, backend: backend.name, description: backend.description },
      wavDir: path.resolve(opts.mir1k),
      split: opts.split,
      singers: opts.singers ?? null,
      limit: opts.limit ?? null,
      elapsedSeconds: elapsed,
      summary,
      clips: records,
      failed,
    };
    fs.mkdirSync(path.dirname(jsonFile), { recursive: true });
    // JSON has no ∞: non-finite scores are written as strings ("Infinity") rather than lost as null.
    fs.writeFileSync(jsonFile, `${JSON.stringify(doc, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v), 1)}\n`);
    io.err(`per-clip scores: ${jsonFile}`);
    io.err(`${records.length} clips (${seconds.toFixed(1)} s of audio) in ${elapsed.toFixed(1)} s, ${(elapsed / records.length).toFixed(2)} s per clip`);
    return failed.length > 0 ? 1 : 0;
  },
};
