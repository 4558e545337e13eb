/**
 * Whether the one who asked for a message's result is still there. A message from an http in node
 * carries its response (msg.res, Node-RED's wrapper around Express's); once the client hangs up,
 * its socket closes and nobody can receive the stems any more, so the job is cancelled instead of
 * burning the CPU for the song's whole length.
 */
import type { Socket } from 'node:net';

interface HttpResponseLike {
  socket?: Socket | null;
  writableEnded?: boolean;
}

export interface Requester {
  /** Aborted when the requester has gone (the HTTP client hung up); never for a message without one. */
  signal: AbortSignal;
  /** Stops watching (the job is over). */
  release(): void;
}

function responseOf(msg: object): HttpResponseLike | undefined {
  const res = (msg as { res?: { _res?: HttpResponseLike } }).res?._res;
  return res && typeof res === 'object' ? res : undefined;
}

export function watchRequester(msg: object): Requester {
  const controller = new AbortController();
  const res = responseOf(msg);
  const socket = res?.socket;
  if (!res || !socket) return { signal: controller.signal, release: () => {} };
  const gone = (): void => {
    if (!res.writableEnded) controller.abort();
  };
  if (socket.destroyed) gone();
  socket.once('close', gone);
  return { signal: controller.signal, release: () => socket.removeListener('close', gone) };
}

/** A signal that aborts when any of `signals` does; `release` detaches it from them. */
export function eitherSignal(...signals: AbortSignal[]): { signal: AbortSignal; release(): void } {
  const controller = new AbortController();
  const abort = (): void => controller.abort();
  for (const s of signals) {
    if (s.aborted) controller.abort();
    else s.addEventListener('abort', abort, { once: true });
  }
  return { signal: controller.signal, release: () => signals.forEach((s) => s.removeEventListener('abort', abort)) };
}
