/**
 * vocal-split-decode: audio bytes (Buffer) or a file path in msg.payload → audio
 * { sampleRate, channels: Float32Array[] } in msg.payload. The work is in lib/audio.
 */
import type { Node, NodeAPI, NodeDef } from 'node-red';
import type { AudioData } from '../../lib/audio/types';
import { describePayload } from '../../lib/payloads';
import { serve, serveRejected } from '../shared/serve';
import { folderReader, folderSetting, sourceOfPayload, type FolderNodeDef } from '../shared/input';
import { sharedAudioPool } from '../../lib/workers';
import { maxMegabytesSetting, maxSecondsSetting } from '../shared/settings';
import { audioSummary } from '../shared/summary';
import { COMMON } from '../shared/common-strings';

interface DecodeNodeDef extends NodeDef, FolderNodeDef {
  maxSeconds?: string | number;
  maxMegabytes?: string | number;
}

export = function register(RED: NodeAPI): void {
  function VocalSplitDecodeNode(this: Node, config: DecodeNodeDef): void {
    RED.nodes.createNode(this, config);
    const maxSeconds = maxSecondsSetting(config.maxSeconds);
    if (!maxSeconds) return serveRejected(this, RED._(`${COMMON}.errors.maxSeconds`, { value: String(config.maxSeconds) }));
    const maxMegabytes = maxMegabytesSetting(config.maxMegabytes);
    if (!maxMegabytes) return serveRejected(this, RED._(`${COMMON}.errors.maxMegabytes`, { value: String(config.maxMegabytes) }));
    const folder = folderSetting(RED, config);
    if ('error' in folder) return serveRejected(this, RED._(folder.error, { value: folder.value }));
    const folderOf = folderReader(RED, this, folder);
    const node = this;
    serve(RED, this, {
      async work(msg, { signal }) {
        const payload: unknown = msg.payload;
        const source = await sourceOfPayload(payload, { maxSeconds, maxMegabytes, folder: () => folderOf(msg) }, false);
        if (!source) throw new Error(RED._('vocal-split-decode.errors.payload', { got: describePayload(payload) }));
        // Decoded in the worker pool (a 3-minute MP3 is half a second of CPU); the samples are moved back.
        return [{ ...msg, payload: await sharedAudioPool().decode(source.input as Uint8Array | string, source.decode, { signal, onSkipped: (text) => node.warn(text) }) }];
      },
      summary: ([out]) => audioSummary(RED, out?.payload as AudioData),
    });
  }
  RED.nodes.registerType('vocal-split-decode', VocalSplitDecodeNode);
};
