/**
 * vocal-split-unet-mask: spectrogram (made with the model's framing, 4096/1024 at 44.1 kHz for the shipped
 * models) in msg.payload → the vocals' soft mask
 * in msg.payload, with the spectrogram moved to msg.spectrogram for the apply-mask node.
 * The work is lib/separate's computeMask, run in the shared worker pool, on a lib/model backend shared
 * by every node of the process.
 */
import type { Node, NodeAPI, NodeDef } from 'node-red';
import type { Spectrogram } from '../../lib/dsp/types';
import { describePayload, isSpectrogram } from '../../lib/payloads';
import type { ModelFraming } from '../../lib/model/signal-framing';
import { sharedAudioPool } from '../../lib/workers';
import { serveModel } from '../shared/model';
import { serveRejected } from '../shared/serve';
import { backendSetting, concurrencySetting } from '../shared/settings';
import { modeSetting, streamQueueLimit, streamSettings, type StreamNodeDef } from '../shared/stream';
import { maskStreamStage } from '../shared/stream-chain';
import { STREAM_CONCURRENCY } from '../shared/separate-stream-mode';
import { COMMON } from '../shared/common-strings';

interface UNetMaskNodeDef extends NodeDef, StreamNodeDef {
  model?: string;
  backend?: string;
  concurrency?: string | number;
}

export = function register(RED: NodeAPI): void {
  function VocalSplitUNetMaskNode(this: Node, config: UNetMaskNodeDef): void {
    RED.nodes.createNode(this, config);
    const backendChoice = backendSetting(config.backend);
    const concurrency = concurrencySetting(config.concurrency);
    if (!backendChoice) return serveRejected(this, RED._(`${COMMON}.errors.backend`, { value: String(config.backend) }));
    if (!concurrency) return serveRejected(this, RED._(`${COMMON}.errors.concurrency`, { value: String(config.concurrency) }));
    const mode = modeSetting(config.mode);
    if (!mode) return serveRejected(this, RED._(`${COMMON}.stream.errors.mode`, { value: String(config.mode) }));
    if (mode === 'stream') {
      const settings = streamSettings(RED, config);
      if ('error' in settings) return serveRejected(this, RED._(settings.error, { value: String(settings.value) }));
      const stage = maskStreamStage(RED, this, settings, (spec, framing) => checkFraming(RED, spec, framing));
      return serveModel(RED, this, {
        model: config.model ?? '',
        backend: backendChoice,
        concurrency: STREAM_CONCURRENCY,
        queueLimit: streamQueueLimit(settings),
        work: (msg, { backend }) => stage.work(msg, backend),
        onClose: () => stage.close(),
      });
    }
    serveModel(RED, this, {
      model: config.model ?? '',
      backend: backendChoice,
      concurrency,
      async work(msg, { backend, separateOptions }) {
        const spec: unknown = msg.payload;
        if (!isSpectrogram(spec)) throw new Error(RED._('vocal-split-unet-mask.errors.payload', { got: describePayload(spec) }));
        checkFraming(RED, spec, backend.framing);
        // Patches and the cross-fade in the worker pool, inference on the node's shared engine.
        const mask = await sharedAudioPool().computeMask(spec, backend, separateOptions);
        return [{ ...msg, payload: mask, spectrogram: spec }];
      },
    });
  }
  RED.nodes.registerType('vocal-split-unet-mask', VocalSplitUNetMaskNode);
};

/** The spectrogram must be framed as the model was trained (its model.json's `stft`). */
function checkFraming(RED: NodeAPI, spec: Spectrogram, framing: ModelFraming): void {
  if (spec.fftSize !== framing.fftSize || spec.hop !== framing.hop || spec.sampleRate !== framing.sampleRate) {
    throw new Error(RED._('vocal-split-unet-mask.errors.framing', {
      fftSize: spec.fftSize, hop: spec.hop, rate: spec.sampleRate,
      modelFftSize: framing.fftSize, modelHop: framing.hop, modelRate: framing.sampleRate,
    }));
  }
}
