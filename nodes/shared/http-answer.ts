/**
 * A message from an http in node carries its open request (msg.res). When a node drops such a message
 * (it is closing: redeploy, removal, shutdown), nothing downstream will answer it any more, so the
 * node answers 503 itself; otherwise the client would wait until its own timeout.
 */
import type { NodeMessageInFlow } from 'node-red';

/** The parts of Node's ServerResponse (under Express's wrapper) that an answer needs. */
interface OpenResponse {
  headersSent: boolean;
  writableEnded?: boolean;
  statusCode: number;
  socket?: { destroyed: boolean } | null;
  setHeader(name: string, value: string): unknown;
  end(body: string): unknown;
}

const RETRY_AFTER_SECONDS = '10';

function openResponseOf(msg: NodeMessageInFlow): OpenResponse | undefined {
  const res: unknown = (msg as { res?: { _res?: unknown } }).res?._res;
  if (typeof res !== 'object' || res === null) return undefined;
  const r = res as Partial<OpenResponse>;
    const open = r.headersSent === false && !r.writableEnded && !r.socket?.destroyed; // not a client that hung up
  return typeof r.setHeader === 'function' && typeof r.end === 'function' && open ? (r as OpenResponse) : undefined;
}

/** Answers the message's HTTP request, if it has one still open, with 503 and Retry-After. */
export function answerUnavailable(msg: NodeMessageInFlow, text: string): void {
  const res = openResponseOf(msg);
  if (!res) return;
  res.statusCode = 503;
  res.setHeader('Content-Type', 'application/json');
  res.setHeader('Retry-After', RETRY_AFTER_SECONDS);
  res.end(JSON.stringify({ error: text }));
}
