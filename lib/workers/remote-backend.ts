/**
 * A BackendHandle inside a pool worker that asks the main thread's backend for every batch, so all
 * work of a song runs in the worker while one shared inference engine (its session loaded once per
 * process, its priorities across every node) computes the masks. Patches and masks move between
 * the threads as transferred buffers.
 */
import type { BackendHandle } from '../model/backends/types';
import type { PredictRequest, RemoteModel } from './audio-protocol';

export type AskMain = (request: PredictRequest, transfer: ArrayBuffer[]) => Promise<Float32Array>;

export class RemoteBackend implements BackendHandle {
  readonly name: BackendHandle['name'];
  readonly description: string;
  readonly config: BackendHandle['config'];
  readonly framing: BackendHandle['framing'];
  readonly batchSize: number;
  readonly parallelRuns: number;

  constructor(private readonly model: RemoteModel, private readonly ask: AskMain) {
    this.name = model.name;
    this.description = model.description;
    this.config = model.config;
    this.framing = model.framing;
    this.batchSize = model.batchSize;
    this.parallelRuns = model.parallelRuns;
  }

  predictMask(input: Float32Array, batch: number): Promise<Float32Array> {
    // The caller may reuse `input` once this settles; the copy is what moves.
    const copy = input.slice();
    return this.ask({ model: this.model.key, input: copy, batch }, [copy.buffer]);
  }

  async dispose(): Promise<void> {
    // The main thread's handle belongs to whoever submitted the task.
  }
}
