/**
 * vocal-split: the whole chain in one node. Audio bytes (Buffer), a file path or audio in msg.payload
 * → vocals on output 1, accompaniment on output 2 (msg.stem names each), as WAV bytes or audio.
 * The work is lib/separate's separate() on a lib/model backend shared by every node of the process.
 */
import type { Node, NodeAPI, NodeDef } from 'node-red';
import { describePayload, isAudioData } from '../../lib/payloads';
import type { StemName } from '../../lib/separate';
import { sharedAudioPool } from '../../lib/workers';
import { serveModel } from '../shared/model';
import { serveRejected } from '../shared/serve';
import { folderReader, folderSetting, sourceOfPayload, type FolderNodeDef } from '../shared/input';
import { backendSetting, bitDepthSetting, concurrencySetting, maxMegabytesSetting, maxSecondsSetting, queueLimitSetting, rateSetting } from '../shared/settings';
import { modeSetting, streamQueueLimit, streamSettings, type StreamNodeDef } from '../shared/stream';
import { STREAM_CONCURRENCY, SeparateStreamMode } from '../shared/separate-stream-mode';
import { servePool, type PoolSettings } from './pool-mode';
import { COMMON } from '../shared/common-strings';

interface VocalSplitNodeDef extends NodeDef, StreamNodeDef, PoolSettings, FolderNodeDef {
  runOn?: string;
  model?: string;
  backend?: string;
  output?: string;
  bitDepth?: string | number;
  rate?: string | number;
  concurrency?: string | number;
  maxSeconds?: string | number;
  maxMegabytes?: string | number;
  queueLimit?: string | number;
}

const OUTPUTS = ['auto', 'wav', 'audio'] as const;
const STEMS: StemName[] = ['vocals', 'accompaniment'];

export = function register(RED: NodeAPI): void {
  function VocalSplitNode(this: Node, config: VocalSplitNodeDef): void {
    RED.nodes.createNode(this, config);
    const backendChoice = backendSetting(config.backend);
    const concurrency = concurrencySetting(config.concurrency);
    const output = OUTPUTS.find((o) => o === (config.output || 'auto'));
    const bitDepth = bitDepthSetting(config.bitDepth);
    const rate = rateSetting(config.rate);
    const maxSeconds = maxSecondsSetting(config.maxSeconds);
    if (!backendChoice) return serveRejected(this, RED._(`${COMMON}.errors.backend`, { value: String(config.backend) }));
    if (!concurrency) return serveRejected(this, RED._(`${COMMON}.errors.concurrency`, { value: String(config.concurrency) }));
    if (!output) return serveRejected(this, RED._('vocal-split.errors.output', { value: String(config.output) }));
    if (!bitDepth) return serveRejected(this, RED._(`${COMMON}.errors.bitDepth`, { value: String(config.bitDepth) }));
    if (Number.isNaN(rate)) return serveRejected(this, RED._(`${COMMON}.errors.rate`, { value: String(config.rate) }));
    if (!maxSeconds) return serveRejected(this, RED._(`${COMMON}.errors.maxSeconds`, { value: String(config.maxSeconds) }));
    const maxMegabytes = maxMegabytesSetting(config.maxMegabytes);
    if (!maxMegabytes) return serveRejected(this, RED._(`${COMMON}.errors.maxMegabytes`, { value: String(config.maxMegabytes) }));
    const queueLimit = queueLimitSetting(config.queueLimit);
    if (!queueLimit) return serveRejected(this, RED._(`${COMMON}.errors.queueLimit`, { value: String(config.queueLimit) }));
    const mode = modeSetting(config.mode);
    if (!mode) return serveRejected(this, RED._(`${COMMON}.stream.errors.mode`, { value: String(config.mode) }));
    if (mode === 'stream') {
      const settings = streamSettings(RED, config);
      if ('error' in settings) return serveRejected(this, RED._(settings.error, { value: String(settings.value) }));
      const streams = new SeparateStreamMode(RED, this, settings);
      return serveModel(RED, this, {
        model: config.model ?? '',
        backend: backendChoice,
        concurrency: STREAM_CONCURRENCY,
        queueLimit: streamQueueLimit(settings),
        work: (msg, { backend, signal }) => streams.work(msg, backend, signal),
        onClose: () => streams.close(),
        idleText: (name) => `${name} · ${RED._(`${COMMON}.stream.status.streams`, { count: streams.streams })}`,
      });
    }
    const runOn = config.runOn || 'local';
    const folder = folderSetting(RED, config);
    if ('error' in folder) return serveRejected(this, RED._(folder.error, { value: folder.value }));
    const folderOf = folderReader(RED, this, folder);
    if (runOn === 'pool') return servePool(RED, this, config, { output, bitDepth, rate, concurrency, maxMegabytes, folderOf });
    if (runOn !== 'local') return serveRejected(this, RED._('vocal-split.errors.runOn', { value: String(config.runOn) }));
    const node = this;
    serveModel(RED, this, {
      model: config.model ?? '',
      backend: backendChoice,
      concurrency,
      queueLimit,
      async work(msg, { backend, separateOptions }) {
        const payload: unknown = msg.payload;
        const source = await sourceOfPayload(payload, { maxSeconds, maxMegabytes, folder: () => folderOf(msg) }, true);
        if (!source) throw new Error(RED._('vocal-split.errors.payload', { got: describePayload(payload) }));
        const asWav = output === 'wav' || (output === 'auto' && !isAudioData(payload));
        // Decode, separate and encode in the worker pool; the main thread only moves buffers.
        const stems = await sharedAudioPool().separate(source.input, backend, {
          ...separateOptions,
          limits: source.decode,
          onSkipped: (text) => node.warn(text),
          output: asWav ? { kind: 'wav', bitDepth, sampleRate: rate } : { kind: 'audio', sampleRate: rate },
        });
        return STEMS.map((stem) => ({ ...msg, payload: stems[stem], stem }));
      },
    });
  }
  RED.nodes.registerType('vocal-split', VocalSplitNode);
};
