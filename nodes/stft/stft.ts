/**
 * vocal-split-stft: audio in msg.payload → its complex spectrogram (lib/dsp), optionally after
 * resampling to the 44.1 kHz the U-Net needs. msg.originalSampleRate keeps the input's rate, so the
 * istft node can go back to it.
 */
import type { Node, NodeAPI, NodeDef } from 'node-red';
import type { Spectrogram } from '../../lib/dsp/types';
import { describePayload, isAudioData } from '../../lib/payloads';
import { DEFAULT_FRAMING } from '../../lib/model/signal-framing';
import { sharedAudioPool } from '../../lib/workers';
import { serve, serveRejected } from '../shared/serve';
import { isIntegerIn, isPowerOfTwo, numberSetting } from '../shared/settings';
import { spectrogramSummary } from '../shared/summary';
import { modeSetting, streamQueueLimit, streamSettings, type StreamNodeDef } from '../shared/stream';
import { stftStreamStage } from '../shared/stream-chain';
import { COMMON } from '../shared/common-strings';

interface StftNodeDef extends NodeDef, StreamNodeDef {
  fftSize?: string | number;
  hop?: string | number;
  resample?: boolean | string;
}

export = function register(RED: NodeAPI): void {
  function VocalSplitStftNode(this: Node, config: StftNodeDef): void {
    RED.nodes.createNode(this, config);
    const fftSize = numberSetting(config.fftSize, 4096);
    const hop = numberSetting(config.hop, 1024);
    if (!(isPowerOfTwo(fftSize) && isIntegerIn(fftSize, 16, 65536))) {
      serveRejected(this, RED._('vocal-split-stft.errors.fftSize', { value: String(config.fftSize) }));
      return;
    }
    if (!(isIntegerIn(hop, 1, fftSize / 2) && fftSize % hop === 0)) {
      serveRejected(this, RED._('vocal-split-stft.errors.hop', { value: String(config.hop), fftSize }));
      return;
    }
    const toModelRate = config.resample === undefined || config.resample === true || config.resample === 'true';
    const mode = modeSetting(config.mode);
    if (!mode) return serveRejected(this, RED._(`${COMMON}.stream.errors.mode`, { value: String(config.mode) }));
    if (mode === 'stream') {
      const settings = streamSettings(RED, config);
      if ('error' in settings) return serveRejected(this, RED._(settings.error, { value: String(settings.value) }));
      const stage = stftStreamStage(RED, this, settings, { fftSize, hop }, toModelRate);
      return serve(RED, this, { queueLimit: streamQueueLimit(settings), work: (msg) => stage.work(msg), onClose: () => stage.close() });
    }
    serve(RED, this, {
      async work(msg, { signal, progress }) {
        const audio: unknown = msg.payload;
        if (!isAudioData(audio)) throw new Error(RED._('vocal-split-stft.errors.payload', { got: describePayload(audio) }));
        // Resampling and the STFT run in the worker pool; the message keeps its audio.
        const spec = await sharedAudioPool().stft(audio, { fftSize, hop }, {
          signal, onProgress: progress, sampleRate: toModelRate ? DEFAULT_FRAMING.sampleRate : undefined,
        });
        return [{ ...msg, payload: spec, originalSampleRate: audio.sampleRate }];
      },
      summary: ([out]) => spectrogramSummary(RED, out?.payload as Spectrogram),
    });
  }
  RED.nodes.registerType('vocal-split-stft', VocalSplitStftNode);
};
