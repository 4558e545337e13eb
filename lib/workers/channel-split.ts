/**
 * One song separated by two threads: the channels are independent all the way (each patch is
 * normalised and masked on its own), so a file worker hands the second half of the channels to a
 * helper thread of its own (channel-worker.ts) and separates the first half itself. On 2 cores the
 * STFT/iSTFT of a stereo song (2-3 s of CPU) then no longer runs on one core while the inference
 * sessions wait for it. The stems are the same, bit for bit.
 *
 * The helper writes its stems into shared memory and says how far they are final, so the caller
 * still gets onFinalSamples for all channels together as the song goes (the early WAV encode).
 * Masks come from the same inference engine: the helper's requests go out through `ask`.
 * The helper thread is started once per file worker (starting a thread and loading the audio code
 * takes half a second) and replaced after a job that failed or was stopped.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { AudioData } from '../audio/types';
import { separate, SeparationAbortedError } from '../separate/separator';
import type { SeparateOptions, Stems } from '../separate/types';
import type { PredictRequest, RemoteModel } from './audio-protocol';
import type { WireError } from './envelope';
import { RemoteBackend, type AskMain } from './remote-backend';
import { fromWire, toWire } from './wire-errors';

/** The compiled helper script, next to this file. */
export const CHANNEL_WORKER_SCRIPT = path.join(__dirname, 'channel-worker.js');

export type ToChannelWorker =
  /** Separate `input` (one shared array per channel) into `vocals` and `accompaniment` (shared, same lengths). */
  | { type: 'separate'; sampleRate: number; input: SharedArrayBuffer[]; vocals: SharedArrayBuffer[]; accompaniment: SharedArrayBuffer[]; model: RemoteModel; batchSize?: number }
  | { type: 'mask'; rid: number; mask: Float32Array }
  | { type: 'mask-failed'; rid: number; error: WireError };

export type FromChannelWorker =
  | { type: 'predict'; rid: number; input: Float32Array; batch: number }
  /** Samples [0, upTo) of every channel of the helper's stems are written and final. */
  | { type: 'final'; upTo: number }
  | { type: 'done' }
  | { type: 'failed'; error: WireError };

function shared(length: number): { buffer: SharedArrayBuffer; view: Float32Array } {
  const buffer = new SharedArrayBuffer(length * Float32Array.BYTES_PER_ELEMENT);
  return { buffer, view: new Float32Array(buffer) };
}

/** This thread's helper, idle between jobs (one job at a time: a file worker runs one task at a time). */
let helper: Worker | undefined;

/** A second thread only helps where there is a second core. */
const TWO_CORES = os.availableParallelism() > 1;

/** Starts the helper thread ahead of the first job, so the job does not wait for it (none on one core). */
export function startChannelHelper(): Worker | undefined {
  if (TWO_CORES) helper ??= new Worker(CHANNEL_WORKER_SCRIPT);
  return helper;
}

function discardHelper(worker: Worker): void {
  if (helper === worker) helper = undefined;
  void worker.terminate();
}

/**
 * separate() of `audio` with its channels shared between this thread and the helper thread (a song
 * of one channel runs here alone). Same stems as separate(); options.onFinalSamples gets all channels.
 */
export async function separateOnTwoThreads(audio: AudioData, model: RemoteModel, ask: AskMain, options: SeparateOptions = {}): Promise<Stems> {
  const n = audio.channels.length;
  const backend = new RemoteBackend(model, ask);
  const worker = n < 2 ? undefined : startChannelHelper();
  if (!worker) return separate(audio, backend, options);
  const mine = Math.ceil(n / 2);
  const length = audio.channels[0].length;
  const theirs = audio.channels.slice(mine).map((c) => {
    const input = shared(length);
    input.view.set(c);
    return { input, vocals: shared(length), accompaniment: shared(length) };
  });

  // Either side failing (or the caller aborting) stops the other; the first failure is the job's error.
  const stop = new AbortController();
  let failure: unknown;
  const fail = (err: unknown): void => {
    failure ??= err;
    stop.abort();
  };
  const onAbort = (): void => stop.abort();
  options.signal?.addEventListener('abort', onAbort, { once: true });

  let mineFinal = 0;
  let theirsFinal = 0;
  let told = 0;
  let myStems: Stems | undefined;
  const joined = (stems: Stems): Stems => ({
    vocals: { sampleRate: stems.vocals.sampleRate, channels: [...stems.vocals.channels, ...theirs.map((t) => t.vocals.view)] },
    accompaniment: { sampleRate: stems.accompaniment.sampleRate, channels: [...stems.accompaniment.channels, ...theirs.map((t) => t.accompaniment.view)] },
  });
  const tell = (): void => {
    const upTo = Math.min(mineFinal, theirsFinal);
    if (!myStems || upTo <= told) return;
    told = upTo;
    options.onFinalSamples?.(joined(myStems), upTo);
  };

  let onMessage: ((msg: FromChannelWorker) => void) | undefined;
  let onExit: ((code: number) => void) | undefined;
  const helperDone = new Promise<void>((resolve, reject) => {
    onMessage = (msg) => {
      switch (msg.type) {
        case 'predict':
          ask({ model: model.key, input: msg.input, batch: msg.batch } satisfies PredictRequest, [msg.input.buffer as ArrayBuffer]).then(
            (mask) => worker.postMessage({ type: 'mask', rid: msg.rid, mask } satisfies ToChannelWorker, [mask.buffer as ArrayBuffer]),
            (err: unknown) => worker.postMessage({ type: 'mask-failed', rid: msg.rid, error: toWire(err) } satisfies ToChannelWorker),
          ).catch(() => undefined); // the helper is gone already
          break;
        case 'final':
          theirsFinal = msg.upTo;
          tell();
          break;
        case 'done': resolve(); break;
        case 'failed': reject(fromWire(msg.error)); break;
      }
    };
    onExit = (code) => reject(new Error(`the channel helper thread stopped (exit code ${code})`));
    worker.on('message', onMessage);
    worker.on('exit', onExit);
    // Stopped because this side failed or the caller went away: that error (or ABORTED) is what counts.
    stop.signal.addEventListener('abort', () => reject(new SeparationAbortedError()), { once: true });
  });
  helperDone.catch(fail);
  worker.postMessage({
    type: 'separate', sampleRate: audio.sampleRate, model, batchSize: options.batchSize,
    input: theirs.map((t) => t.input.buffer), vocals: theirs.map((t) => t.vocals.buffer), accompaniment: theirs.map((t) => t.accompaniment.buffer),
  } satisfies ToChannelWorker);

  try {
    const [own] = await Promise.all([
      separate({ sampleRate: audio.sampleRate, channels: audio.channels.slice(0, mine) }, backend, {
        ...options,
        signal: stop.signal,
        onFinalSamples: (now, upTo) => {
          myStems = now;
          mineFinal = upTo;
          tell();
        },
      }).catch((err: unknown) => {
        fail(err);
        throw err;
      }),
      helperDone,
    ]);
    const stems = joined(own);
    if (told < length) options.onFinalSamples?.(stems, length);
    return stems;
  } catch (err) {
    // The helper may still be computing the stopped job: a fresh one takes the next.
    discardHelper(worker);
    throw failure ?? err;
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    if (onMessage) worker.off('message', onMessage);
    if (onExit) worker.off('exit', onExit);
  }
}
