/**
 * The vocal-split node's "Run on: a worker pool": each message becomes a job of lib/pool's protocol
 * on an MQTT 5 broker, separated by a `vocal-split worker`; its stems come back as the same outputs
 * as a local run. The broker is Node-RED's own mqtt-broker config node: its address, credentials
 * and TLS settings are reused (with a client id of our own, so it never clashes with the node's).
 */
import { promises as fs } from 'node:fs';
import type { Node, NodeAPI, NodeMessageInFlow } from 'node-red';
import { decodeAudio } from '../../lib/audio/decode';
import { encodeWav } from '../../lib/audio/encode';
import { findAudioProblem } from '../../lib/audio/validate';
import { resolveInside } from '../../lib/paths';
import { describePayload, isAudioData, isBytes } from '../../lib/payloads';
import { PoolRequester, STEM_NAMES, type BrokerOptions, type StemFormat } from '../../lib/pool';
import { serve, serveRejected, type Outputs } from '../shared/serve';
import { numberSetting } from '../shared/settings';

export interface PoolSettings {
  /** Id of an mqtt-broker config node. */
  broker?: string;
  poolTopic?: string;
  poolTimeout?: string | number;
}

export interface PoolJobSettings {
  output: 'auto' | 'wav' | 'audio';
  bitDepth: 16 | 24 | 32;
  rate?: number;
  concurrency: number;
  maxMegabytes: number;
  /** The Folder setting read for a message (file paths must lie inside it). */
  folderOf(msg: NodeMessageInFlow): Promise<string>;
}

/** The fields of Node-RED's mqtt-broker config node we reuse (set by its constructor). */
interface MqttBrokerNode {
  brokerurl?: string;
  options?: { username?: string; password?: string; ca?: string | Buffer; cert?: string | Buffer; key?: string | Buffer; rejectUnauthorized?: boolean; servername?: string; keepalive?: number };
}

const FORMAT_OF_BITS: Record<16 | 24 | 32, StemFormat> = { 16: 'wav16', 24: 'wav24', 32: 'wav32f' };
/** How many times a job is published before the node gives up (the first time and two resubmissions). */
const ATTEMPTS = 3;

/** The requester's options from the node's settings, or the message key of what is wrong. */
function brokerOf(RED: NodeAPI, settings: PoolSettings): BrokerOptions | { error: string } {
  const node = settings.broker ? (RED.nodes.getNode(settings.broker) as unknown as MqttBrokerNode | null) : null;
  if (!node?.brokerurl) return { error: 'vocal-split.errors.broker' };
  const o = node.options ?? {};
  return {
    url: node.brokerurl,
    username: o.username,
    password: o.password,
    ca: o.ca,
    tls: { cert: o.cert, key: o.key, rejectUnauthorized: o.rejectUnauthorized, servername: o.servername },
    keepaliveSeconds: o.keepalive,
  };
}

export function servePool(RED: NodeAPI, node: Node, settings: PoolSettings, job: PoolJobSettings): void {
  const timeout = numberSetting(settings.poolTimeout, 60);
  if (!(timeout > 0 && timeout <= 86400)) return serveRejected(node, RED._('vocal-split.errors.poolTimeout', { value: String(settings.poolTimeout) }));
  const broker = brokerOf(RED, settings);
  if ('error' in broker) return serveRejected(node, RED._(broker.error));
  const jobsTopic = (settings.poolTopic ?? '').trim() || 'vocal-split/jobs';
  const requester = new PoolRequester({ broker, jobsTopic, timeoutMs: timeout * 1000, attempts: ATTEMPTS });
  serve(RED, node, {
    concurrency: job.concurrency,
    idleStatus: () => ({ fill: 'green', shape: 'ring', text: RED._('vocal-split.status.pool', { topic: jobsTopic }) }),
    async work(msg: NodeMessageInFlow, { signal, progress }): Promise<Outputs> {
      const payload: unknown = msg.payload;
      const bytes = await bytesOf(RED, payload, job, () => job.folderOf(msg));
      const asWav = job.output === 'wav' || (job.output === 'auto' && !isAudioData(payload));
      // Audio out: the worker sends 32-bit float WAV, which decodes to the very samples.
      const format = asWav ? FORMAT_OF_BITS[job.bitDepth] : 'wav32f';
      const { stems } = await requester.submit(bytes, { format, rate: job.rate }, { signal, onProgress: progress });
      return Promise.all(STEM_NAMES.map(async (stem) => {
        const wav = stems[stem] as Buffer;
        return { ...msg, payload: asWav ? wav : await decodeAudio(wav, { maxBytes: wav.length, maxSeconds: Infinity }), stem };
      }));
    },
    onClose: () => requester.close(),
  });
}

/** The job's bytes: the payload's bytes, a file's inside the node's folder, or audio as float WAV. */
async function bytesOf(RED: NodeAPI, payload: unknown, job: PoolJobSettings, folder: () => Promise<string>): Promise<Buffer> {
  const maxBytes = Math.floor(job.maxMegabytes * 2 ** 20);
  const checked = (b: Buffer): Buffer => {
    if (b.length > maxBytes) throw new Error(RED._('vocal-split.errors.tooLarge', { bytes: b.length, max: job.maxMegabytes }));
    return b;
  };
  if (isBytes(payload)) return checked(Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength));
  if (typeof payload === 'string' && payload.length > 0) {
    const file = await resolveInside(await folder(), payload);
    const { size } = await fs.stat(file);
    if (size > maxBytes) throw new Error(RED._('vocal-split.errors.tooLarge', { bytes: size, max: job.maxMegabytes }));
    return fs.readFile(file);
  }
  if (isAudioData(payload)) {
    const problem = findAudioProblem(payload);
    if (problem) throw new Error(problem.message);
    return checked(encodeWav(payload, { bitDepth: 32 }));
  }
  throw new Error(RED._('vocal-split.errors.payload', { got: describePayload(payload) }));
}
