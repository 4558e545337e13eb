/** How the pool's processes reach the broker: one options type for the worker, the requester and the node. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import type { IClientOptions } from 'mqtt';
import { InvalidArgumentError } from '../errors';

export interface BrokerOptions {
  /** mqtt://host:port, mqtts://host:port (TLS), ws:// or wss://. */
  url: string;
  username?: string;
  password?: string;
  /** PEM certificate(s) of the authority that signed the broker's certificate (mqtts://). */
  ca?: string | Buffer;
  /** TLS settings from elsewhere (Node-RED's tls-config node: cert, key, rejectUnauthorized, servername). */
  tls?: Pick<IClientOptions, 'cert' | 'key' | 'rejectUnauthorized' | 'servername'>;
  /** Keep-alive in seconds; default 30. */
  keepaliveSeconds?: number;
}

/** The URL schemes mqtt.js connects to. */
const SCHEMES = ['mqtt:', 'mqtts:', 'tcp:', 'tls:', 'ws:', 'wss:'];

/** Throws a clear error for a URL mqtt.js would not take (it would fail later, less clearly). */
export function checkBrokerUrl(url: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new InvalidArgumentError('BAD_BROKER_URL', `broker '${url}' is not a URL (expected mqtt://host:port or mqtts://host:port)`);
  }
  if (!SCHEMES.includes(parsed.protocol)) {
    throw new InvalidArgumentError('BAD_BROKER_URL', `broker '${url}': unsupported scheme ${parsed.protocol} (use mqtt://, mqtts://, ws:// or wss://)`);
  }
}

/** Reads a CA file for BrokerOptions.ca, with a readable error. */
export function readCaFile(file: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (err) {
    throw new InvalidArgumentError('BAD_CA_FILE', `cannot read CA file '${file}': ${(err as Error).message}`);
  }
}

/** A stable default client id: the same host and group get the same session back after a restart. */
export function defaultWorkerClientId(group: string): string {
  return `vocal-split-worker-${os.hostname()}-${group}`.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 128);
}

/** mqtt.js options for MQTT 5 with a session kept `sessionExpirySeconds` after a disconnect (0: none). */
export function mqttOptions(broker: BrokerOptions, clientId: string, sessionExpirySeconds: number, extra: IClientOptions = {}): IClientOptions {
  checkBrokerUrl(broker.url);
  return {
    protocolVersion: 5,
    clientId,
    clean: sessionExpirySeconds === 0,
    keepalive: broker.keepaliveSeconds ?? 30,
    reconnectPeriod: 1000,
    connectTimeout: 10_000,
    username: broker.username || undefined,
    password: broker.password || undefined,
    ca: broker.ca,
    ...broker.tls,
    ...extra,
    properties: { sessionExpiryInterval: sessionExpirySeconds, ...extra.properties },
  };
}
