/** Option parsing shared by the CLI subcommands: one walk over the arguments, typed value readers. */
import { BACKEND_NAMES, type BackendChoice } from '../model/backends';
import { UsageError } from './command';

/** Readers for the current argument's value; each takes the next argument and moves past it. */
export interface ArgValues {
  /** The next argument as is; UsageError when there is none. */
  value(): string;
  /** The next argument as an integer from 1 to `max`; UsageError otherwise. */
  positiveInt(max: number): number;
  /** The next argument as 'auto' or one of BACKEND_NAMES; UsageError otherwise. */
  backend(): BackendChoice;
}

/** Calls `onArg` for each argument in turn; the readers it is given consume the option's value. */
export function walkArgs(args: string[], onArg: (arg: string, values: ArgValues) => void): void {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const value = (): string => {
      const v = args[++i];
      if (v === undefined) throw new UsageError(`${arg} needs a value`);
      return v;
    };
    const positiveInt = (max: number): number => {
      const n = Number(value());
      if (!Number.isInteger(n) || n < 1 || n > max) throw new UsageError(`${arg} must be an integer from 1 to ${max}`);
      return n;
    };
    const backend = (): BackendChoice => {
      const b = value();
      if (b !== 'auto' && !(BACKEND_NAMES as readonly string[]).includes(b)) throw new UsageError(`unknown backend '${b}'`);
      return b as BackendChoice;
    };
    onArg(arg, { value, positiveInt, backend });
  }
}
