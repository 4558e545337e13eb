/**
 * A 44-byte PCM WAV header that announces `dataBytes` of samples: with the file made that long by
 * truncate (sparse, nothing written), a test gets a "huge" WAV for the price of its header.
 */
export function wavHeader(format: { channels: number; sampleRate: number; bitsPerSample: number; dataBytes: number }): Buffer {
  const { channels, sampleRate, bitsPerSample, dataBytes } = format;
  const blockAlign = channels * (bitsPerSample / 8);
  const h = Buffer.alloc(44);
  h.write('RIFF', 0, 'ascii');
  h.writeUInt32LE(36 + dataBytes, 4);
  h.write('WAVE', 8, 'ascii');
  h.write('fmt ', 12, 'ascii');
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20); // PCM
  h.writeUInt16LE(channels, 22);
  h.writeUInt32LE(sampleRate, 24);
  h.writeUInt32LE(sampleRate * blockAlign, 28);
  h.writeUInt16LE(blockAlign, 32);
  h.writeUInt16LE(bitsPerSample, 34);
  h.write('data', 36, 'ascii');
  h.writeUInt32LE(dataBytes, 40);
  return h;
}

/** The 8-bit, 8-channel, 192 kHz WAV of the hardening report (522 MB, 340 s), as a sparse file at `file`. */
export const BIG_MULTICHANNEL_WAV = { channels: 8, sampleRate: 192000, bitsPerSample: 8, dataBytes: 522_000_000 };
