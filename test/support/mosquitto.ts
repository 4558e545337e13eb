/**
 * A real MQTT 5 broker for the pool specs: Debian's mosquitto (installed by .ci/run), started on a
 * free port with a temporary config, in memory only (no persistence file), stopped after the spec.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

export const MOSQUITTO = ['/usr/sbin/mosquitto', '/usr/bin/mosquitto'].find((p) => fs.existsSync(p));

export interface Broker {
  url: string;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    }).on('error', reject);
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => { socket.destroy(); resolve(true); }).on('error', () => resolve(false));
  });
}

/** Starts mosquitto; `extraConfig` lines go into its config (limits, ...). */
export async function startMosquitto(extraConfig: string[] = []): Promise<Broker> {
  if (!MOSQUITTO) throw new Error('mosquitto is not installed (apt-get install -y mosquitto; .ci/run does it)');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vocal-split-mosquitto-'));
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    const config = path.join(dir, 'mosquitto.conf');
    fs.writeFileSync(config, [`listener ${port} 127.0.0.1`, 'allow_anonymous true', 'persistence false', ...extraConfig, ''].join('\n'));
    const child: ChildProcess = spawn(MOSQUITTO, ['-c', config], { stdio: ['ignore', 'ignore', 'pipe'] });
    let exited = false;
    child.on('exit', () => { exited = true; });
    for (let i = 0; i < 100 && !exited; i++) {
      if (await accepts(port)) {
        return {
          url: `mqtt://127.0.0.1:${port}`,
          stop: async () => {
            if (!exited) {
              const gone = new Promise((r) => child.once('exit', r));
              child.kill('SIGTERM');
              await gone;
            }
            fs.rmSync(dir, { recursive: true, force: true });
          },
        };
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    child.kill('SIGKILL'); // the port was taken in between, or it did not start: try another
  }
  throw new Error('mosquitto did not start');
}
