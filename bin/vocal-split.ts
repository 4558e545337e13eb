#!/usr/bin/env node
/**
 * `vocal-split <command> [options]`: a small dispatcher over lib/cli's command map.
 * Failures print one line to stderr ("vocal-split: ...") and exit with status 1.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { commands, UsageError, type CliIo } from '../lib/cli';
import { VocalSplitError } from '../lib/errors';

const io: CliIo = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

function usage(): string {
  const width = Math.max(...[...commands.keys()].map((n) => n.length));
  const list = [...commands.values()].map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n');
  return `Usage: vocal-split <command> [options]

Splits songs into vocals and accompaniment with a U-Net (Jansson et al., ISMIR 2017).

Commands:
${list}

Options:
  -h, --help     show this help; vocal-split <command> --help shows a command's
  -v, --version  show the version`;
}

function version(): string {
  // dist/bin/ → package root, where package.json is
  const pkg = JSON.parse(fs.readFileSync(path.resolve(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

/** One line: our typed errors and fs errors carry a readable message; anything else is a bug. */
function oneLine(err: unknown): string {
  if (err instanceof VocalSplitError) return `${err.message} (${err.code})`;
  const sys = err as NodeJS.ErrnoException;
  if (err instanceof Error && typeof sys.code === 'string' && typeof sys.path === 'string') {
    // "ENOENT: no such file or directory, stat 'x'" → "cannot read 'x': no such file or directory"
    const reason = /^[A-Z]+: ([^,]+)/.exec(err.message)?.[1] ?? sys.code;
    return `cannot read '${sys.path}': ${reason}`;
  }
  if (err instanceof Error) return err.message.split('\n')[0];
  return String(err);
}

async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined) {
    io.err(usage());
    return 1;
  }
  if (name === '-h' || name === '--help' || name === 'help') {
    io.out(usage());
    return 0;
  }
  if (name === '-v' || name === '--version') {
    io.out(version());
    return 0;
  }
  const command = commands.get(name);
  if (!command) {
    io.err(`vocal-split: unknown command '${name}' (see vocal-split --help)`);
    return 1;
  }
  if (args.includes('-h') || args.includes('--help')) {
    io.out(command.help);
    return 0;
  }
  try {
    return await command.run(args, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`vocal-split ${name}: ${err.message} (${command.help.split('\n')[0]})`);
    } else {
      io.err(`vocal-split ${name}: ${oneLine(err)}`);
    }
    return 1;
  }
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err: unknown) => {
    io.err(`vocal-split: ${oneLine(err)}`);
    process.exitCode = 1;
  },
);
