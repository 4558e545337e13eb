/** `vocal-split worker --broker mqtt://host:port`: a headless pool worker (lib/pool) until SIGINT/SIGTERM. */
import { BACKEND_NAMES, createBackend, type BackendChoice } from '../model/backends';
import { resolveModelDir } from '../model/locate';
import { MAX_CONCURRENCY } from '../jobs';
import { checkBrokerUrl, DEFAULT_GROUP, DEFAULT_JOBS_TOPIC, defaultWorkerClientId, PoolWorker, readCaFile, separateJobOn } from '../pool';
import { walkArgs } from './args';
import { UsageError, type CliCommand } from './command';

const HELP = `Usage: vocal-split worker --broker <url> [--jobs <topic>] [--group <name>] [--concurrency <n>] [--model <name|dir>] [--backend <name>] [--threads <n>] [--client-id <id>] [--username <name>] [--password <secret>] [--ca <file>]

Takes separation jobs from an MQTT 5 broker's shared subscription $share/<group>/<jobs topic>
and answers each on its response topic (the job protocol: README, "Worker pool"). Start as many
as you like, on as many machines; each job goes to one of them. Runs until SIGINT or SIGTERM.

Options:
  --broker <url>         mqtt://host:port, or mqtts://host:port for TLS (required)
  --jobs <topic>         jobs topic (default: ${DEFAULT_JOBS_TOPIC})
  --group <name>         shared-subscription group (default: ${DEFAULT_GROUP})
  --concurrency <n>      jobs at once (default: 1)
  --model <name|dir>     a shipped model (default, mir1k-protocol) or a model folder (default: default)
  --backend <name>       auto (default), ${BACKEND_NAMES.join(', ')}
  --threads <n>          inference threads (onnx, tfjs-node)
  --client-id <id>       MQTT client id; keep it across restarts so unfinished jobs resume
                         (default: vocal-split-worker-<host>-<group>; give each worker on one host its own)
  --session-expiry <s>   how long the broker keeps unfinished jobs for a stopped worker (default: 3600)
  --username <name>      broker user name
  --password <secret>    broker password (or the environment variable VOCAL_SPLIT_MQTT_PASSWORD)
  --ca <file>            PEM file of the authority that signed the broker's certificate (mqtts://)
  --max-seconds <s>      longest song accepted (default: 1800)
  -h, --help             show this help`;

interface WorkerArgs {
  broker: string;
  jobs: string;
  group: string;
  concurrency: number;
  model?: string;
  backend: BackendChoice;
  threads?: number;
  clientId?: string;
  sessionExpiry: number;
  username?: string;
  password?: string;
  ca?: string;
  maxSeconds: number;
}

function parseArgs(args: string[]): WorkerArgs {
  const parsed: Partial<WorkerArgs> = { jobs: DEFAULT_JOBS_TOPIC, group: DEFAULT_GROUP, concurrency: 1, backend: 'auto', sessionExpiry: 3600, maxSeconds: 1800 };
  walkArgs(args, (arg, { value, positiveInt, backend }) => {
    if (arg === '--broker') parsed.broker = value();
    else if (arg === '--jobs') parsed.jobs = topicName(arg, value());
    else if (arg === '--group') parsed.group = topicName(arg, value());
    else if (arg === '--concurrency') parsed.concurrency = positiveInt(MAX_CONCURRENCY);
    else if (arg === '--model') parsed.model = value();
    else if (arg === '--backend') parsed.backend = backend();
    else if (arg === '--threads') parsed.threads = positiveInt(256);
    else if (arg === '--client-id') parsed.clientId = value();
    else if (arg === '--session-expiry') parsed.sessionExpiry = positiveInt(0xffffffff);
    else if (arg === '--username') parsed.username = value();
    else if (arg === '--password') parsed.password = value();
    else if (arg === '--ca') parsed.ca = value();
    else if (arg === '--max-seconds') parsed.maxSeconds = positiveInt(24 * 3600);
    else throw new UsageError(`unknown option '${arg}'`);
  });
  if (!parsed.broker) throw new UsageError('missing --broker <url>');
  try {
    checkBrokerUrl(parsed.broker);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  return parsed as WorkerArgs;
}

/** A topic (or group) name a subscription can use: no wildcards, not empty. */
function topicName(option: string, name: string): string {
  if (name === '' || /[+#]/.test(name) || (option === '--group' && name.includes('/'))) {
    throw new UsageError(`${option} '${name}' must be a plain topic name (no + or #${option === '--group' ? ' or /' : ''})`);
  }
  return name;
}

export const workerCommand: CliCommand = {
  name: 'worker',
  summary: 'take separation jobs from an MQTT 5 broker (a worker pool)',
  help: HELP,
  async run(args, io) {
    const opts = parseArgs(args);
    const log = (line: string): void => io.out(`${new Date().toISOString()} ${line}`);
    const backend = await createBackend(resolveModelDir(opts.model), { backend: opts.backend, threads: opts.threads });
    let worker: PoolWorker | undefined;
    try {
      log(`model ready: ${backend.description}`);
      worker = await PoolWorker.start({
        broker: {
          url: opts.broker,
          username: opts.username,
          password: opts.password ?? process.env.VOCAL_SPLIT_MQTT_PASSWORD,
          ca: opts.ca ? readCaFile(opts.ca) : undefined,
        },
        clientId: opts.clientId ?? defaultWorkerClientId(opts.group),
        jobsTopic: opts.jobs,
        group: opts.group,
        concurrency: opts.concurrency,
        sessionExpirySeconds: opts.sessionExpiry,
        handler: separateJobOn(backend, { maxSeconds: opts.maxSeconds }),
        log,
      });
      const signal = await new Promise<string>((resolve) => {
        process.once('SIGINT', () => resolve('SIGINT'));
        process.once('SIGTERM', () => resolve('SIGTERM'));
      });
      log(`${signal}: stopping after ${worker.jobsAnswered} jobs; unfinished ones stay with the broker for the next start`);
    } finally {
      await worker?.close();
      await backend.dispose();
    }
    return 0;
  },
};
