/**
 * The shape of one CLI subcommand. Each lives in its own file under lib/cli/ and is listed in
 * lib/cli/index.ts; bin/vocal-split.ts only dispatches, prints help, and turns errors into exit 1.
 */
export interface CliIo {
  out(line: string): void;
  err(line: string): void;
}

export interface CliCommand {
  name: string;
  /** One line for the command list in `vocal-split --help`. */
  summary: string;
  /** Full help text for `vocal-split <name> --help` (starts with the usage line). */
  help: string;
  /** Runs with the arguments after the command name; resolves to the exit code. Throws on failure. */
  run(args: string[], io: CliIo): Promise<number>;
}

/** Wrong arguments: the dispatcher prints the message and the command's usage line, exit 1. */
export class UsageError extends Error {
  override name = 'UsageError';
}
