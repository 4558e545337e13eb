/** Audio I/O: decode (WAV, MP3, FLAC, Ogg Vorbis, Opus, M4A, AIFF), WAV encode, resample. */
export type { AudioData } from './types';
export {
  decodeAudio, decodeAudioWithInfo, decodeAudioFile, decodeAudioFileWithInfo,
  DEFAULT_MAX_BYTES, DEFAULT_MAX_SECONDS,
} from './decode';
export type { AudioDecodeErrorCode, AudioFormat, DecodeOptions, DecodedAudio } from './decode';
export { encodeWav, encodeWavAsync } from './encode';
export type { EncodeSliceOptions, EncodeWavOptions, WavBitDepth } from './encode';
export { resample, MAX_RESAMPLE_RATE } from './resample';
export type { ResampleOptions, ResampleQuality } from './resample';
export { findAudioProblem, MAX_SAMPLE_RATE } from './validate';
export type { AudioProblem, AudioProblemCode } from './validate';
