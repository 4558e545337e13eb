/**
 * The vocal-split node in stream mode: each message is the next chunk of the stream its key names;
 * the stems of the samples that became final go out at once (nothing while the first second or so
 * is still being looked ahead at), the rest with the message that has msg.complete.
 */
import type { NodeAPI, NodeMessageInFlow, Node } from 'node-red';
import { concatChannels } from '../../lib/audio/sample-arrays';
import type { BackendHandle } from '../../lib/model/backends/types';
import { LATENCY_PRESETS } from '../../lib/stream/latency';
import { StreamRegistry } from '../../lib/stream/stream-registry';
import type { StreamOutput } from '../../lib/stream/stream-separator';
import { sharedAudioPool, type PooledStream } from '../../lib/workers';
import type { Outputs } from './serve';
import { checkSameFormat, chunkOf, chunkPayload, isLastChunk, nodeStreamRegistry, streamInfo, streamKeyReader, type StreamSettings } from './stream';

/** Streams run side by side (their patches batch together); each stream's chunks stay in order. */
export const STREAM_CONCURRENCY = 64;

export class SeparateStreamMode {
  /** Each stream's state lives in the worker pool's live lane (reserved for streams, so file jobs never delay it). */
  private readonly registry: StreamRegistry<PooledStream>;
  private readonly keyOf: (msg: NodeMessageInFlow) => Promise<string>;

  constructor(private readonly RED: NodeAPI, node: Node, private readonly settings: StreamSettings) {
    this.registry = nodeStreamRegistry(RED, node, settings);
    this.keyOf = streamKeyReader(RED, node, settings);
  }

  get streams(): number {
    return this.registry.size;
  }

  async work(msg: NodeMessageInFlow, backend: BackendHandle, signal: AbortSignal): Promise<Outputs> {
    const { RED, settings } = this;
    const key = await this.keyOf(msg);
    const last = isLastChunk(msg);
    const chunk = this.registry.parseFor(key, () => chunkOf(RED, msg, settings));
    const format = chunk.channels.length > 0 ? chunk.format : { sampleRate: settings.sampleRate, channels: settings.channels };
    const latency = LATENCY_PRESETS[settings.latency];
    const out = await this.registry.run(key, () => sharedAudioPool().openStream(format, latency, backend), async (stream) => {
      checkSameFormat(RED, stream.format, chunk);
      const parts: StreamOutput[] = [];
      if (chunk.channels.length > 0) parts.push(await stream.push(chunk.channels, signal));
      if (last) parts.push(await stream.end(signal));
      return { output: joinOutputs(parts, stream.format.channels), stream };
    }, { last });
    const { output, stream } = out;
    if (output.vocals[0].length === 0 && !last) return [null, null];
    const info = streamInfo(key, output.first, stream.format, stream.latencySeconds, last);
    return (['vocals', 'accompaniment'] as const).map((stem) => ({
      ...msg,
      ...info,
      payload: chunkPayload(output[stem], stream.format.sampleRate, chunk.encoding),
      stem,
    }));
  }

  close(): Promise<void> {
    return this.registry.closeAll();
  }
}

function joinOutputs(parts: StreamOutput[], channels: number): StreamOutput {
  if (parts.length === 1) return parts[0];
  const first = parts[0]?.first ?? 0;
  return { first, vocals: concatChannels(parts.map((p) => p.vocals), channels), accompaniment: concatChannels(parts.map((p) => p.accompaniment), channels) };
}
