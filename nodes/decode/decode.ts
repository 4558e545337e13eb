/**
 * vocal-split-decode: audio bytes (Buffer) or a file path in msg.payload → audio
 * { sampleRate, channels: Float32Array[] } in msg.payload. The work is in lib/audio.
 */
import type { Node, NodeAPI, NodeDef } from 'node-red';
import type { AudioData } from '../../lib/audio/types';
import { describePayload } from '../../lib/payloads';
import { serve, serveRejected } from '../shared/serve';
import { audioFromPayload } from '../shared/input';
import { maxMegabytesSetting, maxSecondsSetting } from '../shared/settings';
import { audioSummary } from '../shared/summary';

interface DecodeNodeDef extends NodeDef {
  maxSeconds?: string | number;
  maxMegabytes?: string | number;
  folder?: string;
}

export = function register(RED: NodeAPI): void {
  function VocalSplitDecodeNode(this: Node, config: DecodeNodeDef): void {
    RED.nodes.createNode(this, config);
    const maxSeconds = maxSecondsSetting(config.maxSeconds);
    if (!maxSeconds) return serveRejected(this, RED._('common.errors.maxSeconds', { value: String(config.maxSeconds) }));
    const maxMegabytes = maxMegabytesSetting(config.maxMegabytes);
    if (!maxMegabytes) return serveRejected(this, RED._('common.errors.maxMegabytes', { value: String(config.maxMegabytes) }));
    const limits = { maxSeconds, maxMegabytes, folder: (config.folder ?? '').trim() };
    serve(RED, this, {
      async work(msg) {
        const payload: unknown = msg.payload;
        const audio = await audioFromPayload(payload, limits, false);
        if (!audio) throw new Error(RED._('vocal-split-decode.errors.payload', { got: describePayload(payload) }));
        return [{ ...msg, payload: audio }];
      },
      summary: ([out]) => audioSummary(RED, out?.payload as AudioData),
    });
  }
  RED.nodes.registerType('vocal-split-decode', VocalSplitDecodeNode);
};
