/**
 * The audio tasks the pool's workers run (audio-worker.ts) and what they answer. Whole songs move
 * between threads as transferred buffers, never as copies, wherever the caller lets go of them.
 */
import type { DecodeOptions } from '../audio/decode';
import type { WavBitDepth } from '../audio/encode';
import type { AudioData } from '../audio/types';
import type { Spectrogram, StftParams } from '../dsp/types';
import type { BackendName } from '../model/backends/types';
import type { UNetConfig } from '../model/config';
import type { ModelFraming } from '../model/signal-framing';
import type { StreamLatency } from '../stream/latency';

/** Where a task's audio comes from: bytes (moved), a file the worker reads, or samples (moved). */
export type AudioSource =
  | { kind: 'bytes'; bytes: Uint8Array }
  | { kind: 'file'; path: string }
  | { kind: 'audio'; audio: AudioData };

/** What the worker needs to stand in for the main thread's backend (it asks it for every batch). */
export interface RemoteModel {
  /** The main thread's key for the backend (AudioPool's registry). */
  key: number;
  name: BackendName;
  description: string;
  config: UNetConfig;
  /** The model's sample rate and STFT (model.json's stft). */
  framing: ModelFraming;
  /** The backend's preferred patches per call. */
  batchSize: number;
  /** Calls the backend computes at the same time. */
  parallelRuns: number;
}

/** How stems leave the worker: WAV bytes or samples, optionally at another rate. */
export type StemOutput =
  | { kind: 'wav'; bitDepth: WavBitDepth; sampleRate?: number }
  | { kind: 'audio'; sampleRate?: number };

export interface StreamFormatSpec {
  sampleRate: number;
  channels: number;
}

export type AudioTask =
  | { type: 'decode'; source: AudioSource; limits: DecodeOptions }
  | { type: 'encode'; audio: AudioData; output: StemOutput }
  | { type: 'separate'; source: AudioSource; limits: DecodeOptions; model: RemoteModel; batchSize: number; output: StemOutput }
  /** The CLI: a file in, two WAV files out (a 44.1 kHz WAV in bounded memory, anything else decoded whole). */
  | { type: 'separate-files'; input: string; outputs: { vocals: string; accompaniment: string }; model: RemoteModel; batchSize: number; bitDepth: WavBitDepth }
  /** The chain nodes' steps on a whole song: spectrogram (resampled to `sampleRate` first), mask, audio (resampled to `sampleRate` after). */
  | { type: 'stft'; audio: AudioData; params: StftParams; sampleRate?: number }
  | { type: 'mask'; spec: Spectrogram; model: RemoteModel; batchSize: number }
  | { type: 'istft'; spec: Spectrogram; sampleRate?: number }
  | { type: 'stream-open'; stream: number; format: StreamFormatSpec; latency: StreamLatency; model: RemoteModel }
  | { type: 'stream-push'; stream: number; chunk: Float32Array[] }
  | { type: 'stream-end'; stream: number }
  | { type: 'stream-close'; stream: number };

export type StemPayload = { kind: 'wav'; bytes: Uint8Array } | { kind: 'audio'; audio: AudioData };

export interface SeparateResult {
  vocals: StemPayload;
  accompaniment: StemPayload;
}

export interface StreamChunkResult {
  first: number;
  vocals: Float32Array[];
  accompaniment: Float32Array[];
}

/** A batch of patches for the main thread's backend; the answer is the masks (a Float32Array). */
export interface PredictRequest {
  model: number;
  input: Float32Array;
  batch: number;
}

/** Events a task emits: its progress (0..1), or damage the decoder skipped (for people). */
export interface ProgressEvent {
  progress: number;
}

export interface SkippedEvent {
  skipped: string;
}
