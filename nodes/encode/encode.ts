/**
 * vocal-split-encode: audio in msg.payload → WAV bytes (Buffer) in msg.payload: 16/24-bit PCM or
 * 32-bit float, optionally resampled first (lib/audio).
 */
import type { Node, NodeAPI, NodeDef } from 'node-red';
import { sharedAudioPool } from '../../lib/workers';
import { describePayload, isAudioData } from '../../lib/payloads';
import { serve, serveRejected } from '../shared/serve';
import { bitDepthSetting, rateSetting } from '../shared/settings';
import { COMMON } from '../shared/common-strings';

interface EncodeNodeDef extends NodeDef {
  bitDepth?: string | number;
  rate?: string | number;
}

export = function register(RED: NodeAPI): void {
  function VocalSplitEncodeNode(this: Node, config: EncodeNodeDef): void {
    RED.nodes.createNode(this, config);
    const bitDepth = bitDepthSetting(config.bitDepth);
    const rate = rateSetting(config.rate);
    if (!bitDepth) return serveRejected(this, RED._(`${COMMON}.errors.bitDepth`, { value: String(config.bitDepth) }));
    if (Number.isNaN(rate)) return serveRejected(this, RED._(`${COMMON}.errors.rate`, { value: String(config.rate) }));
    serve(RED, this, {
      async work(msg, { signal }) {
        const audio: unknown = msg.payload;
        if (!isAudioData(audio)) throw new Error(RED._('vocal-split-encode.errors.payload', { got: describePayload(audio) }));
        return [{ ...msg, payload: await sharedAudioPool().encode(audio, { kind: 'wav', bitDepth, sampleRate: rate }, { signal }) }];
      },
      summary: ([out]) => RED._('vocal-split-encode.status.encoded', { kb: Math.ceil((out?.payload as Buffer).length / 1024) }),
    });
  }
  RED.nodes.registerType('vocal-split-encode', VocalSplitEncodeNode);
};
