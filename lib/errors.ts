/**
 * Typed errors, so callers (nodes, CLI, tests) can tell bad input from bugs.
 * `code` is stable and machine-readable; `message` is for people.
 */
export class VocalSplitError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** The input bytes are not audio we can decode (empty, unknown format, corrupt, truncated, absurd header). */
export class AudioDecodeError extends VocalSplitError {}

/**
 * A cap is reached (QUEUE_FULL: the node's queue is full; TOO_MANY_STREAMS: its live streams are at
 * their maximum). Nothing is wrong with the input: the same message may succeed later (HTTP 503).
 */
export class BusyError extends VocalSplitError {}

/** An argument or setting is out of range (sample rate ≤ 0, FFT size not a power of two, ...). */
export class InvalidArgumentError extends VocalSplitError {}
