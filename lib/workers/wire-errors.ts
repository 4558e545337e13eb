/**
 * Errors across the thread boundary: a worker's AudioDecodeError arrives on the main thread as an
 * AudioDecodeError with the same code and message, so nodes and tests tell bad input from bugs the
 * same way whether the work ran in a worker or not.
 */
import { AudioDecodeError, InvalidArgumentError, VocalSplitError } from '../errors';
import { BackendUnavailableError, ModelError } from '../model/errors';
import type { WireError } from './envelope';

const CLASSES: Record<string, new (code: string, message: string) => VocalSplitError> = {
  AudioDecodeError, InvalidArgumentError, BackendUnavailableError, ModelError, VocalSplitError,
};

export function toWire(err: unknown): WireError {
  if (err instanceof VocalSplitError) return { name: err.name, code: err.code, message: err.message };
  if (err instanceof Error) return { name: err.name, message: err.message };
  return { name: 'Error', message: String(err) };
}

export function fromWire(wire: WireError): Error {
  if (wire.code !== undefined) {
    const Cls = CLASSES[wire.name] ?? VocalSplitError;
    return new Cls(wire.code, wire.message);
  }
  const err = new Error(wire.message);
  if (wire.name === 'TypeError' || wire.name === 'RangeError') err.name = wire.name;
  return err;
}

/** Rejection of a task whose caller went away (its signal aborted). */
export class TaskAbortedError extends VocalSplitError {
  constructor(what = 'the job') {
    super('ABORTED', `${what} was cancelled`);
  }
}

/** Rejection of a task whose worker died under it (crash, out of memory, exit). */
export class WorkerCrashedError extends VocalSplitError {
  constructor(detail: string) {
    super('WORKER_CRASHED', `the worker thread running this job crashed (${detail}); the next job gets a fresh worker`);
  }
}
