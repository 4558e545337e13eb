/**
 * A pool worker: takes jobs from an MQTT 5 shared subscription ($share/<group>/<jobs topic>, QoS 1)
 * and answers each on its response topic (protocol.ts).
 *
 * Nothing is lost when a worker dies (measured with mosquitto 2.0, README "Worker pool"): a job is
 * acknowledged (PUBACK) only after its answers are published, and the worker keeps a persistent
 * session under a stable client id, so the broker keeps an unfinished job in that session and hands
 * it again to the worker restarted with the same id. The broker sends at most `concurrency`
 * unacknowledged jobs at once (MQTT 5 Receive Maximum), which is how jobs are taken one per slot.
 */
import { connectAsync, type IPublishPacket, type MqttClient } from 'mqtt';
import { JobQueue, throttle } from '../jobs';
import { deferredAckOptions, isDeferral, sendPuback } from './deferred-acks';
import { mqttOptions, type BrokerOptions } from './broker';
import { DEFAULT_GROUP, DEFAULT_JOBS_TOPIC, parseJobProperties, type UserProperties } from './protocol';
import type { JobHandler } from './separate-job';

export interface PoolWorkerOptions {
  broker: BrokerOptions;
  /** Stable across restarts (see defaultWorkerClientId): the session, and its unfinished jobs, are found by it. */
  clientId: string;
  jobsTopic?: string;
  group?: string;
  /** Jobs at once; default 1. */
  concurrency?: number;
  /** How long the broker keeps the session (and its unfinished jobs) after a disconnect; default 1 hour. */
  sessionExpirySeconds?: number;
  handler: JobHandler;
  /** One line per job and per connection event. */
  log?(line: string): void;
}

/** Shortest time between two progress messages of one job. */
const PROGRESS_INTERVAL_MS = 1000;
const REASON_MAX = 300;

interface Job {
  packet: IPublishPacket;
  /** Message ids to acknowledge once answered (a redelivery of a job in progress joins it). */
  messageIds: Set<number>;
}

export class PoolWorker {
  private readonly queue: JobQueue<Job>;
  /** Jobs received and not yet acknowledged, by the correlation data they carry (hex). */
  private readonly pending = new Map<string, Job>();
  private answered = 0;

  private constructor(private readonly client: MqttClient, private readonly options: PoolWorkerOptions, queue: (w: PoolWorker) => JobQueue<Job>) {
    this.queue = queue(this);
  }

  /** Connects, subscribes, and starts taking jobs (and the session's unfinished ones). */
  static async start(options: PoolWorkerOptions): Promise<PoolWorker> {
    const concurrency = options.concurrency ?? 1;
    const jobsTopic = options.jobsTopic ?? DEFAULT_JOBS_TOPIC;
    const group = options.group ?? DEFAULT_GROUP;
    const log = options.log ?? (() => {});
    let worker: PoolWorker | undefined;
    const early: IPublishPacket[] = [];
    const clientOptions = mqttOptions(options.broker, options.clientId, options.sessionExpirySeconds ?? 3600, {
      properties: { receiveMaximum: concurrency },
      // A resumed session's jobs can arrive before connectAsync resolves: they wait in `early`.
      ...deferredAckOptions((packet) => (worker ? worker.take(packet) : early.push(packet))),
    });
    const client = await connectAsync(options.broker.url, clientOptions);
    worker = new PoolWorker(client, options, (w) => new JobQueue<Job>(concurrency, (job, signal) => w.run(job, signal), () => {}, (err) => log(`job failed unexpectedly: ${String(err)}`)));
    client.on('error', (err) => { if (!isDeferral(err)) log(`broker: ${err.message}`); });
    // A job published at QoS 0 arrives at QoS 0 (no acknowledgement to defer): taken all the same.
    client.on('message', (_topic, _payload, packet) => worker?.take(packet));
    client.on('offline', () => log('broker: connection lost, reconnecting'));
    client.on('connect', () => log('broker: connected again'));
    const granted = await client.subscribeAsync(`$share/${group}/${jobsTopic}`, { qos: 1 });
    if (granted[0]?.qos !== 1) throw new Error(`broker refused the shared subscription $share/${group}/${jobsTopic} at QoS 1 (granted ${granted[0]?.qos}); it needs MQTT 5 shared subscriptions`);
    log(`taking jobs from $share/${group}/${jobsTopic} on ${options.broker.url} as ${options.clientId} (${concurrency} at once)`);
    for (const packet of early) worker.take(packet);
    return worker;
  }

  /** Jobs answered since start. */
  get jobsAnswered(): number {
    return this.answered;
  }

  /**
   * Stops: running jobs are abandoned unanswered and unacknowledged, so they stay in the broker's
   * session for the next start with the same client id (or, if it never comes, the requester resubmits).
   */
  async close(): Promise<void> {
    await this.client.endAsync(true);
    await this.queue.close();
  }

  private log(line: string): void {
    this.options.log?.(line);
  }

  private take(packet: IPublishPacket): void {
    const props = packet.properties;
    if (!props?.responseTopic) {
      this.log(`dropped a job without a response topic (${packet.payload.length} bytes on ${packet.topic}): nowhere to answer`);
      this.ack(packet.messageId);
      return;
    }
    const key = correlationKey(props.correlationData);
    const running = key ? this.pending.get(key) : undefined;
    if (running && packet.messageId !== undefined) {
      // The same job again (the broker resending after a reconnect, or the requester resubmitting
      // while we work on it): one separation answers both.
      running.messageIds.add(packet.messageId);
      return;
    }
    const job: Job = { packet, messageIds: new Set(packet.messageId === undefined ? [] : [packet.messageId]) };
    if (key) this.pending.set(key, job);
    this.queue.push(job);
  }

  private async run(job: Job, signal: AbortSignal): Promise<void> {
    const { packet } = job;
    const props = packet.properties ?? {};
    const responseTopic = props.responseTopic as string;
    const correlationData = props.correlationData;
    const id = correlationKey(correlationData).slice(0, 12) || '(none)';
    const started = Date.now();
    const publish = (payload: Buffer, userProperties: UserProperties, qos: 0 | 1): Promise<unknown> =>
      this.client.publishAsync(responseTopic, payload, { qos, properties: { correlationData, userProperties } });
    let outcome: string;
    try {
      const request = parseJobProperties(props.userProperties);
      if ('error' in request) throw new Error(request.error);
      if (correlationData === undefined) throw new Error('the job has no correlationData: its answers could not be matched to it');
      const progress = throttle((fraction: number) => {
        publish(Buffer.alloc(0), { progress: fraction.toFixed(3) }, 0).catch(() => {});
      }, PROGRESS_INTERVAL_MS);
      progress(0); // says "a worker has it" at once
      const stems = await this.options.handler(Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload), request, { signal, onProgress: progress });
      if (signal.aborted) return;
      for (const [stem, wav] of stems) await publish(wav, { stem }, 1);
      outcome = `done in ${((Date.now() - started) / 1000).toFixed(1)} s (${stems.map(([s]) => s).join(', ')})`;
    } catch (err) {
      if (signal.aborted) return; // closing: left to the session
      const reason = oneLine(err);
      try {
        await publish(Buffer.alloc(0), { error: reason }, 1);
      } catch (publishErr) {
        this.log(`job ${id}: could not answer (${oneLine(publishErr)}); the broker will hand it again`);
        return;
      }
      outcome = `failed: ${reason}`;
    } finally {
      if (!signal.aborted) this.pending.delete(correlationKey(correlationData));
    }
    // Only now: the broker has the answers (they went before this PUBACK on the same connection).
    for (const messageId of job.messageIds) this.ack(messageId);
    this.answered++;
    this.log(`job ${id} for ${responseTopic}: ${outcome}`);
  }

  private ack(messageId: number | undefined): void {
    if (messageId !== undefined) sendPuback(this.client, messageId);
  }
}

function correlationKey(data: Buffer | undefined): string {
  return data ? data.toString('hex') : '';
}

function oneLine(err: unknown): string {
  const text = (err instanceof Error ? err.message : String(err)).split('\n')[0];
  return text.length > REASON_MAX ? `${text.slice(0, REASON_MAX - 1)}…` : text;
}
