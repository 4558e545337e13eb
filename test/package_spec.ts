/**
 * The package as a Node-RED user gets it: `npm pack`, then `npm install <tarball>` into a fresh
 * Node-RED user directory (with the README's --onnxruntime-node-install=skip), then a plain Node-RED
 * (node-red's own red.js, not scripts/start.js) on that directory: the seven nodes load, an example
 * flow from the installed package deploys, and it separates a clip.
 *
 * The install uses --prefer-offline: the npm cache holds every tarball (npm ci put them there), but not
 * the registry metadata that resolving a new package's dependency ranges needs, so --offline stops at
 * the first dependency with ENOTCACHED; --prefer-offline fetches only that metadata.
 */
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { assertStemsOfSong, freePort } from './support/demo';
import { MIR1K_SAMPLE, REPO_ROOT } from './support/paths';

const run = promisify(execFile);
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const PACKAGE = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as {
  name: string; version: string; repository?: { url: string }; bugs?: { url: string }; license: string;
  'node-red': { nodes: Record<string, string> };
};

/** The environment without what `npm test` exported about this project (its config, its lifecycle). */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));
}

describe('the packed package in a fresh Node-RED user directory', function () {
  this.timeout(240_000);
  let tmp: string;
  let files: string[];
  let tarball: string;
  let userDir: string;
  let red: ChildProcess | undefined;
  let output = '';
  let base: string;

  before(async function () {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vocal-split-package-'));
    const { stdout } = await run(NPM, ['pack', '--json', '--pack-destination', tmp], { cwd: REPO_ROOT, env: cleanEnv(), maxBuffer: 1 << 24 });
    const [packed] = JSON.parse(stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
    files = packed.files.map((f) => f.path);
    tarball = path.join(tmp, packed.filename);
  });

  after(async function () {
    if (red && red.exitCode === null) {
      const exited = new Promise((r) => red?.once('exit', r));
      red.kill('SIGTERM');
      await exited;
    }
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('ships the runtime, the models, the examples, the editor resources, LICENSE, README and its images; no tests, benchmarks or source maps', function () {
    assert.deepEqual(files.filter((f) => /^dist\/(test|bench)\/|\.map$|^test\/|^training\/|^bench\//.test(f)), []);
    for (const f of ['LICENSE', 'README.md', 'package.json', 'resources/vocal-split-editor.js', 'models/default/model.json', 'models/default/weights.bin',
      'dist/bin/vocal-split.js', 'dist/lib/index.js', ...Object.values(PACKAGE['node-red'].nodes)]) {
      assert.ok(files.includes(f), `${f} is in the package`);
    }
    for (const f of fs.readdirSync(path.join(REPO_ROOT, 'examples'))) assert.ok(files.includes(`examples/${f}`), f);
    for (const type of Object.keys(PACKAGE['node-red'].nodes)) {
      assert.ok(files.includes(PACKAGE['node-red'].nodes[type].replace(/\.js$/, '.html')), `${type}'s editor file`);
    }
    // Every image the README shows is in the package (relative links) or absolute.
    const readme = fs.readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
    for (const [, src] of readme.matchAll(/!\[[^\]]*\]\(([^)]+)\)/g)) {
      assert.ok(/^https:\/\//.test(src) || files.includes(src), `README image ${src}`);
    }
    assert.match(fs.readFileSync(path.join(REPO_ROOT, 'LICENSE'), 'utf8'), /^MIT License/);
    assert.equal(PACKAGE.license, 'MIT');
    assert.match(PACKAGE.repository?.url ?? '', /^git\+https:\/\//);
    assert.match(PACKAGE.bugs?.url ?? '', /^https:\/\//);
  });

  it('installs with npm from the tarball (--onnxruntime-node-install=skip), onnxruntime-node and PFFFT included; the STFT runs on PFFFT there', async function () {
    userDir = path.join(tmp, 'user');
    fs.mkdirSync(userDir);
    fs.writeFileSync(path.join(userDir, 'package.json'), JSON.stringify({ name: 'node-red-project', private: true }));
    await run(NPM, ['install', tarball, '--prefer-offline', '--onnxruntime-node-install=skip', '--no-audit', '--no-fund', '--loglevel=error'],
      { cwd: userDir, env: cleanEnv(), maxBuffer: 1 << 24 });
    const installed = path.join(userDir, 'node_modules', PACKAGE.name);
    assert.equal(JSON.parse(fs.readFileSync(path.join(installed, 'package.json'), 'utf8')).version, PACKAGE.version);
    assert.ok(fs.existsSync(path.join(userDir, 'node_modules', 'onnxruntime-node', 'package.json')), 'the optional dependency was not dropped');
    assert.ok(!fs.existsSync(path.join(installed, 'dist', 'test')));
    // The FFT's optional dependency is an ES module loaded with import() from CommonJS: it must work from an installed copy.
    const engine = path.join(installed, 'dist', 'lib', 'dsp', 'fft-engine.js');
    const { stdout } = await run(process.execPath, ['-e', `const e = require(${JSON.stringify(engine)}); e.loadFastFft().then(() => console.log(e.describeFftEngine()))`],
      { cwd: userDir, env: cleanEnv() });
    assert.match(stdout, /^PFFFT \(WebAssembly SIMD/);
  });

  it('a plain Node-RED on that user directory loads the seven nodes (admin API /nodes)', async function () {
    assert.ok(userDir, 'installed');
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    fs.writeFileSync(path.join(userDir, 'settings.js'), `module.exports = ${JSON.stringify({
      uiHost: '127.0.0.1', uiPort: port, flowFile: 'flows.json', credentialSecret: false,
      telemetry: { enabled: false, updateNotification: false }, editorTheme: { tours: false, palette: { catalogues: [] } },
    })};\n`);
    red = spawn(process.execPath, [path.join(path.dirname(require.resolve('node-red/package.json')), 'red.js'),
      '--userDir', userDir, '--settings', path.join(userDir, 'settings.js')], { cwd: userDir, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    red.stdout?.on('data', (d: Buffer) => { output += d.toString(); });
    red.stderr?.on('data', (d: Buffer) => { output += d.toString(); });
    const deadline = Date.now() + 60_000;
    while (!output.includes('Server now running')) {
      if (Date.now() > deadline || red.exitCode !== null) throw new Error(`Node-RED did not start:\n${output}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    const sets = (await (await fetch(`${base}/nodes`, { headers: { Accept: 'application/json' } })).json()) as
      Array<{ module: string; types: string[]; enabled: boolean; err?: string; version: string }>;
    const ours = sets.filter((s) => s.module === PACKAGE.name);
    for (const set of ours) {
      assert.equal(set.err, undefined, `${set.types.join(', ')}: ${set.err}`);
      assert.equal(set.enabled, true);
      assert.equal(set.version, PACKAGE.version);
    }
    assert.deepEqual(ours.flatMap((s) => s.types).sort(), Object.keys(PACKAGE['node-red'].nodes).sort());
  });

  it('deploys the installed karaoke example and splits a clip on the onnx backend, the stems summing to the song', async function () {
    assert.ok(base, 'Node-RED is running');
    const example = fs.readFileSync(path.join(userDir, 'node_modules', PACKAGE.name, 'examples', 'karaoke-http.json'), 'utf8');
    const started = (): number => output.split('Started flows').length;
    const before = started();
    const deployed = await fetch(`${base}/flows`, {
      method: 'POST', headers: { 'Content-Type': 'application/json', 'Node-RED-Deployment-Type': 'full' }, body: example,
    });
    assert.ok(deployed.ok, `${deployed.status}: ${await deployed.text()}`);
    // The deploy is answered before the new flows have started (and the http in node has its route).
    const deadline = Date.now() + 30_000;
    while (started() === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const song = fs.readFileSync(path.join(MIR1K_SAMPLE, 'Ani_1_06.wav'));
    const post = async (query: string): Promise<Buffer> => {
      const answer = await fetch(`${base}/karaoke${query}`, { method: 'POST', body: song });
      assert.equal(answer.status, 200, `POST /karaoke${query}: HTTP ${answer.status} ${(await answer.clone().text()).slice(0, 300)}\n${output.slice(-3000)}`);
      assert.equal(answer.headers.get('content-type'), 'audio/wav');
      return Buffer.from(await answer.arrayBuffer());
    };
    const [karaoke, vocals] = await Promise.all([post(''), post('?stem=vocals')]);
    await assertStemsOfSong(song, vocals, karaoke);
    // The backend, honestly: onnxruntime-node is installed, so no "slow" warning was logged.
    assert.doesNotMatch(output, /slower than onnx|no onnxruntime-node/, output);
  });
});
