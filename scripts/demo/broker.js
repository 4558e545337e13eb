// The demo's MQTT broker (aedes) with limits, since anything that reaches its port can publish:
// - packets over maxPacketBytes close the connection as soon as their header announces them
//   (MQTT's fixed header gives the length first; aedes would otherwise buffer any size);
// - no retained messages: a retained song on jukebox/in would be split again on every deploy, and
//   retained payloads would stay in memory for good (the retain flag is cleared, the message goes on);
// - no sessions kept for offline clients (every session is a clean one), so no queue grows for a
//   client that is away;
// - optional user name and password (MQTT_USERNAME / MQTT_PASSWORD): then every client needs them.
'use strict';
const crypto = require('node:crypto');
const net = require('node:net');
const { Duplex, Transform } = require('node:stream');

/** Passes MQTT bytes through, and fails on the first packet whose announced length is over `max`. */
class PacketSizeGuard extends Transform {
  constructor(max) {
    super();
    this.max = max;
    this.state = 'type'; // type → length (1-4 bytes) → body (skip `left` bytes)
    this.length = 0;
    this.multiplier = 1;
    this.left = 0;
  }

  _transform(chunk, _encoding, callback) {
    let i = 0;
    while (i < chunk.length) {
      if (this.state === 'body') {
        const n = Math.min(this.left, chunk.length - i);
        this.left -= n;
        i += n;
        if (this.left === 0) this.state = 'type';
      } else if (this.state === 'type') {
        this.state = 'length';
        this.length = 0;
        this.multiplier = 1;
        i++;
      } else {
        const byte = chunk[i++];
        this.length += (byte & 0x7f) * this.multiplier;
        this.multiplier *= 128;
        if (this.length > this.max) {
          callback(new Error(`MQTT packet of over ${this.length} bytes, over the ${this.max}-byte limit`));
          return;
        }
        if ((byte & 0x80) === 0) {
          this.left = this.length;
          this.state = this.left > 0 ? 'body' : 'type';
        } else if (this.multiplier > 128 ** 4) {
          callback(new Error('malformed MQTT packet length'));
          return;
        }
      }
    }
    callback(null, chunk);
  }
}

function sameSecret(a, b) {
  const x = crypto.createHash('sha256').update(String(a)).digest();
  const y = crypto.createHash('sha256').update(String(b)).digest();
  return crypto.timingSafeEqual(x, y);
}

/**
 * Starts the broker on host:port. Resolves with { close() } once it listens.
 * @param {{ host: string, port: number, maxPacketBytes: number, username?: string, password?: string }} options
 */
async function startBroker(options) {
  const { Aedes } = await import('aedes');
  const broker = await Aedes.createBroker({
    preConnect(_client, packet, callback) {
      packet.clean = true; // no session (and so no queue) is kept for a client once it is gone
      callback(null, true);
    },
    authenticate(_client, username, password, callback) {
      if (!options.password) return callback(null, true);
      const ok = username === options.username && password !== undefined && sameSecret(password, options.password);
      if (ok) return callback(null, true);
      const err = new Error('bad user name or password');
      err.returnCode = 4;
      return callback(err, false);
    },
    authorizePublish(_client, packet, callback) {
      packet.retain = false;
      callback(null);
    },
  });
  const server = net.createServer((socket) => {
    const guard = new PacketSizeGuard(options.maxPacketBytes);
    socket.pipe(guard);
    const conn = Duplex.from({ readable: guard, writable: socket });
    guard.on('error', () => socket.destroy());
    socket.on('error', () => socket.destroy());
    conn.on('close', () => socket.destroy());
    conn.on('error', () => socket.destroy());
    broker.handle(conn);
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, resolve);
  });
  return {
    close() {
      server.close();
      broker.close();
    },
  };
}

module.exports = { startBroker, PacketSizeGuard };
