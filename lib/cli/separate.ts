/** `vocal-split separate <input>`: writes <name>.vocals.wav and <name>.accompaniment.wav. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { WavBitDepth } from '../audio/encode';
import { BACKEND_NAMES, createBackend, slowBackendReason, type BackendChoice } from '../model/backends';
import { resolveModelDir } from '../model/locate';
import { sharedAudioPool } from '../workers/audio-pool';
import { walkArgs } from './args';
import { UsageError, type CliCommand } from './command';
import { progressBar } from './progress';

const HELP = `Usage: vocal-split separate <input> [-o <dir>] [--model <name|dir>] [--backend <name>] [--bits 16|24|32] [--threads <n>]

Splits a song (WAV, MP3, FLAC, Ogg Vorbis, Opus, ...) into <name>.vocals.wav and
<name>.accompaniment.wav, at the input's sample rate and channel count.

Options:
  -o, --out <dir>     output folder (default: the input's folder)
  --model <name|dir>  a shipped model (default, mir1k-protocol) or a model folder (default: default)
  --backend <name>    auto (default), ${BACKEND_NAMES.join(', ')}
  --bits <n>          16 or 24 (PCM) or 32 (float) (default: 16)
  --threads <n>       inference threads (onnx: one session of n threads instead of one single-threaded session per core; tfjs-node)
  -h, --help          show this help`;

interface SeparateArgs {
  input: string;
  outDir?: string;
  model?: string;
  backend: BackendChoice;
  bits: WavBitDepth;
  threads?: number;
}

function parseArgs(args: string[]): SeparateArgs {
  const positional: string[] = [];
  const parsed: Partial<SeparateArgs> = { backend: 'auto', bits: 16 };
  walkArgs(args, (arg, { value, positiveInt, backend }) => {
    if (arg === '-o' || arg === '--out') parsed.outDir = value();
    else if (arg === '--model') parsed.model = value();
    else if (arg === '--backend') parsed.backend = backend();
    else if (arg === '--bits') {
      const b = Number(value());
      if (b !== 16 && b !== 24 && b !== 32) throw new UsageError('--bits must be 16, 24 or 32');
      parsed.bits = b;
    } else if (arg === '--threads') parsed.threads = positiveInt(256);
    else if (arg.startsWith('-') && arg !== '-') throw new UsageError(`unknown option '${arg}'`);
    else positional.push(arg);
  });
  if (positional.length !== 1) throw new UsageError(positional.length === 0 ? 'missing <input>' : 'expects exactly one <input>');
  return { ...parsed, input: positional[0] } as SeparateArgs;
}

export const separateCommand: CliCommand = {
  name: 'separate',
  summary: 'split a song into <name>.vocals.wav and <name>.accompaniment.wav',
  help: HELP,
  async run(args, io) {
    const opts = parseArgs(args);
    const modelDir = resolveModelDir(opts.model);
    const outDir = opts.outDir ?? path.dirname(opts.input);
    const name = path.basename(opts.input).replace(/\.[^.]+$/, '');
    const files = { vocals: path.join(outDir, `${name}.vocals.wav`), accompaniment: path.join(outDir, `${name}.accompaniment.wav`) };
    const backend = await createBackend(modelDir, { backend: opts.backend, threads: opts.threads });
    const slow = slowBackendReason(opts.backend, backend.name);
    if (slow) io.err(`note: running on ${backend.name}, about 5× slower than onnx: ${slow}`);
    try {
      const bar = progressBar(process.stderr, `separating (${backend.name})`);
      const started = Date.now();
      fs.mkdirSync(outDir, { recursive: true });
      // In the worker pool, as the nodes do: a PCM WAV at the model's rate straight from the file to the files in
      // bounded memory (an hour of stereo would be 1.27 GB as float samples), anything else decoded whole.
      const seconds = await sharedAudioPool().separateFiles(opts.input, files, backend, {
        bitDepth: opts.bits, onProgress: (f) => bar.update(f), onSkipped: (text) => io.err(`${opts.input}: ${text}`),
      });
      bar.done();
      io.out(files.vocals);
      io.out(files.accompaniment);
      const elapsed = (Date.now() - started) / 1000;
      io.err(`${seconds.toFixed(1)} s of audio in ${elapsed.toFixed(1)} s (${(seconds / elapsed).toFixed(1)}× real time) with ${backend.description}`);
    } finally {
      await backend.dispose();
    }
    return 0;
  },
};
