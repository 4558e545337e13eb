/**
 * vocal-split-unet-mask: spectrogram (4096/1024 at 44.1 kHz) in msg.payload → the vocals' soft mask
 * in msg.payload, with the spectrogram moved to msg.spectrogram for the apply-mask node.
 * The work is lib/separate's computeMask on a lib/model backend shared by every node of the process.
 */
import type { Node, NodeAPI, NodeDef } from 'node-red';
import type { Spectrogram } from '../../lib/dsp/types';
import { describePayload, isSpectrogram } from '../../lib/payloads';
import { MODEL_SAMPLE_RATE, MODEL_STFT, computeMask } from '../../lib/separate';
import { NODE_SEPARATE_OPTIONS, openModel } from '../shared/model';
import { serve, serveRejected } from '../shared/serve';
import { backendSetting, concurrencySetting } from '../shared/settings';

interface UNetMaskNodeDef extends NodeDef {
  model?: string;
  backend?: string;
  concurrency?: string | number;
}

export = function register(RED: NodeAPI): void {
  function VocalSplitUNetMaskNode(this: Node, config: UNetMaskNodeDef): void {
    RED.nodes.createNode(this, config);
    const backendChoice = backendSetting(config.backend);
    const concurrency = concurrencySetting(config.concurrency);
    if (!backendChoice) return serveRejected(this, RED._('common.errors.backend', { value: String(config.backend) }));
    if (!concurrency) return serveRejected(this, RED._('common.errors.concurrency', { value: String(config.concurrency) }));
    const model = openModel(config.model ?? '', backendChoice);
    let backendName = '';
    serve(RED, this, {
      concurrency,
      ready: model.backend.then((b) => { backendName = b.name; }),
      idleStatus: () => ({ fill: 'green', shape: 'ring', text: backendName }),
      async work(msg, { signal, progress }) {
        const spec: unknown = msg.payload;
        if (!isSpectrogram(spec)) throw new Error(RED._('vocal-split-unet-mask.errors.payload', { got: describePayload(spec) }));
        checkFraming(RED, spec);
        const mask = await computeMask(spec, await model.backend, { ...NODE_SEPARATE_OPTIONS, signal, onProgress: progress });
        return [{ ...msg, payload: mask, spectrogram: spec }];
      },
      onClose: () => model.dispose(),
    });
  }
  RED.nodes.registerType('vocal-split-unet-mask', VocalSplitUNetMaskNode);
};

function checkFraming(RED: NodeAPI, spec: Spectrogram): void {
  if (spec.fftSize !== MODEL_STFT.fftSize || spec.hop !== MODEL_STFT.hop || spec.sampleRate !== MODEL_SAMPLE_RATE) {
    throw new Error(RED._('vocal-split-unet-mask.errors.framing', {
      fftSize: spec.fftSize, hop: spec.hop, rate: spec.sampleRate,
      modelFftSize: MODEL_STFT.fftSize, modelHop: MODEL_STFT.hop, modelRate: MODEL_SAMPLE_RATE,
    }));
  }
}
