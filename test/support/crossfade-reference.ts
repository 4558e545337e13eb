/**
 * A mask backend whose mask changes with the frame's place in the patch and with the patch itself,
 * and the blended masks it must give, computed here from the definitions alone (no code of
 * lib/separate or lib/stream): which patches or model runs cover a frame, with which sin² weights,
 * normalised by their sum, then extended above the model's bins with the mean of its top quarter.
 *
 * Overlapping patches disagree about a shared frame (its position differs in each), so a separator
 * that switched hard at borders, mixed up patches or weighted them wrongly gives other numbers.
 */
import type { ChannelSpectrogram } from '../../lib/dsp/types';
import type { BackendHandle } from '../../lib/model/backends/types';
import type { UNetConfig } from '../../lib/model/config';
import { DEFAULT_FRAMING, type ModelFraming } from '../../lib/model/signal-framing';

/** The mask of bin f at position t of a patch whose normalised input has mean `level`. */
export function varyingMask(f: number, t: number, level: number): number {
  return Math.fround(0.5 + 0.45 * Math.sin(0.9 * t + 0.37 * f + 40 * level));
}

/** Mean of one patch's normalised input, summed in layout order (as the backend sums it). */
function meanOf(patch: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < patch.length; i++) sum += patch[i];
  return sum / patch.length;
}

/** mask[f, t] = varyingMask(f, t, mean of that patch's input), per patch of the batch. */
export function varyingMaskBackend(config: UNetConfig, framing: ModelFraming = DEFAULT_FRAMING): BackendHandle & { patches: number } {
  const { bins: F, frames: T } = config;
  const backend = {
    name: 'cpu' as const,
    description: 'test mask varying over patch position and content',
    config,
    framing,
    batchSize: 4,
    patches: 0,
    async predictMask(input: Float32Array, batch: number): Promise<Float32Array> {
      if (input.length !== batch * F * T) throw new Error(`input has ${input.length} values, expected ${batch * F * T}`);
      const out = new Float32Array(input.length);
      for (let b = 0; b < batch; b++) {
        const level = meanOf(input.subarray(b * F * T, (b + 1) * F * T));
        for (let f = 0; f < F; f++) for (let t = 0; t < T; t++) out[(b * F + f) * T + t] = varyingMask(f, t, level);
      }
      backend.patches += batch;
      return out;
    },
    async dispose(): Promise<void> {},
  };
  return backend;
}

/** The model input of the patch over frames [start, start + T): |X| of bins < F, zero outside [0, frames), / (max + 1e-8). */
function patchInput(spec: ChannelSpectrogram, F: number, T: number, start: number): Float32Array {
  const input = new Float32Array(F * T);
  let max = 0;
  for (let t = 0; t < T; t++) {
    const frame = start + t;
    if (frame < 0 || frame >= spec.frames) continue;
    for (let f = 0; f < F; f++) {
      const i = frame * spec.bins + f;
      const m = Math.fround(Math.sqrt(spec.re[i] ** 2 + spec.im[i] ** 2));
      input[f * T + t] = m;
      if (m > max) max = m;
    }
  }
  const scale = 1 / (max + 1e-8);
  for (let i = 0; i < input.length; i++) input[i] *= scale;
  return input;
}

/** sin² rising over `n` frames: the weight of frame j of a fade-in (a fade-out is 1 − it). */
function rise(j: number, n: number): number {
  return Math.sin((Math.PI / 2) * ((j + 0.5) / n)) ** 2;
}

/** One model run: its input's first frame and, per frame it contributes to, the weight. */
interface Run { start: number; weight(frame: number): number }

/** Σ w·m / Σ w over the runs covering each frame, extended above F; frame-major, spec.bins per frame. */
function blend(spec: ChannelSpectrogram, config: UNetConfig, runs: Run[]): Float64Array {
  const { bins: F, frames: T } = config;
  const sum = new Float64Array(spec.frames * F);
  const weight = new Float64Array(spec.frames);
  for (const run of runs) {
    const level = meanOf(patchInput(spec, F, T, run.start));
    for (let t = 0; t < T; t++) {
      const frame = run.start + t;
      const w = frame >= 0 && frame < spec.frames ? run.weight(frame) : 0;
      if (w === 0) continue;
      weight[frame] += w;
      for (let f = 0; f < F; f++) sum[frame * F + f] += w * varyingMask(f, t, level);
    }
  }
  const out = new Float64Array(spec.frames * spec.bins);
  const top = F - Math.floor(F / 4);
  for (let frame = 0; frame < spec.frames; frame++) {
    if (!(weight[frame] > 0)) throw new Error(`reference: no run covers frame ${frame}`);
    let high = 0;
    for (let f = 0; f < F; f++) {
      const m = sum[frame * F + f] / weight[frame];
      out[frame * spec.bins + f] = m;
      if (f >= top) high += m;
    }
    out.fill(high / (F - top), frame * spec.bins + F, (frame + 1) * spec.bins);
  }
  return out;
}

/**
 * The whole-song separator's mask: patches of T frames every T − overlap frames from frame 0 until
 * one reaches the last frame, each weighted by sin² ramps over `overlap` frames at both ends.
 * With `hardSwitch`, each frame takes the mask of the last patch over it instead (what a separator
 * without the cross-fade gives), to show the test can tell them apart.
 */
export function patchedMaskReference(spec: ChannelSpectrogram, config: UNetConfig, overlap: number, hardSwitch = false): Float64Array {
  const T = config.frames;
  const starts = [0];
  while (starts[starts.length - 1] + T < spec.frames) starts.push(starts[starts.length - 1] + T - overlap);
  const runs = starts.map((start, p): Run => ({
    start,
    weight: (frame) => {
      const t = frame - start;
      if (hardSwitch) return p + 1 < starts.length && frame >= starts[p + 1] ? 0 : 1;
      if (t < overlap) return rise(t, overlap);
      if (t >= T - overlap) return rise(T - 1 - t, overlap);
      return 1;
    },
  }));
  return blend(spec, config, runs);
}

/**
 * The stream's mask: a run every `step` frames on the patch ending there (silence past the end),
 * each keeping frames [end − lookahead − step − fade, end − lookahead): fading in over the first
 * `fade`, out over the last `fade`; runs go on until every frame of the signal is kept.
 * With `hardSwitch`, runs keep [end − lookahead − step, end − lookahead) at weight 1 (no fade).
 */
export function streamedMaskReference(spec: ChannelSpectrogram, config: UNetConfig, latency: { lookahead: number; step: number; fade: number }, hardSwitch = false): Float64Array {
  const { lookahead, step, fade } = latency;
  const runs: Run[] = [];
  for (let end = step; end - lookahead - step - fade < spec.frames; end += step) {
    const first = end - lookahead - step - fade;
    runs.push({
      start: end - config.frames,
      weight: (frame) => {
        const j = frame - first;
        if (hardSwitch) return j >= fade && j < step + fade ? 1 : 0;
        if (j < 0 || j >= step + fade) return 0;
        if (j < fade) return rise(j, fade);
        if (j >= step) return 1 - rise(j - step, fade);
        return 1;
      },
    });
  }
  return blend(spec, config, runs);
}
