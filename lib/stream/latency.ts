/**
 * How far the streaming U-Net looks ahead, and what that costs. The model always sees its whole
 * patch (T frames); the settings place the frames whose mask is kept near the patch's end:
 *  - `lookahead`: frames of future every kept mask has seen at least (quality rises with it);
 *  - `step`: frames between two model runs (compute falls as it rises: 43 / step runs a second
 *    per channel at 44.1 kHz);
 *  - `fade`: frames cross-faded between consecutive runs (no seams where one run hands over).
 * Worst-case algorithmic latency, in the model's samples: N (half a window for the STFT, half for
 * the iSTFT) + (lookahead + step + fade) hops.
 */
import { InvalidArgumentError } from '../errors';

export interface StreamLatency {
  lookahead: number;
  step: number;
  fade: number;
}

export const LATENCY_PRESETS = {
  low: { lookahead: 8, step: 8, fade: 4 },
  balanced: { lookahead: 24, step: 16, fade: 8 },
  quality: { lookahead: 48, step: 32, fade: 16 },
} as const satisfies Record<string, StreamLatency>;

export type LatencyPreset = keyof typeof LATENCY_PRESETS;
export const DEFAULT_LATENCY: LatencyPreset = 'balanced';

export function isLatencyPreset(value: unknown): value is LatencyPreset {
  return typeof value === 'string' && Object.hasOwn(LATENCY_PRESETS, value);
}

/** Checks a setting against a model patch of `frames` frames. */
export function checkLatency(latency: StreamLatency, frames: number): void {
  const { lookahead, step, fade } = latency;
  const ok = [lookahead, step, fade].every((v) => Number.isInteger(v) && v >= 0) && step >= 1 && fade <= step
    && lookahead + step + fade <= frames;
  if (!ok) {
    throw new InvalidArgumentError('BAD_LATENCY',
      `stream latency needs integers step ≥ 1, 0 ≤ fade ≤ step, lookahead ≥ 0 and lookahead + step + fade ≤ ${frames}; got ${JSON.stringify(latency)}`);
  }
}

/** Worst-case delay from a sample going in to its separated sample coming out, in seconds (no resampling). */
export function latencySeconds(latency: StreamLatency, fftSize: number, hop: number, sampleRate: number): number {
  return (fftSize + (latency.lookahead + latency.step + latency.fade) * hop) / sampleRate;
}

/** Model runs per second of audio, per channel. */
export function runsPerSecond(latency: StreamLatency, hop: number, sampleRate: number): number {
  return sampleRate / hop / latency.step;
}
