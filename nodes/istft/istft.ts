/**
 * vocal-split-istft: spectrogram in msg.payload → audio in msg.payload (lib/dsp), by default back at
 * the rate the stft node resampled from (msg.originalSampleRate).
 */
import type { Node, NodeAPI, NodeDef } from 'node-red';
import type { AudioData } from '../../lib/audio/types';
import { describePayload, isSpectrogram } from '../../lib/payloads';
import { sharedAudioPool } from '../../lib/workers';
import { serve, serveRejected } from '../shared/serve';
import { isIntegerIn } from '../shared/settings';
import { audioSummary } from '../shared/summary';
import { modeSetting, streamQueueLimit, streamSettings, type StreamNodeDef } from '../shared/stream';
import { istftStreamStage } from '../shared/stream-chain';
import { COMMON } from '../shared/common-strings';

interface IstftNodeDef extends NodeDef, StreamNodeDef {
  rate?: string;
}

export = function register(RED: NodeAPI): void {
  function VocalSplitIstftNode(this: Node, config: IstftNodeDef): void {
    RED.nodes.createNode(this, config);
    const rate = config.rate || 'original';
    if (rate !== 'original' && rate !== 'spectrogram') {
      return serveRejected(this, RED._('vocal-split-istft.errors.rate', { value: String(config.rate) }));
    }
    const mode = modeSetting(config.mode);
    if (!mode) return serveRejected(this, RED._(`${COMMON}.stream.errors.mode`, { value: String(config.mode) }));
    if (mode === 'stream') {
      const settings = streamSettings(RED, config);
      if ('error' in settings) return serveRejected(this, RED._(settings.error, { value: String(settings.value) }));
      const stage = istftStreamStage(RED, this, settings, rate === 'original');
      return serve(RED, this, { queueLimit: streamQueueLimit(settings), work: (msg) => stage.work(msg), onClose: () => stage.close() });
    }
    serve(RED, this, {
      async work(msg, { signal, progress }) {
        const spec: unknown = msg.payload;
        if (!isSpectrogram(spec)) throw new Error(RED._('vocal-split-istft.errors.payload', { got: describePayload(spec) }));
        const original = msg.originalSampleRate;
        const back = rate === 'original' && typeof original === 'number' && isIntegerIn(original, 1, 192000) ? original : undefined;
        // The iSTFT and resampling run in the worker pool; the message keeps its spectrogram.
        return [{ ...msg, payload: await sharedAudioPool().istft(spec, { signal, onProgress: progress, sampleRate: back }) }];
      },
      summary: ([out]) => audioSummary(RED, out?.payload as AudioData),
    });
  }
  RED.nodes.registerType('vocal-split-istft', VocalSplitIstftNode);
};
