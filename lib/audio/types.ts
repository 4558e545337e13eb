/** Decoded, uncompressed audio: one Float32Array per channel, all of the same length, samples in [-1, 1]. */
export interface AudioData {
  sampleRate: number;
  channels: Float32Array[];
}
