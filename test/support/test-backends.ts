/**
 * Mask backends with a known, closed-form mask, to test the separator's patching, cross-fade and
 * mask extension exactly (the U-Net backends themselves are tested in model_backends_spec).
 */
import type { UNetConfig } from '../../lib/model/config';
import { probeBackends } from '../../lib/model/backends';
import { AUTO_ORDER, type BackendHandle, type BackendName } from '../../lib/model/backends/types';
import { DEFAULT_FRAMING, type ModelFraming } from '../../lib/model/signal-framing';

/** mask[f, t] = maskOfBin(f) for every patch: a fixed filter. */
export function fixedMaskBackend(config: UNetConfig, maskOfBin: (bin: number) => number, framing: ModelFraming = DEFAULT_FRAMING): BackendHandle & { calls: number[] } {
  const calls: number[] = [];
  return {
    name: 'cpu',
    description: 'fixed test mask',
    config,
    batchSize: 4,
    framing,
    calls,
    async predictMask(input: Float32Array, batch: number): Promise<Float32Array> {
      calls.push(batch);
      const { bins: F, frames: T } = config;
      if (input.length !== batch * F * T) throw new Error(`input has ${input.length} values, expected ${batch * F * T}`);
      const out = new Float32Array(input.length);
      for (let b = 0; b < batch; b++) {
        for (let f = 0; f < F; f++) out.fill(maskOfBin(f), (b * F + f) * T, (b * F + f + 1) * T);
      }
      return out;
    },
    async dispose(): Promise<void> {},
  };
}

/** The engine `backend: 'auto'` must pick on this machine: the first of AUTO_ORDER that can run (onnxruntime-node is optional). */
export async function expectedAutoBackend(): Promise<BackendName> {
  const probes = await probeBackends();
  const pick = AUTO_ORDER.find((name) => probes.some((p) => p.name === name && p.available));
  if (!pick) throw new Error(`no backend can run here: ${JSON.stringify(probes)}`);
  return pick;
}
