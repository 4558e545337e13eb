/**
 * Raw PCM chunks as live sources send them (an MQTT topic, a TCP socket, a sound card node):
 * interleaved little-endian 16-bit integers or 32-bit floats, no header.
 */
import { InvalidArgumentError } from '../errors';

export type PcmEncoding = 's16le' | 'f32le';
export const PCM_ENCODINGS: readonly PcmEncoding[] = ['s16le', 'f32le'];

export function isPcmEncoding(value: unknown): value is PcmEncoding {
  return typeof value === 'string' && (PCM_ENCODINGS as readonly string[]).includes(value);
}

function bytesPerSample(encoding: PcmEncoding): number {
  return encoding === 's16le' ? 2 : 4;
}

/** One Float32Array per channel; throws on a byte count that is not a whole number of frames, or on NaN / ∞. */
export function decodePcm(bytes: Uint8Array, encoding: PcmEncoding, channels: number): Float32Array[] {
  const frameBytes = bytesPerSample(encoding) * channels;
  if (bytes.length % frameBytes !== 0) {
    throw new InvalidArgumentError('BAD_PCM',
      `a ${encoding} chunk of ${channels} channel(s) is a multiple of ${frameBytes} bytes; got ${bytes.length}`);
  }
  const frames = bytes.length / frameBytes;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = Array.from({ length: channels }, () => new Float32Array(frames));
  if (encoding === 's16le') {
    for (let i = 0, p = 0; i < frames; i++) {
      for (let c = 0; c < channels; c++, p += 2) out[c][i] = view.getInt16(p, true) / 32768;
    }
  } else {
    for (let i = 0, p = 0; i < frames; i++) {
      for (let c = 0; c < channels; c++, p += 4) {
        const v = view.getFloat32(p, true);
        if (!Number.isFinite(v)) throw new InvalidArgumentError('BAD_PCM', `sample ${i} of channel ${c} is ${v}`);
        out[c][i] = v;
      }
    }
  }
  return out;
}

/** Interleaved PCM bytes; 16-bit output is rounded and clipped to the integer range. */
export function encodePcm(channels: Float32Array[], encoding: PcmEncoding): Buffer {
  const frames = channels[0]?.length ?? 0;
  const n = channels.length;
  const out = Buffer.alloc(frames * n * bytesPerSample(encoding));
  if (encoding === 's16le') {
    for (let i = 0, p = 0; i < frames; i++) {
      for (let c = 0; c < n; c++, p += 2) out.writeInt16LE(Math.max(-32768, Math.min(32767, Math.round(channels[c][i] * 32768))), p);
    }
  } else {
    for (let i = 0, p = 0; i < frames; i++) {
      for (let c = 0; c < n; c++, p += 4) out.writeFloatLE(channels[c][i], p);
    }
  }
  return out;
}
