/** The worker-thread pool for heavy per-song work (decode, separate, encode, live streams). */
export { AudioPool, PooledStream, sharedAudioPool, AUDIO_WORKER_SCRIPT } from './audio-pool';
export type { AudioPoolStats, JobOptions, SeparateJobOptions, Stem } from './audio-pool';
export type { StemOutput, StreamChunkResult } from './audio-protocol';
export { WorkerPool, defaultFileWorkers } from './pool';
export type { Lane, PoolOptions, PoolStats, TaskOptions } from './pool';
export { TaskAbortedError, WorkerCrashedError } from './wire-errors';
