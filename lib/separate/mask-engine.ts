/**
 * The U-Net mask of a whole song, patch by patch: fixed-size patches of the first F bins, each
 * divided by its own max, overlapped and cross-faded, extended above F to the full band.
 *
 * It reads complex frames from a `FrameSource` and hands out each frame's final mask as soon as
 * every patch over it is done, so callers can keep memory bounded (the separator) or fill a whole
 * mask (the U-Net mask node). Both paths run this same code, so they give the same numbers.
 */
import { InvalidArgumentError, VocalSplitError } from '../errors';
import { yieldToEventLoop } from '../jobs/throttle';
import type { BackendHandle } from '../model/backends/types';
import { extendMaskFrame } from './mask-extension';
import { normalisePatch, planPatches, patchWeights } from './patches';
import type { SeparateOptions } from './types';

/** Where complex frames come from: computed from audio on demand, or read from a spectrogram. */
export interface FrameSource {
  channels: number;
  frames: number;
  /** fftSize / 2 + 1 */
  bins: number;
  /** Writes frames [first, first + count) of a channel, frame-major, from index 0 of re / im. */
  read(channel: number, first: number, count: number, re: Float32Array, im: Float32Array): void;
}

/**
 * Called with consecutive runs of final frames of one channel: `re`/`im` hold the complex frames
 * and `mask` the full-band mask, frame-major from index 0, `count` frames starting at `first`.
 * Runs of a channel arrive in frame order. The buffers are reused once the callback returns.
 */
export type FinalFramesCallback = (channel: number, first: number, count: number, mask: Float32Array, re: Float32Array, im: Float32Array) => void;

export class SeparationAbortedError extends VocalSplitError {
  constructor() {
    super('ABORTED', 'separation was aborted');
  }
}

export async function runMaskEngine(source: FrameSource, backend: BackendHandle, onFinal: FinalFramesCallback, options: SeparateOptions = {}): Promise<void> {
  const { bins: F, frames: T, channelsIn } = backend.config;
  if (channelsIn !== 1) throw new InvalidArgumentError('UNSUPPORTED_MODEL', `the separator runs one audio channel at a time; this model takes ${channelsIn}`);
  const bins = source.bins;
  if (F > bins) throw new InvalidArgumentError('UNSUPPORTED_MODEL', `the model wants ${F} bins; the spectrogram has ${bins}`);
  const overlap = options.overlap ?? T / 4;
  const batchSize = options.batchSize ?? backend.batchSize;
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 256) {
    throw new InvalidArgumentError('BAD_BATCH', `batch size must be an integer in [1, 256], got ${batchSize}`);
  }
  const totalFrames = source.frames;
  const plan = planPatches(totalFrames, T, overlap);
  const weights = patchWeights(T, overlap);

  // Per channel, the weighted mask of the frames shared with the next patch.
  const carried = Array.from({ length: source.channels }, () => ({ mask: new Float32Array(overlap * F), weight: new Float32Array(overlap) }));
  const jobs: Array<{ channel: number; patch: number }> = [];
  for (let patch = 0; patch < plan.starts.length; patch++) {
    for (let channel = 0; channel < source.channels; channel++) jobs.push({ channel, patch });
  }

  const batches: Array<Array<{ channel: number; patch: number }>> = [];
  for (let first = 0; first < jobs.length; first += batchSize) batches.push(jobs.slice(first, first + batchSize));
  const perBatch = Math.min(batchSize, jobs.length);
  // `depth` batches are queued at a time: the engine computes parallelRuns of them at once and has
  // one more waiting, while this thread computes the frames of the next and turns finished masks
  // back into audio. Each queued batch has its own set of buffers.
  const depth = Math.min(batches.length, Math.max(2, (backend.parallelRuns ?? 1) + 1));
  const sets = Array.from({ length: depth }, () => ({
    input: new Float32Array(perBatch * F * T),
    frames: Array.from({ length: perBatch }, () => ({ re: new Float32Array(T * bins), im: new Float32Array(T * bins) })),
  }));
  const modelFrame = new Float32Array(F);
  const finalMask = new Float32Array(T * bins);

  let finished = 0;
  /**
   * Frames of (channel, patch − 1) still untouched when batch k is prepared: that job sits earlier
   * in batch k, or in a queued batch whose masks are not applied yet.
   */
  const previousFrames = (k: number, channel: number, patch: number): { re: Float32Array; im: Float32Array } | undefined => {
    if (patch === 0) return undefined;
    const job = (patch - 1) * source.channels + channel;
    const batch = Math.floor(job / batchSize);
    return batch >= finished && batch <= k ? sets[batch % depth].frames[job % batchSize] : undefined;
  };

  const prepare = (k: number): Promise<Float32Array> => {
    const set = sets[k % depth];
    batches[k].forEach(({ channel, patch }, b) => {
      const start = plan.starts[patch];
      const count = Math.min(T, totalFrames - start);
      const { re, im } = set.frames[b];
      // Consecutive patches share `overlap` frames: copied from the previous patch, not transformed again.
      const previous = previousFrames(k, channel, patch);
      const shared = previous ? Math.min(plan.starts[patch - 1] + T - start, count) : 0;
      if (previous && shared > 0) {
        const from = (start - plan.starts[patch - 1]) * bins;
        re.set(previous.re.subarray(from, from + shared * bins));
        im.set(previous.im.subarray(from, from + shared * bins));
      }
      source.read(channel, start + shared, count - shared, re.subarray(shared * bins), im.subarray(shared * bins));
      // The song's last patch is shorter: the model sees silence after the end, not a stale patch.
      re.fill(0, count * bins);
      im.fill(0, count * bins);
      fillModelInput(re, im, bins, F, T, set.input.subarray(b * F * T, (b + 1) * F * T));
    });
    const masks = backend.predictMask(set.input.subarray(0, batches[k].length * F * T), batches[k].length);
    // A batch queued ahead may fail before it is awaited: observed here, so that is not an
    // unhandled rejection (fatal by default in Node); the await below still gets the error.
    masks.catch(() => undefined);
    return masks;
  };

  const finish = (k: number, masks: Float32Array): void => {
    batches[k].forEach(({ channel, patch }, b) => {
      const carry = carried[channel];
      const mask = masks.subarray(b * F * T, (b + 1) * F * T);
      const start = plan.starts[patch];
      const isLast = patch === plan.starts.length - 1;
      const count = Math.min(T, totalFrames - start);
      // Frames [0, overlap) blend with what the previous patch carried; the last `overlap` frames are
      // carried to the next patch unless this is the last one; the rest are final now.
      const finalEnd = isLast ? count : T - overlap;
      for (let t = 0; t < finalEnd; t++) {
        for (let f = 0; f < F; f++) modelFrame[f] = mask[f * T + t];
        if (t < overlap && patch > 0) {
          const w = weights[t];
          const norm = 1 / (carry.weight[t] + w);
          for (let f = 0; f < F; f++) modelFrame[f] = (carry.mask[t * F + f] + w * modelFrame[f]) * norm;
        }
        extendMaskFrame(modelFrame, F, finalMask.subarray(t * bins, (t + 1) * bins));
      }
      if (!isLast) {
        for (let j = 0; j < overlap; j++) {
          const t = T - overlap + j;
          const w = weights[t];
          carry.weight[j] = w;
          for (let f = 0; f < F; f++) carry.mask[j * F + f] = w * mask[f * T + t];
        }
      }
      const { re, im } = sets[k % depth].frames[b];
      onFinal(channel, start, finalEnd, finalMask, re, im);
    });
  };

  // Any error below (backend, abort, a throwing onFinal or onProgress) ends the run with later
  // batches possibly in flight: prepare() observes them, so they settle without an unhandled rejection.
  const queued: Array<Promise<Float32Array>> = [];
  for (let k = 0; k < batches.length; k++) {
    // Aborted: no new batch is queued.
    if (options.signal?.aborted) throw new SeparationAbortedError();
    // Queue batches up to `depth` ahead before waiting, so the backend always has work while this
    // thread turns finished masks back into audio.
    while (finished + queued.length < Math.min(batches.length, k + depth)) queued.push(prepare(finished + queued.length));
    const masks = await (queued.shift() as Promise<Float32Array>);
    if (options.signal?.aborted) throw new SeparationAbortedError();
    finish(k, masks);
    finished = k + 1;
    options.onProgress?.(Math.min(1, (k + 1) / batches.length));
    // Let timers and I/O run between batches (Node-RED keeps serving while a song is separated).
    await yieldToEventLoop();
  }
}

/** |X| of the first F bins, transposed to the model's [F, T] layout and divided by the patch's max. */
function fillModelInput(re: Float32Array, im: Float32Array, bins: number, F: number, T: number, out: Float32Array): void {
  let max = 0;
  for (let t = 0; t < T; t++) {
    for (let f = 0; f < F; f++) {
      const i = t * bins + f;
      const m = Math.sqrt(re[i] * re[i] + im[i] * im[i]); // Math.hypot is several times slower
      out[f * T + t] = m;
      if (m > max) max = m;
    }
  }
  normalisePatch(out.subarray(0, F * T), max);
}
