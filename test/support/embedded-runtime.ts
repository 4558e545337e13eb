/**
 * Starts a real, embedded Node-RED that loads this package the way a user's install does (the
 * registry reads package.json's node-red section, the editor HTML and the locales beside each
 * node), asks its admin API what a browser's editor would get, deploys a flow of misconfigured nodes
 * and records the errors they log (texts each node set reads from another set's catalogue), prints
 * that as one JSON line, and stops. Run by test/node_locales_spec in a child process, so it never meets the test helper's runtime.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { REPO_ROOT } from './paths';

interface NodeSetInfo { id: string; module: string; types: string[]; err?: string; enabled: boolean }

export interface EmbeddedReport {
  sets: NodeSetInfo[];
  /** type → help HTML as served for the language */
  help: Record<string, Record<string, string>>;
  /** node set id → catalog served for the language */
  catalogs: Record<string, Record<string, unknown>>;
  /** node id → the error it logged when deployed (MISCONFIGURED) */
  deployErrors: Record<string, string>;
}

/** Nodes whose settings are refused at deploy, by id; each logs one error in the runtime's language. */
export const MISCONFIGURED = [
  { id: 'bad-decode', type: 'vocal-split-decode', maxSeconds: '-5' },
  { id: 'bad-stft', type: 'vocal-split-stft', mode: 'stream', pcmEncoding: 'u8' },
  { id: 'bad-istft', type: 'vocal-split-istft', mode: 'live' },
];

async function main(): Promise<void> {
  /* eslint-disable @typescript-eslint/no-require-imports */
  const express = require('express') as () => http.RequestListener & { use(path: string, handler: unknown): void };
  const RED = require('node-red') as {
    init(server: http.Server, settings: object): void; start(): Promise<void>; stop(): Promise<void>; httpAdmin: unknown;
    events: { once(event: string, listener: () => void): void };
  };
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vocal-split-nr-'));
  const deployErrors: Record<string, string> = {};
  let allLogged = (): void => {};
  const logged = new Promise<void>((resolve) => { allLogged = resolve; });
  const capture = () => (entry: { id?: string; msg?: unknown; level: number }) => {
    if (entry.level !== 20 || !entry.id || !MISCONFIGURED.some((n) => n.id === entry.id)) return;
    deployErrors[entry.id] = String(entry.msg);
    if (Object.keys(deployErrors).length === MISCONFIGURED.length) allLogged();
  };
  const app = express();
  const server = http.createServer(app);
  RED.init(server, {
    userDir, nodesDir: [REPO_ROOT], httpAdminRoot: '/', uiPort: 0, credentialSecret: false,
    lang: 'en-US', logging: { console: { level: 'off' }, capture: { level: 'error', handler: capture } }, editorTheme: { tours: false },
  });
  app.use('/', RED.httpAdmin);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const post = (url: string, body: unknown): Promise<number> => new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: url, method: 'POST', headers: { 'Content-Type': 'application/json', 'Node-RED-Deployment-Type': 'full' } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
  const get = (url: string, headers: Record<string, string> = {}): Promise<string> => new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: url, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => { body += d; });
      res.on('end', () => resolve(body));
    }).on('error', reject);
  });
  try {
    await RED.start();
    const all = JSON.parse(await get('/nodes', { Accept: 'application/json' })) as NodeSetInfo[];
    const sets = all.filter((s) => s.module === 'node-red-contrib-vocal-split');
    const report: EmbeddedReport = { sets, help: {}, catalogs: {}, deployErrors };
    for (const lang of ['en-US', 'zh-CN']) {
      const html = await get('/nodes', { Accept: 'text/html', 'Accept-Language': lang });
      report.help[lang] = {};
      for (const m of html.matchAll(/<script type="text\/html" data-help-name="([^"]+)">([\s\S]*?)<\/script>/g)) {
        if (m[1].startsWith('vocal-split')) report.help[lang][m[1]] = m[2];
      }
      for (const set of sets) report.catalogs[`${lang}:${set.id}`] = JSON.parse(await get(`/locales/${set.id}?lng=${lang}`)) as Record<string, unknown>;
    }
    const tab = { id: 'tab', type: 'tab', label: 'misconfigured' };
    const started = new Promise<void>((resolve) => RED.events.once('flows:started', resolve));
    const status = await post('/flows', [tab, ...MISCONFIGURED.map((n) => ({ ...n, z: tab.id, x: 100, y: 100, wires: [] }))]);
    if (status !== 204 && status !== 200) throw new Error(`deploy answered ${status}`);
    // Each node logs its error while it is constructed; stop only once the deployed flows have started.
    await Promise.all([logged, started]);
    console.log(JSON.stringify(report));
  } finally {
    await RED.stop();
    server.close();
    fs.rmSync(userDir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  main().then(() => process.exit(0), (err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
