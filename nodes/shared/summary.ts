/** The short green status texts after a job. */
import type { NodeAPI } from 'node-red';
import type { AudioData } from '../../lib/audio/types';
import type { Spectrogram } from '../../lib/dsp/types';
import { COMMON } from './common-strings';

export function audioSummary(RED: NodeAPI, audio: AudioData): string {
  const seconds = audio.channels[0].length / audio.sampleRate;
  return RED._(`${COMMON}.status.audio`, { rate: audio.sampleRate, channels: audio.channels.length, seconds: seconds.toFixed(1) });
}

export function spectrogramSummary(RED: NodeAPI, spec: Spectrogram): string {
  return RED._(`${COMMON}.status.spectrogram`, { frames: spec.frames, bins: spec.bins, channels: spec.re.length });
}
