/** Every CLI subcommand, by name. Later commands (separate, ...) are added here. */
import type { CliCommand } from './command';
import { infoCommand } from './info';
import { separateCommand } from './separate';

export const commands: ReadonlyMap<string, CliCommand> = new Map(
  [infoCommand, separateCommand].map((c) => [c.name, c]),
);

export { UsageError } from './command';
export type { CliCommand, CliIo } from './command';
