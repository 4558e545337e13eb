/**
 * Node-RED adapter: bytes (Buffer) or a file path (string) in msg.payload → decoded audio
 * { sampleRate, channels: Float32Array[] } in msg.payload. All the work is in lib/audio.
 */
import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';
import { decodeAudio, decodeAudioFile } from '../../lib/audio/decode';

interface DecodeNodeDef extends NodeDef {
  maxSeconds: string;
}

const MAX_SECONDS_LIMIT = 24 * 3600;

export = function register(RED: NodeAPI): void {
  function VocalSplitDecodeNode(this: Node, config: DecodeNodeDef): void {
    RED.nodes.createNode(this, config);
    const maxSeconds = Number(config.maxSeconds || 1800);
    if (!(maxSeconds > 0 && maxSeconds <= MAX_SECONDS_LIMIT)) {
      this.status({ fill: 'red', shape: 'ring', text: 'bad max duration' });
      this.error(`max duration must be between 0 and ${MAX_SECONDS_LIMIT} s, got '${config.maxSeconds}'`);
      return;
    }
    this.status({});
    this.on('input', (msg: NodeMessageInFlow, send, done) => {
      const payload: unknown = msg.payload;
      let decoding: Promise<import('../../lib/audio/types').AudioData>;
      if (Buffer.isBuffer(payload) || payload instanceof Uint8Array) decoding = decodeAudio(payload, { maxSeconds });
      else if (typeof payload === 'string' && payload.length > 0) decoding = decodeAudioFile(payload, { maxSeconds });
      else {
        const reason = `msg.payload must be a Buffer of audio bytes or a file path, got ${describe(payload)}`;
        this.status({ fill: 'red', shape: 'ring', text: 'wrong payload type' });
        done(new Error(reason));
        return;
      }
      this.status({ fill: 'blue', shape: 'dot', text: 'decoding…' });
      decoding.then((audio) => {
        const seconds = audio.channels[0].length / audio.sampleRate;
        this.status({ fill: 'green', shape: 'dot', text: `${audio.sampleRate} Hz · ${audio.channels.length} ch · ${seconds.toFixed(1)} s` });
        send({ ...msg, payload: audio });
        done();
      }, (err: unknown) => {
        const message = err instanceof Error ? err.message : String(err);
        this.status({ fill: 'red', shape: 'ring', text: message.slice(0, 40) });
        done(err instanceof Error ? err : new Error(message));
      });
    });
  }
  RED.nodes.registerType('vocal-split-decode', VocalSplitDecodeNode);
};

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return 'an empty string';
  // Key names are cut short: an HTTP body parsed as a form turns the whole upload into one key.
  const keys = Object.keys(value as object).slice(0, 3).map((k) => (k.length > 20 ? `${k.slice(0, 20)}…` : k));
  return typeof value === 'object' ? `an object (${keys.join(', ') || 'empty'}); for HTTP uploads send Content-Type: application/octet-stream` : `a ${typeof value}`;
}
