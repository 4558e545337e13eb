/** Every CLI subcommand, by name. Later commands (separate, ...) are added here. */
import type { CliCommand } from './command';
import { infoCommand } from './info';
import { separateCommand } from './separate';
import { evalCommand } from './eval';
import { workerCommand } from './worker';

export const commands: ReadonlyMap<string, CliCommand> = new Map(
  [infoCommand, separateCommand, evalCommand, workerCommand].map((c) => [c.name, c]),
);

export { UsageError } from './command';
export type { CliCommand, CliIo } from './command';
