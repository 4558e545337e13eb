/**
 * One queue in front of a BackendHandle for many streams: patches asked for while the backend is
 * busy are sent together as the next batch, so 8 streams cost fewer, larger inference calls
 * (and the onnx worker never idles while patches wait).
 */
import type { BackendHandle } from '../model/backends/types';

interface Request {
  input: Float32Array;
  resolve(mask: Float32Array): void;
  reject(err: unknown): void;
}

export class MaskBatcher {
  private readonly queue: Request[] = [];
  private running = false;
  readonly patchSize: number;

  constructor(readonly backend: BackendHandle, readonly maxBatch = 8) {
    const { bins, frames, channelsIn } = backend.config;
    this.patchSize = bins * frames * channelsIn;
  }

  /** The mask of one patch (the backend's NHWC layout, already normalised). */
  predict(input: Float32Array): Promise<Float32Array> {
    if (input.length !== this.patchSize) return Promise.reject(new Error(`MaskBatcher: a patch has ${this.patchSize} values, got ${input.length}`));
    return new Promise((resolve, reject) => {
      this.queue.push({ input, resolve, reject });
      if (!this.running) void this.pump();
    });
  }

  private async pump(): Promise<void> {
    this.running = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.maxBatch);
        const input = new Float32Array(batch.length * this.patchSize);
        batch.forEach((r, i) => input.set(r.input, i * this.patchSize));
        try {
          const masks = await this.backend.predictMask(input, batch.length);
          batch.forEach((r, i) => r.resolve(masks.slice(i * this.patchSize, (i + 1) * this.patchSize)));
        } catch (err) {
          batch.forEach((r) => r.reject(err));
        }
      }
    } finally {
      this.running = false;
    }
  }
}
