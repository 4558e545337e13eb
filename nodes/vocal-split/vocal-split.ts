/**
 * vocal-split: the whole chain in one node. Audio bytes (Buffer), a file path or audio in msg.payload
 * → vocals on output 1, accompaniment on output 2 (msg.stem names each), as WAV bytes or audio.
 * The work is lib/separate's separate() on a lib/model backend shared by every node of the process.
 */
import type { Node, NodeAPI, NodeDef } from 'node-red';
import { encodeAudio, toRate } from '../../lib/audio/output';
import { describePayload, isAudioData } from '../../lib/payloads';
import { separate, type StemName } from '../../lib/separate';
import { serveModel } from '../shared/model';
import { serveRejected } from '../shared/serve';
import { audioFromPayload } from '../shared/input';
import { backendSetting, bitDepthSetting, concurrencySetting, maxMegabytesSetting, maxSecondsSetting, rateSetting } from '../shared/settings';
import { modeSetting, streamSettings, type StreamNodeDef } from '../shared/stream';
import { STREAM_CONCURRENCY, SeparateStreamMode } from '../shared/separate-stream-mode';

interface VocalSplitNodeDef extends NodeDef, StreamNodeDef {
  model?: string;
  backend?: string;
  output?: string;
  bitDepth?: string | number;
  rate?: string | number;
  concurrency?: string | number;
  maxSeconds?: string | number;
  maxMegabytes?: string | number;
  folder?: string;
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
    if (!backendChoice) return serveRejected(this, RED._('common.errors.backend', { value: String(config.backend) }));
    if (!concurrency) return serveRejected(this, RED._('common.errors.concurrency', { value: String(config.concurrency) }));
    if (!output) return serveRejected(this, RED._('vocal-split.errors.output', { value: String(config.output) }));
    if (!bitDepth) return serveRejected(this, RED._('common.errors.bitDepth', { value: String(config.bitDepth) }));
    if (Number.isNaN(rate)) return serveRejected(this, RED._('common.errors.rate', { value: String(config.rate) }));
    if (!maxSeconds) return serveRejected(this, RED._('common.errors.maxSeconds', { value: String(config.maxSeconds) }));
    const maxMegabytes = maxMegabytesSetting(config.maxMegabytes);
    if (!maxMegabytes) return serveRejected(this, RED._('common.errors.maxMegabytes', { value: String(config.maxMegabytes) }));
    const limits = { maxSeconds, maxMegabytes, folder: (config.folder ?? '').trim() };
    const mode = modeSetting(config.mode);
    if (!mode) return serveRejected(this, RED._('common.stream.errors.mode', { value: String(config.mode) }));
    if (mode === 'stream') {
      const settings = streamSettings(config);
      if ('error' in settings) return serveRejected(this, RED._(settings.error, { value: String(settings.value) }));
      const streams = new SeparateStreamMode(RED, this, settings);
      return serveModel(RED, this, {
        model: config.model ?? '',
        backend: backendChoice,
        concurrency: STREAM_CONCURRENCY,
        work: (msg, { backend }) => streams.work(msg, backend),
        onClose: () => streams.close(),
        idleText: (name) => `${name} · ${RED._('common.stream.status.streams', { count: streams.streams })}`,
      });
    }
    serveModel(RED, this, {
      model: config.model ?? '',
      backend: backendChoice,
      concurrency,
      async work(msg, { signal, backend, separateOptions }) {
        const payload: unknown = msg.payload;
        const audio = await audioFromPayload(payload, limits, true);
        if (!audio) throw new Error(RED._('vocal-split.errors.payload', { got: describePayload(payload) }));
        const stems = await separate(audio, backend, separateOptions);
        const asWav = output === 'wav' || (output === 'auto' && !isAudioData(payload));
        return Promise.all(STEMS.map(async (stem) => ({
          ...msg,
          payload: asWav ? await encodeAudio(stems[stem], { bitDepth, sampleRate: rate, signal }) : await toRate(stems[stem], { sampleRate: rate }),
          stem,
        })));
      },
    });
  }
  RED.nodes.registerType('vocal-split', VocalSplitNode);
};
