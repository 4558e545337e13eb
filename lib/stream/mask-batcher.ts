/**
 * One queue in front of a BackendHandle for many streams: patches asked for while the backend is
 * busy are sent together as the next batch, so 8 streams cost fewer, larger inference calls
 * (and the onnx worker never idles while patches wait).
 */
import { PatchCoalescer } from '../model/backends/coalesce';
import type { BackendHandle } from '../model/backends/types';

/** What a stream needs: the model's shape and framing, and the mask of one patch. */
export interface PatchPredictor {
  readonly backend: Pick<BackendHandle, 'config' | 'framing'>;
  predict(input: Float32Array, signal?: AbortSignal): Promise<Float32Array>;
}

export class MaskBatcher implements PatchPredictor {
  private readonly coalescer: PatchCoalescer;
  readonly patchSize: number;
  readonly maxBatch: number;

  /** `maxBatch` defaults to the backend's batch size, and at least 8 (one patch per channel of 4 stereo streams). */
  constructor(readonly backend: BackendHandle, maxBatch?: number) {
    const { bins, frames, channelsIn } = backend.config;
    this.patchSize = bins * frames * channelsIn;
    this.maxBatch = maxBatch ?? Math.max(8, backend.batchSize);
    this.coalescer = new PatchCoalescer((input, batch) => backend.predictMask(input, batch, { priority: 'live' }), this.patchSize, this.maxBatch);
  }

  /**
   * The mask of one patch (the backend's NHWC layout, already normalised). A patch whose signal
   * aborts before its batch is sent is dropped (rejected), so a closed stream costs no more inference.
   */
  predict(input: Float32Array, signal?: AbortSignal): Promise<Float32Array> {
    if (input.length !== this.patchSize) return Promise.reject(new Error(`MaskBatcher: a patch has ${this.patchSize} values, got ${input.length}`));
    return this.coalescer.submit(input, 1, signal);
  }
}
