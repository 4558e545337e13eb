/** `vocal-split info <file>`: what an audio file is, without separating anything; `--backends`: what runs here. */
import { decodeAudioFileWithInfo, type DecodedAudio } from '../audio/decode';
import { AudioDecodeError } from '../errors';
import { UsageError, type CliCommand } from './command';
import { backendsReport, formatBackendsReport } from './info-backends';

const HELP = `Usage: vocal-split info [--json] <file>
       vocal-split info --backends [--json]

Decodes an audio file (WAV, MP3, FLAC, Ogg Vorbis, Opus, M4A, AIFF) and prints its format,
codec, sample rate, channels, duration and, for lossless files, bit depth.
With --backends: lists the inference backends, whether each works on this machine and why
not, which one 'auto' picks, and what the cuda backend found (driver, CUDA, cuDNN, provider).

Options:
  --backends  report the inference backends instead of a file
  --json      print one JSON object instead of text
  -h, --help  show this help`;

export const infoCommand: CliCommand = {
  name: 'info',
  summary: 'show an audio file\'s format, sample rate, channels, duration and bit depth; --backends: what runs here',
  help: HELP,
  async run(args, io) {
    const json = args.includes('--json');
    if (args.includes('--backends')) {
      const extra = args.find((a) => a !== '--json' && a !== '--backends');
      if (extra) throw new UsageError(extra.startsWith('-') ? `unknown option '${extra}'` : '--backends takes no <file>');
      const report = await backendsReport();
      if (json) io.out(JSON.stringify(report));
      else for (const line of formatBackendsReport(report)) io.out(line);
      return 0;
    }
    const files = args.filter((a) => a !== '--json');
    const unknown = files.find((a) => a.startsWith('-') && a !== '-');
    if (unknown) throw new UsageError(`unknown option '${unknown}'`);
    if (files.length !== 1) throw new UsageError(files.length === 0 ? 'missing <file>' : 'expects exactly one <file>');
    const file = files[0];
    let info: DecodedAudio;
    try {
      info = await decodeAudioFileWithInfo(file);
    } catch (err) {
      // Name the file in the one-line message; keep the code.
      if (err instanceof AudioDecodeError) throw new AudioDecodeError(err.code, `${file}: ${err.message}`);
      throw err;
    }
    if (json) io.out(JSON.stringify(summarize(file, info)));
    else for (const line of formatInfo(file, info)) io.out(line);
    return 0;
  },
};

/** What `info --json` prints. */
export interface AudioFileSummary {
  file: string;
  format: string;
  codec: string | null;
  sampleRate: number;
  channels: number;
  samples: number;
  durationSeconds: number;
  bitDepth: number | null;
  sampleFormat: 'int' | 'float' | null;
}

function summarize(file: string, d: DecodedAudio): AudioFileSummary {
  return {
    file,
    format: d.format,
    codec: d.codec ?? null,
    sampleRate: d.audio.sampleRate,
    channels: d.audio.channels.length,
    samples: d.audio.channels[0].length,
    durationSeconds: d.durationSeconds,
    bitDepth: d.bitDepth ?? null,
    sampleFormat: d.sampleFormat ?? null,
  };
}

export function formatInfo(file: string, d: DecodedAudio): string[] {
  const s = summarize(file, d);
  const lines = [
    `file:        ${s.file}`,
    `format:      ${s.format}${s.codec ? ` (${s.codec})` : ''}`,
    `sample rate: ${s.sampleRate} Hz`,
    `channels:    ${s.channels}`,
    `duration:    ${s.durationSeconds.toFixed(3)} s (${s.samples} samples per channel)`,
  ];
  if (s.bitDepth !== null) lines.push(`bit depth:   ${s.bitDepth}${s.sampleFormat === 'float' ? ' (float)' : ''}`);
  return lines;
}
