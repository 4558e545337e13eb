/** `vocal-split worker` processes for the pool specs, run as a supervisor would: same command, restartable. */
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { REPO_ROOT } from './paths';

const CLI = path.join(REPO_ROOT, 'dist', 'bin', 'vocal-split.js');

export class WorkerProcess {
  /** Every line it printed, over all its runs. */
  readonly lines: string[] = [];
  private child?: ChildProcess;
  private exited?: Promise<number | null>;

  constructor(readonly args: string[]) {}

  /** Starts it (again) with the same command; resolves once it takes jobs. */
  async start(): Promise<this> {
    const child = spawn(process.execPath, [CLI, 'worker', ...this.args], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    let buffered = '';
    const onData = (d: Buffer): void => {
      buffered += d.toString();
      const parts = buffered.split('\n');
      buffered = parts.pop() ?? '';
      this.lines.push(...parts);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    await this.waitFor(/taking jobs from/, 30_000, this.lines.length);
    return this;
  }

  get alive(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Resolves once a line (printed after line `from`) matches; rejects after `ms` or if it exits. */
  async waitFor(pattern: RegExp, ms = 30_000, from = 0): Promise<string> {
    const deadline = Date.now() + ms;
    for (;;) {
      const line = this.lines.slice(from).find((l) => pattern.test(l));
      if (line) return line;
      if (!this.alive && this.child) throw new Error(`worker exited before printing ${pattern}:\n${this.lines.join('\n')}`);
      if (Date.now() > deadline) throw new Error(`no ${pattern} from the worker in ${ms} ms:\n${this.lines.join('\n')}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Lines matching `pattern` so far. */
  count(pattern: RegExp): number {
    return this.lines.filter((l) => pattern.test(l)).length;
  }

  /** Sends `signal` and waits for the exit. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (!this.alive) return;
    this.child?.kill(signal);
    await this.exited;
  }
}
