/**
 * vocal-split-decode: audio bytes (Buffer) or a file path in msg.payload → audio
 * { sampleRate, channels: Float32Array[] } in msg.payload. The work is in lib/audio.
 */
import type { Node, NodeAPI, NodeDef } from 'node-red';
import { decodeAudio, decodeAudioFile } from '../../lib/audio/decode';
import type { AudioData } from '../../lib/audio/types';
import { describePayload, isBytes } from '../../lib/payloads';
import { serve, serveRejected } from '../shared/serve';
import { maxSecondsSetting } from '../shared/settings';
import { audioSummary } from '../shared/summary';

interface DecodeNodeDef extends NodeDef {
  maxSeconds?: string | number;
}

export = function register(RED: NodeAPI): void {
  function VocalSplitDecodeNode(this: Node, config: DecodeNodeDef): void {
    RED.nodes.createNode(this, config);
    const maxSeconds = maxSecondsSetting(config.maxSeconds);
    if (!maxSeconds) return serveRejected(this, RED._('common.errors.maxSeconds', { value: String(config.maxSeconds) }));
    serve(RED, this, {
      async work(msg) {
        const payload: unknown = msg.payload;
        let audio: AudioData;
        if (isBytes(payload)) audio = await decodeAudio(payload, { maxSeconds });
        else if (typeof payload === 'string' && payload.length > 0) audio = await decodeAudioFile(payload, { maxSeconds });
        else throw new Error(RED._('vocal-split-decode.errors.payload', { got: describePayload(payload) }));
        return [{ ...msg, payload: audio }];
      },
      summary: ([out]) => audioSummary(RED, out?.payload as AudioData),
    });
  }
  RED.nodes.registerType('vocal-split-decode', VocalSplitDecodeNode);
};
