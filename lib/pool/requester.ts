/**
 * The requester side of the pool: sends a song as a job and collects its stems (protocol.ts).
 *
 * A job with no word from any worker (no stem, error or progress) for `timeoutMs` is published
 * again under the same correlationData, up to `attempts` times: with mosquitto 2.0 a job handed to a
 * worker that dies waits in that worker's session until it comes back (or the session expires), so
 * resubmitting is what finishes it when the worker does not return. A job can therefore be done
 * twice; answers for a job already finished are dropped by their correlationData.
 */
import { randomBytes } from 'node:crypto';
import { connect, type IPublishPacket, type MqttClient } from 'mqtt';
import { VocalSplitError } from '../errors';
import type { StemName } from '../separate/types';
import { mqttOptions, type BrokerOptions } from './broker';
import { DEFAULT_JOBS_TOPIC, jobProperties, parseAnswer, STEM_NAMES, type JobRequest } from './protocol';

/** Why a job failed: the worker's reason (WORKER_ERROR), no answer in time (NO_ANSWER), or the requester closed (CLOSED). */
export class PoolJobError extends VocalSplitError {}

export interface PoolRequesterOptions {
  broker: BrokerOptions;
  /** Default: a random one per requester. */
  clientId?: string;
  jobsTopic?: string;
  /** Where the workers answer; default vocal-split/answers/<client id>. */
  responseTopic?: string;
  /** Silence (no stem, error or progress) after which a job is resubmitted; default 60 s. */
  timeoutMs?: number;
  /** Publications of one job at most (the first and its resubmissions); default 3. */
  attempts?: number;
  /** Jobs waiting for answers at most; more are refused at once. Default 1000. */
  maxJobs?: number;
}

export interface SubmitOptions {
  signal?: AbortSignal;
  /** Called with the worker's fraction done. */
  onProgress?(fraction: number): void;
}

export interface PoolResult {
  /** WAV bytes of each stem asked for. */
  stems: Partial<Record<StemName, Buffer>>;
  /** Times the job was published (1 unless it was resubmitted). */
  attempts: number;
}

interface PendingJob {
  wanted: StemName[];
  stems: Partial<Record<StemName, Buffer>>;
  attempts: number;
  onProgress?(fraction: number): void;
  publishAgain(): void;
  timer?: NodeJS.Timeout;
  settle(err: Error | undefined): void;
}

/** Correlation ids of finished jobs remembered to drop late duplicates. */
const FINISHED_REMEMBERED = 1000;

export class PoolRequester {
  readonly responseTopic: string;
  private readonly client: MqttClient;
  private readonly jobs = new Map<string, PendingJob>();
  private readonly finished = new Set<string>();
  private readonly subscribed: Promise<void>;
  private lastError = '';
  private closed = false;
  /** Answers dropped because their job had already been answered (it was done twice). */
  duplicatesDropped = 0;

  constructor(private readonly options: PoolRequesterOptions) {
    const clientId = options.clientId ?? `vocal-split-requester-${randomBytes(6).toString('hex')}`;
    this.responseTopic = options.responseTopic ?? `vocal-split/answers/${clientId}`;
    // A session kept 5 minutes: answers published while the connection is briefly down are not lost.
    this.client = connect(options.broker.url, mqttOptions(options.broker, clientId, 300));
    this.client.on('error', (err) => { this.lastError = err.message; });
    this.client.on('message', (_topic, payload, packet) => this.onAnswer(payload, packet));
    this.subscribed = new Promise<void>((resolve) => {
      const subscribe = (): void => {
        this.client.subscribe(this.responseTopic, { qos: 1 }, (err) => {
          if (err) this.lastError = err.message;
          else resolve();
        });
      };
      this.client.once('connect', subscribe);
    });
  }

  /** Whether the connection to the broker is up now. */
  get connected(): boolean {
    return this.client.connected;
  }

  /** Jobs waiting for their answers. */
  get waiting(): number {
    return this.jobs.size;
  }

  /** Sends `bytes` (a song in any format the decoder reads) as a job; resolves with its stems. */
  async submit(bytes: Uint8Array, request: Partial<JobRequest> = {}, options: SubmitOptions = {}): Promise<PoolResult> {
    if (this.closed) throw new PoolJobError('CLOSED', 'the pool requester is closed');
    const maxJobs = this.options.maxJobs ?? 1000;
    if (this.jobs.size >= maxJobs) throw new PoolJobError('TOO_MANY_JOBS', `${maxJobs} jobs already wait for the pool`);
    const timeoutMs = this.options.timeoutMs ?? 60_000;
    const attempts = this.options.attempts ?? 3;
    const correlationData = randomBytes(16);
    const key = correlationData.toString('hex');
    const payload = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const userProperties = jobProperties(request);
    // (mqtt-packet writes nothing at all for an empty userProperties object: leave it out.)
    const properties = { responseTopic: this.responseTopic, correlationData, ...(Object.keys(userProperties).length > 0 ? { userProperties } : {}) };
    return new Promise<PoolResult>((resolve, reject) => {
      const job: PendingJob = {
        wanted: request.stems ?? [...STEM_NAMES],
        stems: {},
        attempts: 0,
        onProgress: options.onProgress,
        publishAgain: () => {
          if (job.attempts >= attempts) {
            job.settle(new PoolJobError('NO_ANSWER', this.noAnswerReason(timeoutMs, attempts)));
            return;
          }
          job.attempts++;
          this.client.publish(this.options.jobsTopic ?? DEFAULT_JOBS_TOPIC, payload, { qos: 1, properties }, (err) => {
            if (err) this.lastError = err.message;
          });
          this.rearm(job, timeoutMs);
        },
        settle: (err) => {
          clearTimeout(job.timer);
          this.jobs.delete(key);
          options.signal?.removeEventListener('abort', onAbort);
          this.remember(key);
          if (err) reject(err);
          else resolve({ stems: job.stems, attempts: job.attempts });
        },
      };
      const onAbort = (): void => job.settle(new PoolJobError('ABORTED', 'the job was aborted'));
      if (options.signal?.aborted) return onAbort();
      options.signal?.addEventListener('abort', onAbort, { once: true });
      this.jobs.set(key, job);
      this.rearm(job, timeoutMs);
      // The response subscription first, so no answer can come before we listen.
      this.subscribed.then(() => { if (this.jobs.get(key) === job) job.publishAgain(); }, () => {});
    });
  }

  /** Fails the waiting jobs and disconnects (the broker drops this requester's session). */
  async close(): Promise<void> {
    this.closed = true;
    for (const job of [...this.jobs.values()]) job.settle(new PoolJobError('CLOSED', 'the pool requester closed'));
    await this.client.endAsync(false, { properties: { sessionExpiryInterval: 0 } });
  }

  private rearm(job: PendingJob, timeoutMs: number): void {
    clearTimeout(job.timer);
    job.timer = setTimeout(() => job.publishAgain(), timeoutMs);
  }

  private noAnswerReason(timeoutMs: number, attempts: number): string {
    const seconds = Math.round(timeoutMs / 1000);
    const broker = this.client.connected ? `broker ${this.options.broker.url} connected` : `broker ${this.options.broker.url} not connected${this.lastError ? `: ${this.lastError}` : ''}`;
    return `no worker answered: ${attempts} × ${seconds} s without a word on ${this.options.jobsTopic ?? DEFAULT_JOBS_TOPIC} (${broker}; is a vocal-split worker running?)`;
  }

  private remember(key: string): void {
    this.finished.add(key);
    if (this.finished.size > FINISHED_REMEMBERED) this.finished.delete(this.finished.values().next().value as string);
  }

  private onAnswer(payload: Buffer, packet: IPublishPacket): void {
    const key = packet.properties?.correlationData?.toString('hex') ?? '';
    const answer = parseAnswer(payload, packet.properties?.userProperties);
    const job = this.jobs.get(key);
    if (!job) {
      if (this.finished.has(key) && (answer.kind === 'stem' || answer.kind === 'error')) this.duplicatesDropped++;
      return;
    }
    if (answer.kind === 'unknown') return;
    this.rearm(job, this.options.timeoutMs ?? 60_000);
    if (answer.kind === 'progress') {
      job.onProgress?.(answer.fraction);
    } else if (answer.kind === 'error') {
      job.settle(new PoolJobError('WORKER_ERROR', answer.reason));
    } else if (job.wanted.includes(answer.stem)) {
      job.stems[answer.stem] = answer.wav;
      if (job.wanted.every((s) => job.stems[s])) job.settle(undefined);
    }
  }
}
