/**
 * vocal-split-apply-mask: mask in msg.payload + its spectrogram in msg.spectrogram (as the unet-mask
 * node sends them) → one stem's spectrogram in msg.payload (soft mask; lib/separate's applyMask),
 * msg.stem naming it. Vocals, accompaniment, or both on two outputs.
 */
import type { Node, NodeAPI, NodeDef, NodeMessage } from 'node-red';
import type { Spectrogram } from '../../lib/dsp/types';
import { describePayload, isMask, isSpectrogram } from '../../lib/payloads';
import { applyMaskAsync, type StemName } from '../../lib/separate';
import { serve, serveRejected } from '../shared/serve';
import { spectrogramSummary } from '../shared/summary';

interface ApplyMaskNodeDef extends NodeDef {
  stem?: string;
}

const STEM_SETTINGS = ['vocals', 'accompaniment', 'both'] as const;

export = function register(RED: NodeAPI): void {
  function VocalSplitApplyMaskNode(this: Node, config: ApplyMaskNodeDef): void {
    RED.nodes.createNode(this, config);
    const setting = STEM_SETTINGS.find((s) => s === (config.stem || 'vocals'));
    if (!setting) return serveRejected(this, RED._('vocal-split-apply-mask.errors.stem', { value: String(config.stem) }));
    const stems: StemName[] = setting === 'both' ? ['vocals', 'accompaniment'] : [setting];
    serve(RED, this, {
      async work(msg, { signal, progress }) {
        const { payload: mask, spectrogram: spec } = msg;
        if (!isMask(mask)) throw new Error(RED._('vocal-split-apply-mask.errors.mask', { got: describePayload(mask) }));
        if (!isSpectrogram(spec)) throw new Error(RED._('vocal-split-apply-mask.errors.spectrogram', { got: describePayload(spec) }));
        const { spectrogram: _consumed, ...rest } = msg;
        const outputs: NodeMessage[] = [];
        for (const stem of stems) {
          const done = outputs.length;
          const payload = await applyMaskAsync(spec, mask, stem, { signal, onProgress: (f) => progress((done + f) / stems.length) });
          outputs.push({ ...rest, payload, stem });
        }
        return outputs;
      },
      summary: (outputs) => spectrogramSummary(RED, outputs[0]?.payload as Spectrogram),
    });
  }
  RED.nodes.registerType('vocal-split-apply-mask', VocalSplitApplyMaskNode);
};
