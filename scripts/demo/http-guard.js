// What stands between the network and the demo's Node-RED, before Express sees a request:
// - the Host header must name this machine (localhost names, an IP address, HOST, or one of
//   VOCAL_SPLIT_ALLOWED_HOSTS): a DNS-rebinding page comes with its own domain name and is refused;
// - no cross-origin requests (an Origin header that is not this server's own), preflights included,
//   and no Access-Control-* headers on any answer: Node-RED's admin API would otherwise say
//   "Access-Control-Allow-Origin: *" to every web page the user has open;
// - request bodies: a Content-Length is required (411 for chunked uploads), at most maxUploadBytes
//   (413), and all bodies being held at once share uploadBudgetBytes (503 + Retry-After past it),
//   because Node-RED's http in node buffers a raw body whole, without a limit of its own;
// - on shutdown, every request still open is answered 503 instead of being left hanging.
'use strict';
const net = require('node:net');

const RETRY_AFTER_SECONDS = 10;

function hostnameOf(hostHeader) {
  if (typeof hostHeader !== 'string' || hostHeader === '') return '';
  const h = hostHeader.trim().toLowerCase();
  if (h.startsWith('[')) return h.slice(1, h.indexOf(']') > 0 ? h.indexOf(']') : undefined);
  return h.replace(/:\d*$/, '');
}

function isLocalName(name) {
  return name === 'localhost' || name.endsWith('.localhost');
}

function answer(res, status, error, headers = {}) {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify({ error });
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), Connection: 'close', ...headers });
  res.end(body);
}

/**
 * @param {{ host: string, allowedHosts: string[], maxUploadBytes: number, uploadBudgetBytes: number }} options
 */
function createHttpGuard(options) {
  const allowed = new Set([options.host, ...options.allowedHosts].map((h) => hostnameOf(h)).filter(Boolean));
  const open = new Set();
  let held = 0;

  const hostAllowed = (hostHeader) => {
    const name = hostnameOf(hostHeader);
    return name !== '' && (isLocalName(name) || net.isIP(name) !== 0 || allowed.has(name));
  };
  const sameOrigin = (req) => {
    const origin = req.headers.origin;
    if (origin === undefined) return true;
    return origin === `http://${req.headers.host}` || origin === `https://${req.headers.host}`;
  };

  /** True if the request may go on to Express; otherwise it has been answered. */
  function admit(req, res) {
    if (!hostAllowed(req.headers.host)) {
      answer(res, 403, 'this server does not answer to that host name: add it to VOCAL_SPLIT_ALLOWED_HOSTS');
      return false;
    }
    if (!sameOrigin(req)) {
      answer(res, 403, 'cross-origin requests are not allowed');
      return false;
    }
    // Node-RED's admin API sets "Access-Control-Allow-Origin: *" itself; no answer carries it.
    const setHeader = res.setHeader.bind(res);
    res.setHeader = (name, value) => (/^access-control-/i.test(name) ? res : setHeader(name, value));
    let reserved = 0;
    if (req.headers['transfer-encoding'] !== undefined) {
      answer(res, 411, 'send the upload with a Content-Length (chunked uploads are not accepted)');
      return false;
    }
    const length = Number(req.headers['content-length'] ?? 0);
    if (!(length >= 0)) {
      answer(res, 400, 'bad Content-Length');
      return false;
    }
    if (length > options.maxUploadBytes) {
      answer(res, 413, `the upload is ${length} bytes, over the ${options.maxUploadBytes}-byte limit (VOCAL_SPLIT_MAX_UPLOAD_MB)`);
      return false;
    }
    if (length > 0) {
      if (held + length > options.uploadBudgetBytes) {
        answer(res, 503, 'busy: too many uploads at once; try again shortly', { 'Retry-After': String(RETRY_AFTER_SECONDS) });
        return false;
      }
      held += length;
      reserved = length;
    }
    open.add(res);
    res.once('close', () => {
      open.delete(res);
      held -= reserved;
      reserved = 0;
    });
    return true;
  }

  /** For WebSocket upgrades (the editor's /comms): the same host and origin rules. */
  function admitUpgrade(req) {
    return hostAllowed(req.headers.host) && sameOrigin(req);
  }

  /** Answers every request still open with 503 (shutting down). */
  function closeOpen() {
    for (const res of open) answer(res, 503, 'Node-RED is shutting down; try again shortly', { 'Retry-After': String(RETRY_AFTER_SECONDS) });
  }

  return { admit, admitUpgrade, closeOpen, get heldBytes() { return held; } };
}

/**
 * Lets only admitted WebSocket upgrades reach `server`'s upgrade listeners: Node-RED's comms, and
 * those that websocket nodes add on later deploys (hence at emit, not by swapping the listeners once).
 */
function guardUpgrades(server, guard) {
  const emit = server.emit;
  server.emit = function guardedEmit(event, ...args) {
    if (event === 'upgrade' && !guard.admitUpgrade(args[0])) {
      args[1].end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return true;
    }
    return emit.call(this, event, ...args);
  };
}

module.exports = { createHttpGuard, guardUpgrades, hostnameOf, RETRY_AFTER_SECONDS };
