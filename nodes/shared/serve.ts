/**
 * The message loop every vocal-split node shares (Node-RED glue only; the work is in lib/):
 * a per-node queue running `concurrency` jobs at once, status (idle / progress in % / red reason),
 * errors through done(err) so a Catch node sees them, msg pass-through left to `work`, and a close
 * that aborts the running jobs and drops the queued ones, each finished with done() and no output
 * (a message from an http in node is answered 503 then: nothing else is left to answer it).
 * The queue holds at most `queueLimit` waiting messages: one more fails at once with a BusyError
 * (code QUEUE_FULL, which the example flows answer with HTTP 503 and Retry-After).
 *
 * Its texts are the shared strings of the vocal-split node's catalogue (COMMON, see common-strings.ts).
 */
import type { Node, NodeAPI, NodeMessage, NodeMessageInFlow, NodeStatus } from 'node-red';
import { BusyError } from '../../lib/errors';
import { JobQueue, throttle } from '../../lib/jobs';
import { eitherSignal, watchRequester } from './requester';
import { answerUnavailable } from './http-answer';
import { DEFAULT_QUEUE_LIMIT } from './settings';
import { COMMON } from './common-strings';

/** One message per output; null sends nothing there. */
export type Outputs = Array<NodeMessage | null>;

export interface JobContext {
  /**
   * Aborted when the node closes (redeploy, removal, shutdown) or the message's requester has gone
   * (its HTTP client hung up). Pass it to the library call.
   */
  signal: AbortSignal;
  /** Reports the fraction done (0..1); shown as a percentage, throttled (a job's first report always shows). */
  progress(fraction: number): void;
}

export interface ServeOptions {
  /** Jobs run at once; default 1. */
  concurrency?: number;
  /** Messages that may wait for a free slot; default DEFAULT_QUEUE_LIMIT. */
  queueLimit?: number;
  /** Jobs wait for it (e.g. the model loading); if it fails, the status turns red and every message fails with its error. */
  ready?: Promise<unknown>;
  /** Status while nothing runs (e.g. the backend's name); default none. */
  idleStatus?(): NodeStatus;
  /** Does one message: returns one message per output, or throws. */
  work(msg: NodeMessageInFlow, ctx: JobContext): Promise<Outputs>;
  /** A short green status after a job (e.g. "44100 Hz · 2 ch"); default: back to the idle status. */
  summary?(outputs: Outputs): string | undefined;
  /** Runs once the queue has stopped on close (dispose a model handle, ...). */
  onClose?(): Promise<void>;
}

type Send = (msg: NodeMessage | Array<NodeMessage | NodeMessage[] | null>) => void;
type Done = (err?: Error) => void;

interface Job {
  msg: NodeMessageInFlow;
  send: Send;
  done: Done;
  fraction: number;
  /** Whether one of its progress reports has been shown: a short job right after another must still show one. */
  progressShown: boolean;
}

const PROGRESS_INTERVAL_MS = 250;
const STATUS_TEXT_MAX = 60;

export function errorOf(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

/** A status text of reasonable length for an error. */
export function shortReason(err: unknown): string {
  const text = errorOf(err).message.split('\n')[0];
  return text.length > STATUS_TEXT_MAX ? `${text.slice(0, STATUS_TEXT_MAX - 1)}…` : text;
}

export function serve(RED: NodeAPI, node: Node, options: ServeOptions): void {
  const running = new Set<Job>();
  let lastError: string | undefined;
  let ready = options.ready ?? Promise.resolve();
  const idle = (): NodeStatus => options.idleStatus?.() ?? {};
  const queueLimit = options.queueLimit ?? DEFAULT_QUEUE_LIMIT;
  /** Ends a job that will not run (the node is closing): an open HTTP request gets its 503. */
  const answerClosing = (job: Job): void => {
    answerUnavailable(job.msg, RED._(`${COMMON}.errors.closing`));
    job.done();
  };

  const showProgress = (): void => {
    const jobs = [...running];
    const fraction = jobs.reduce((sum, j) => sum + j.fraction, 0) / Math.max(1, jobs.length);
    let text = RED._(`${COMMON}.status.progress`, { percent: Math.floor(fraction * 100) });
    if (jobs.length > 1) text += ` ×${jobs.length}`;
    if (queue.waiting > 0) text += ` · ${RED._(`${COMMON}.status.queued`, { count: queue.waiting })}`;
    node.status({ fill: 'blue', shape: 'dot', text });
  };
  const throttledProgress = throttle(showProgress, PROGRESS_INTERVAL_MS);

  const run = async (job: Job, closing: AbortSignal): Promise<void> => {
    // The job stops when the node closes or when whoever asked has gone (an HTTP client hung up).
    const requester = watchRequester(job.msg);
    const either = eitherSignal(closing, requester.signal);
    try {
      await runJob(job, either.signal, requester.signal);
    } finally {
      either.release();
      requester.release();
    }
  };

  const runJob = async (job: Job, signal: AbortSignal, requesterGone: AbortSignal): Promise<void> => {
    running.add(job);
    showProgress();
    let outputs: Outputs;
    try {
      await untilReadyOrAborted(ready, signal);
      if (signal.aborted) throw new Error('aborted');
      outputs = await options.work(job.msg, {
        signal,
        progress: (fraction) => {
          job.fraction = Math.min(1, Math.max(0, fraction));
          if (job.progressShown) return throttledProgress();
          job.progressShown = true;
          showProgress();
        },
      });
    } catch (err) {
      running.delete(job);
      if (requesterGone.aborted) node.log(RED._(`${COMMON}.log.abandoned`));
      if (signal.aborted) {
        answerClosing(job); // closing or abandoned: ended cleanly, nothing sent (see the help: "Closing")
        if (running.size === 0 && queue.waiting === 0) node.status(idle());
        return;
      }
      lastError = shortReason(err);
      node.status({ fill: 'red', shape: 'ring', text: lastError });
      job.done(errorOf(err));
      return;
    }
    running.delete(job);
    if (signal.aborted) {
      answerClosing(job);
      return;
    }
    lastError = undefined;
    // One send() per output: Node-RED deep-copies every message but the first of a send() call.
    outputs.forEach((out, i) => {
      if (out) job.send(outputs.map((_, j) => (j === i ? out : null)));
    });
    job.done();
    if (running.size === 0 && queue.waiting === 0) {
      const text = options.summary?.(outputs);
      node.status(text ? { fill: 'green', shape: 'dot', text } : idle());
    }
  };

  const queue = new JobQueue<Job>(options.concurrency ?? 1, run, () => {
    if (running.size > 0 || queue.waiting > 0) throttledProgress();
  }, (err) => node.error(errorOf(err).message));

  if (options.ready) {
    node.status({ fill: 'yellow', shape: 'ring', text: RED._(`${COMMON}.status.loading`) });
    ready = options.ready.then((value) => {
      if (running.size === 0 && lastError === undefined) node.status(idle());
      return value;
    }, (err: unknown) => {
      node.status({ fill: 'red', shape: 'ring', text: shortReason(err) });
      node.error(RED._(`${COMMON}.errors.notReady`, { message: errorOf(err).message }));
      throw err;
    });
    ready.catch(() => {}); // reported above; each message gets the error too
  } else {
    node.status(idle());
  }

  node.on('input', (msg, send, done) => {
    if (queue.waiting >= queueLimit) {
      done(new BusyError('QUEUE_FULL', RED._(`${COMMON}.errors.queueFull`, { count: queue.waiting })));
      return;
    }
    const job: Job = { msg, send, done, fraction: 0, progressShown: false };
    if (!queue.push(job)) answerClosing(job);
  });

  node.on('close', (_removed: boolean, closed: () => void) => {
    queue.close(answerClosing).then(async ({ aborted, dropped }) => {
      if (aborted + dropped > 0) node.log(RED._(`${COMMON}.log.closed`, { aborted, dropped }));
      await options.onClose?.();
    }).catch((err: unknown) => {
      node.error(errorOf(err).message);
    }).finally(() => {
      node.status({});
      closed();
    });
  });
}

/** For a node whose settings are wrong: red status, one error now, and every message fails with it. */
export function serveRejected(node: Node, reason: string): void {
  node.status({ fill: 'red', shape: 'ring', text: shortReason(reason) });
  node.error(reason);
  node.on('input', (_msg, _send, done) => done(new Error(reason)));
}

function untilReadyOrAborted(ready: Promise<unknown>, signal: AbortSignal): Promise<unknown> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onAbort = (): void => resolve(undefined);
    signal.addEventListener('abort', onAbort, { once: true });
    ready.then((v) => {
      signal.removeEventListener('abort', onAbort);
      resolve(v);
    }, (err: unknown) => {
      signal.removeEventListener('abort', onAbort);
      reject(err);
    });
  });
}
