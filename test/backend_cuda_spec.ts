/**
 * The cuda backend without a GPU: the probe that names each missing piece (on fake machines built
 * from tiny ELF files), the order and fallbacks of 'auto', linking provider libraries from
 * $VOCAL_SPLIT_CUDA_PROVIDER_DIR, merged GPU batches, `vocal-split info --backends`, the node forms.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  AUTO_ORDER, BACKEND_NAMES, BackendUnavailableError, LoadedModel, cachedEngineCount, createBackend, createRandomModel, probeBackends,
} from '../lib/model';
import { PatchCoalescer } from '../lib/model/backends/coalesce';
import { coalescing } from '../lib/model/backends/cuda';
import {
  CudaProbe, cudaProbeMessage, linkProviderLibraries, onnxruntimeNativeDir, probeCuda, setCudaHost,
} from '../lib/model/backends/cuda-probe';
import { readElfDynamic } from '../lib/model/backends/elf';
import { OnnxEngine } from '../lib/model/backends/onnx';
import { MaskBatcher } from '../lib/stream/mask-batcher';
import { separate } from '../lib/separate';
import { FakeCudaMachine, fakeCudaMachine, writeFakeElf } from './support/fake-cuda-machine';
import { maxAbsDiff, randomInput } from './support/numeric';
import { editorAccepts, editorDefinitions, nodeFile } from './support/node-red';
import { REPO_ROOT } from './support/paths';
import { fixedMaskBackend } from './support/test-backends';

const SMALL = { bins: 64, frames: 64, baseFilters: 4, depth: 3, channelsIn: 1 };

const pieces = (p: CudaProbe): string[] => p.missing.map((m) => m.piece);
const message = (p: CudaProbe, piece: string): string => p.missing.filter((m) => m.piece === piece).map((m) => m.message).join('; ');

describe('cuda backend (no GPU needed)', () => {
  let tmp: string;
  let m: FakeCudaMachine;
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vocal-split-cuda-'));
    m = fakeCudaMachine(tmp);
  });
  afterEach(() => {
    setCudaHost(undefined);
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  describe('ELF dynamic sections', () => {
    it("reads onnxruntime-node's real binding: it needs libonnxruntime.so.1 and looks in $ORIGIN", () => {
      const elf = readElfDynamic(path.join(onnxruntimeNativeDir(), 'onnxruntime_binding.node'));
      assert.ok(elf.needed.includes('libonnxruntime.so.1'), elf.needed.join());
      assert.ok(elf.needed.includes('libc.so.6'));
      assert.deepEqual(elf.runpath, ['$ORIGIN/']);
    });

    it('reads the fake libraries the probe tests use, and refuses what is not an ELF shared object', () => {
      const lib = path.join(tmp, 'libx.so');
      writeFakeElf(lib, ['liba.so.1', 'libb.so.2'], ['$ORIGIN', '/opt/x']);
      assert.deepEqual(readElfDynamic(lib), { needed: ['liba.so.1', 'libb.so.2'], runpath: ['$ORIGIN', '/opt/x'], rpath: [] });
      fs.writeFileSync(path.join(tmp, 'text.so'), 'not a library at all, but long enough to hold a header ........................');
      assert.throws(() => readElfDynamic(path.join(tmp, 'text.so')), /not an ELF file/);
      fs.writeFileSync(path.join(tmp, 'short.so'), Buffer.from([0x7f, 0x45, 0x4c, 0x46]));
      assert.throws(() => readElfDynamic(path.join(tmp, 'short.so')), /truncated/);
    });
  });

  describe('the probe names exactly the missing piece', () => {
    it('a complete machine: every piece found where the loader would find it', () => {
      const p = probeCuda(m.host());
      assert.deepEqual(p.missing, []);
      assert.equal(p.available, true);
      assert.deepEqual(p.provider, {
        cuda: path.join(m.providerDir, 'libonnxruntime_providers_cuda.so'),
        shared: path.join(m.providerDir, 'libonnxruntime_providers_shared.so'),
      });
      assert.equal(p.found.get('libcuda.so.1'), path.join(m.driverDir, 'libcuda.so.1'));
      assert.equal(p.found.get('libcublasLt.so.12'), path.join(m.cudaDir, 'libcublasLt.so.12'));
      assert.equal(p.found.get('libcudnn_cnn.so.9'), path.join(m.cudnnDir, 'libcudnn_cnn.so.9'));
      assert.equal(cudaProbeMessage(p), 'all pieces found');
    });

    it('NVIDIA driver: no kernel module in /proc, or no GPU listed, or no libcuda.so.1', () => {
      fs.rmSync(path.join(m.procDir, 'version'));
      let p = probeCuda(m.host());
      assert.deepEqual(pieces(p), ['driver']);
      assert.match(message(p, 'driver'), new RegExp(`^NVIDIA driver: ${path.join(m.procDir, 'version')} is absent`));
      fs.writeFileSync(path.join(m.procDir, 'version'), 'NVRM');
      fs.rmSync(path.join(m.procDir, 'gpus', '0000:00:04.0'), { recursive: true });
      assert.match(message(probeCuda(m.host()), 'driver'), /driver is loaded but .*gpus lists no GPU/);
      fs.mkdirSync(path.join(m.procDir, 'gpus', 'x'));
      fs.rmSync(path.join(m.driverDir, 'libcuda.so.1'));
      p = probeCuda(m.host());
      assert.deepEqual(pieces(p), ['driver']);
      assert.match(message(p, 'driver'), /libcuda\.so\.1 \(the driver's user-space library\) is not in LD_LIBRARY_PATH/);
    });

    it('CUDA runtime: a library the provider needs, and one needed by a library it needs (cuBLAS → cuBLASLt)', () => {
      fs.rmSync(path.join(m.cudaDir, 'libcufft.so.11'));
      fs.rmSync(path.join(m.cudaDir, 'libcublasLt.so.12'));
      let p = probeCuda(m.host());
      assert.deepEqual(pieces(p), ['cuda-runtime']);
      assert.match(message(p, 'cuda-runtime'), /^CUDA runtime libraries: libcublasLt\.so\.12, libcufft\.so\.11 not found in LD_LIBRARY_PATH \(.*\/cuda:.*\/cudnn\)/);
      // A provider that needs only cuBLAS: cuBLAS's own need of cuBLASLt is still checked.
      writeFakeElf(path.join(m.cudaDir, 'libcufft.so.11'));
      writeFakeElf(path.join(m.providerDir, 'libonnxruntime_providers_cuda.so'), ['libcublas.so.12', 'libcudnn.so.9', 'libonnxruntime_providers_shared.so']);
      p = probeCuda(m.host());
      assert.deepEqual(pieces(p), ['cuda-runtime']);
      assert.match(message(p, 'cuda-runtime'), /^CUDA runtime libraries: libcublasLt\.so\.12 not found/);
      // cuBLAS's RUNPATH is $ORIGIN: a cuBLASLt next to cuBLAS is found though that folder is on no
      // path (cuBLAS itself is found through the ldconfig cache).
      const blas = path.join(tmp, 'blas');
      fs.mkdirSync(blas);
      fs.renameSync(path.join(m.cudaDir, 'libcublas.so.12'), path.join(blas, 'libcublas.so.12'));
      writeFakeElf(path.join(blas, 'libcublasLt.so.12'));
      const host = m.host();
      p = probeCuda({ ...host, ldconfigCache: () => `${host.ldconfigCache()}\tlibcublas.so.12 (libc6,x86-64) => ${path.join(blas, 'libcublas.so.12')}\n` });
      assert.deepEqual(p.missing, []);
      assert.equal(p.found.get('libcublasLt.so.12'), path.join(blas, 'libcublasLt.so.12'));
    });

    it('cuDNN: the front library, or one of the cuDNN 9 libraries it loads', () => {
      fs.rmSync(path.join(m.cudnnDir, 'libcudnn_cnn.so.9'));
      let p = probeCuda(m.host());
      assert.deepEqual(pieces(p), ['cudnn']);
      assert.match(message(p, 'cudnn'), /^cuDNN: libcudnn_cnn\.so\.9 not found/);
      m.env.LD_LIBRARY_PATH = m.cudaDir;
      p = probeCuda(m.host());
      assert.deepEqual(pieces(p), ['cudnn']);
      assert.match(message(p, 'cudnn'), /^cuDNN: libcudnn\.so\.9 not found .*nvidia-cudnn-cu12/);
    });

    it('provider: installed without it, the env folder incomplete, or a damaged file', () => {
      delete m.env.VOCAL_SPLIT_CUDA_PROVIDER_DIR;
      let p = probeCuda(m.host());
      assert.deepEqual(pieces(p), ['provider']);
      assert.match(message(p, 'provider'), /libonnxruntime_providers_cuda\.so and libonnxruntime_providers_shared\.so not in onnxruntime-node's folder .*--onnxruntime-node-install=skip\), and VOCAL_SPLIT_CUDA_PROVIDER_DIR is not set/);
      assert.match(message(p, 'provider'), /npm install onnxruntime-node --onnxruntime-node-install=cuda12/);
      m.env.VOCAL_SPLIT_CUDA_PROVIDER_DIR = m.providerDir;
      fs.rmSync(path.join(m.providerDir, 'libonnxruntime_providers_shared.so'));
      p = probeCuda(m.host());
      assert.deepEqual(pieces(p), ['provider']);
      assert.match(message(p, 'provider'), new RegExp(`: libonnxruntime_providers_shared\\.so neither in onnxruntime-node's folder .* nor in VOCAL_SPLIT_CUDA_PROVIDER_DIR=${m.providerDir}`));
      writeFakeElf(path.join(m.providerDir, 'libonnxruntime_providers_shared.so'));
      fs.writeFileSync(path.join(m.providerDir, 'libonnxruntime_providers_cuda.so'), Buffer.alloc(100)); // a zero-filled failed download
      p = probeCuda(m.host());
      assert.deepEqual(pieces(p), ['provider']);
      assert.match(message(p, 'provider'), /libonnxruntime_providers_cuda\.so is not a usable shared library \(not an ELF file; a truncated download\?\)/);
    });

    it("the provider's $ORIGIN is onnxruntime's folder (it is loaded from there), not the folder it came from", () => {
      writeFakeElf(path.join(m.providerDir, 'libonnxruntime_providers_cuda.so'), ['libcudart.so.12', 'libcudnn.so.9', 'libonnxruntime_providers_shared.so'], ['$ORIGIN']);
      fs.renameSync(path.join(m.cudaDir, 'libcudart.so.12'), path.join(m.providerDir, 'libcudart.so.12'));
      let p = probeCuda(m.host());
      assert.deepEqual(pieces(p), ['cuda-runtime']);
      assert.match(message(p, 'cuda-runtime'), /libcudart\.so\.12 not found/);
      fs.renameSync(path.join(m.providerDir, 'libcudart.so.12'), path.join(m.ortDir, 'libcudart.so.12'));
      p = probeCuda(m.host());
      assert.deepEqual(p.missing, []);
      assert.equal(p.found.get('libcudart.so.12'), path.join(m.ortDir, 'libcudart.so.12'));
    });

    it('without a provider file it still reports which CUDA libraries are missing; other platforms are refused first', () => {
      delete m.env.VOCAL_SPLIT_CUDA_PROVIDER_DIR;
      m.env.LD_LIBRARY_PATH = m.cudnnDir;
      assert.deepEqual(pieces(probeCuda(m.host())), ['cuda-runtime', 'provider']);
      const mac = { ...m.host(), platform: 'darwin', arch: 'arm64' };
      const p = probeCuda(mac);
      assert.deepEqual(pieces(p), ['platform']);
      assert.match(cudaProbeMessage(p), /runs on Linux x64 only .* this is darwin\/arm64/);
    });
  });

  describe('provider libraries from $VOCAL_SPLIT_CUDA_PROVIDER_DIR', () => {
    it("are linked into onnxruntime-node's folder, after which the probe finds them there", () => {
      linkProviderLibraries(probeCuda(m.host()));
      for (const f of ['libonnxruntime_providers_cuda.so', 'libonnxruntime_providers_shared.so']) {
        assert.equal(fs.readlinkSync(path.join(m.ortDir, f)), path.join(m.providerDir, f));
      }
      delete m.env.VOCAL_SPLIT_CUDA_PROVIDER_DIR;
      const p = probeCuda(m.host());
      assert.deepEqual(p.missing, []);
      assert.equal(p.provider?.cuda, path.join(m.ortDir, 'libonnxruntime_providers_cuda.so'));
    });

    it('says which command to run when the folder cannot be written', () => {
      const p = probeCuda(m.host());
      fs.rmSync(m.ortDir, { recursive: true });
      fs.writeFileSync(m.ortDir, 'a file where the folder should be');
      assert.throws(() => linkProviderLibraries(p), /cannot link .*libonnxruntime_providers_cuda\.so into onnxruntime-node's folder .*run: ln -sf /);
    });
  });

  describe('selection', () => {
    let model: LoadedModel;
    beforeEach(async () => { model = await createRandomModel(path.join(tmp, 'model'), SMALL, { seed: 5 }); });

    it("cuda is the first backend and the first 'auto' tries; every node form and locale offers it", () => {
      assert.deepEqual(BACKEND_NAMES, ['cuda', 'onnx', 'tfjs-node', 'wasm', 'cpu']);
      assert.deepEqual(AUTO_ORDER, ['cuda', 'onnx', 'tfjs-node', 'wasm', 'cpu']);
      // The Backend select is filled by the editor code the nodes share (VocalSplitEditor.backendSelect).
      const editorJs = fs.readFileSync(path.join(REPO_ROOT, 'resources', 'vocal-split-editor.js'), 'utf8');
      const listed = /var BACKENDS = \[([^\]]*)\]/.exec(editorJs)?.[1] ?? '';
      assert.deepEqual([...listed.matchAll(/'([^']+)'/g)].map((x) => x[1]), ['auto', ...BACKEND_NAMES], 'the Backend select');
      for (const type of ['vocal-split', 'vocal-split-unet-mask']) {
        const def = editorDefinitions(nodeFile(type).replace(/\.js$/, '.html')).get(type);
        assert.ok(def, type);
        for (const name of ['auto', ...BACKEND_NAMES]) assert.ok(editorAccepts(def, 'backend', name), `${type} accepts ${name}`);
        assert.ok(!editorAccepts(def, 'backend', 'gpu'), `${type} refuses gpu`);
      }
      // The option labels and the error are shared strings of the vocal-split catalogue.
      for (const lang of ['en-US', 'zh-CN']) {
        const cat = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'nodes', 'vocal-split', 'locales', lang, 'vocal-split.json'), 'utf8')) as
          { common: { options: { backend: Record<string, string> }; errors: { backend: string } } };
        assert.deepEqual(Object.keys(cat.common.options.backend), ['auto', ...BACKEND_NAMES], lang);
        assert.match(cat.common.errors.backend, /cuda/);
      }
    });

    it('a machine without the pieces: forced cuda fails fast naming them all; auto falls back to onnx', async () => {
      fs.rmSync(path.join(m.procDir, 'version'));
      delete m.env.VOCAL_SPLIT_CUDA_PROVIDER_DIR;
      setCudaHost(m.host());
      await assert.rejects(createBackend(model.dir, { backend: 'cuda' }), (e: unknown) => e instanceof BackendUnavailableError &&
        /^cuda backend: missing NVIDIA driver: .*; onnxruntime's CUDA provider: /.test(e.message));
      assert.equal(cachedEngineCount(), 0);
      const auto = await createBackend(model.dir);
      try {
        assert.equal(auto.name, 'onnx');
        assert.equal(auto.batchSize, 4);
      } finally {
        await auto.dispose();
      }
    });

    it('every piece found but onnxruntime cannot start the provider: a clear error, and auto falls back to onnx', async () => {
      // The fake machine is complete, so the real onnxruntime-node is asked for its CUDA provider, from
      // its own folder, where this machine has none: session creation fails as it would on a bad install.
      setCudaHost(m.host());
      await assert.rejects(createBackend(model.dir, { backend: 'cuda' }), (e: unknown) => e instanceof BackendUnavailableError &&
        /^cuda backend: onnxruntime could not start its CUDA execution provider although every library was found \(.*Failed to load shared library.*\)\. The provider libraries must come from onnxruntime 1\./.test(e.message));
      assert.equal(fs.readlinkSync(path.join(m.ortDir, 'libonnxruntime_providers_cuda.so')), path.join(m.providerDir, 'libonnxruntime_providers_cuda.so'));
      assert.equal(cachedEngineCount(), 0);
      const auto = await createBackend(model.dir);
      try {
        assert.equal(auto.name, 'onnx');
      } finally {
        await auto.dispose();
      }
      assert.equal(cachedEngineCount(), 0);
    });

    it('this machine: probeBackends lists cuda first, with the probe\'s reason when it cannot run', async () => {
      const probes = await probeBackends();
      assert.deepEqual(probes.map((p) => p.name), BACKEND_NAMES);
      const cuda = probes[0];
      const direct = probeCuda();
      assert.equal(cuda.available, direct.available);
      if (!cuda.available) assert.equal(cuda.reason, `cuda backend: ${cudaProbeMessage(direct)}`);
    });
  });

  describe('batches', () => {
    /** A run we finish by hand; each patch's mask is 2 × its own input values, so a mis-split or mis-ordered answer shows. */
    function manualRunner(patchSize: number): { runs: number[]; finish(): void; fail(err: Error): void; run(input: Float32Array, batch: number): Promise<Float32Array> } {
      const waiting: Array<{ input: Float32Array; batch: number; resolve(m: Float32Array): void; reject(e: Error): void }> = [];
      const runs: number[] = [];
      return {
        runs,
        run(input, batch) {
          runs.push(batch);
          return new Promise((resolve, reject) => waiting.push({ input: input.slice(), batch, resolve, reject }));
        },
        finish() {
          const w = waiting.shift();
          assert.ok(w, 'a run is in progress');
          assert.equal(w.input.length, w.batch * patchSize);
          w.resolve(w.input.map((x) => 2 * x));
        },
        fail(err) {
          waiting.shift()?.reject(err);
        },
      };
    }
    const tick = (): Promise<void> => new Promise((r) => setImmediate(r));
    const patches = (first: number, n: number, size: number): Float32Array => Float32Array.from({ length: n * size }, (_, i) => first + i);

    it('calls made while a run is busy go together in the next run, up to the cap; each gets its own masks', async () => {
      const size = 3;
      const r = manualRunner(size);
      const c = new PatchCoalescer((i, b) => r.run(i, b), size, 5);
      const a = c.submit(patches(0, 1, size), 1);
      const b = c.submit(patches(100, 2, size), 2);
      const d = c.submit(patches(200, 3, size), 3);
      const e = c.submit(patches(300, 1, size), 1);
      const big = c.submit(patches(400, 7, size), 7);
      await tick();
      assert.deepEqual(r.runs, [1]);
      r.finish();
      await tick();
      assert.deepEqual(r.runs, [1, 5]); // 2 + 3 patches merged; the next (1) would pass the cap of 5
      r.finish();
      await tick();
      assert.deepEqual(r.runs, [1, 5, 1]); // the 7-patch call runs alone: larger than the cap, never merged
      r.finish();
      await tick();
      r.finish();
      const got = await Promise.all([a, b, d, e, big]);
      assert.deepEqual(r.runs, [1, 5, 1, 7]);
      const want = [patches(0, 1, size), patches(100, 2, size), patches(200, 3, size), patches(300, 1, size), patches(400, 7, size)].map((x) => x.map((v) => 2 * v));
      assert.deepEqual(got, want);
      // Copies: one caller's array is not a view of another's.
      assert.notEqual(got[1].buffer, got[2].buffer);
    });

    it('a failed run rejects only its own calls; later calls still run', async () => {
      const r = manualRunner(2);
      const c = new PatchCoalescer((i, b) => r.run(i, b), 2, 8);
      const first = c.submit(patches(0, 1, 2), 1);
      const x = c.submit(patches(10, 1, 2), 1);
      const y = c.submit(patches(20, 1, 2), 1);
      await tick();
      r.finish();
      await tick();
      r.fail(new Error('GPU out of memory'));
      await assert.rejects(x, /GPU out of memory/);
      await assert.rejects(y, /GPU out of memory/);
      assert.deepEqual(await first, patches(0, 1, 2).map((v) => 2 * v));
      const later = c.submit(patches(30, 1, 2), 1);
      await tick();
      r.finish();
      assert.deepEqual(await later, patches(30, 1, 2).map((v) => 2 * v));
      await assert.rejects(c.submit(new Float32Array(3), 1), /expected 1 patches of 2 values, got 3/);
    });

    it('merged onnx runs give each caller the masks it would get alone (the real engine)', async function () {
      const model = await createRandomModel(path.join(tmp, 'm2'), SMALL, { seed: 9 });
      const engine = await OnnxEngine.create(model, 1);
      try {
        const merged = coalescing(engine, 16);
        const per = 64 * 64;
        const inputs = [1, 3, 2, 4].map((n, k) => randomInput(n * per, 11 + k));
        const together = await Promise.all(inputs.map((x) => merged.predictMask(x, x.length / per)));
        for (let k = 0; k < inputs.length; k++) {
          const alone = await engine.predictMask(inputs[k], inputs[k].length / per);
          assert.ok(maxAbsDiff(together[k], alone) < 1e-6, `call ${k}`);
        }
      } finally {
        await engine.dispose();
      }
    });

    it("the batch size is the backend's: separate() and the stream batcher follow it", async () => {
      const backend = { ...fixedMaskBackend(SMALL, () => 1), batchSize: 3 };
      const fixed = fixedMaskBackend(SMALL, () => 1);
      const gpuLike = { ...fixed, batchSize: 3 };
      await separate({ sampleRate: 44100, channels: [randomInput(5 * 44100, 3)] }, gpuLike); // 215 frames: 5 patches of 64
      assert.deepEqual(fixed.calls, [3, 2]);
      assert.equal(new MaskBatcher({ ...backend, batchSize: 64 }).maxBatch, 64);
      assert.equal(new MaskBatcher({ ...backend, batchSize: 1 }).maxBatch, 8);
    });
  });

  describe('vocal-split info --backends', () => {
    const CLI = path.join(REPO_ROOT, 'dist', 'bin', 'vocal-split.js');
    const run = (args: string[], env: NodeJS.ProcessEnv = process.env): { code: number | null; stdout: string; stderr: string } => {
      const r = spawnSync(process.execPath, [CLI, 'info', ...args], { cwd: REPO_ROOT, encoding: 'utf8', env, timeout: 30000 });
      return { code: r.status, stdout: r.stdout, stderr: r.stderr };
    };

    it('lists each backend, whether it works here and why not, and what auto picks', function () {
      const r = run(['--backends']);
      assert.equal(r.code, 0, r.stderr);
      const direct = probeCuda();
      const lines = r.stdout.split('\n');
      for (const name of BACKEND_NAMES) assert.ok(lines.some((l) => new RegExp(`^${name}\\s+(yes|no: .+)$`).test(l)), name);
      assert.match(r.stdout, /^wasm\s+yes$/m);
      assert.match(r.stdout, /^auto picks: (cuda|onnx|tfjs-node|wasm)$/m);
      if (!direct.available) {
        assert.match(r.stdout, /^cuda\s+no: missing .*\(see below\)$/m);
        for (const miss of direct.missing) assert.ok(r.stdout.includes(`  MISSING ${miss.message}`), miss.piece);
      }
      if (!fs.existsSync('/proc/driver/nvidia/version')) {
        assert.match(r.stdout, /^ {2}MISSING NVIDIA driver: \/proc\/driver\/nvidia\/version is absent/m);
      }
    });

    it('--json; provider and CUDA libraries from the environment are reported found, the driver still missing here', function () {
      if (fs.existsSync('/proc/driver/nvidia/version')) this.skip(); // a GPU machine: the driver piece would be found
      const env = { ...process.env, LD_LIBRARY_PATH: `${m.cudaDir}:${m.cudnnDir}`, VOCAL_SPLIT_CUDA_PROVIDER_DIR: m.providerDir };
      const r = run(['--backends', '--json'], env);
      assert.equal(r.code, 0, r.stderr);
      const report = JSON.parse(r.stdout) as { auto: string; backends: Array<{ name: string; available: boolean; reason?: string }>; cuda: { pieces: Record<string, string | null>; found: Record<string, string>; providerDirEnv: string } };
      assert.equal(report.cuda.providerDirEnv, m.providerDir);
      assert.equal(report.cuda.pieces.provider, null);
      assert.equal(report.cuda.pieces['cuda-runtime'], null);
      assert.equal(report.cuda.pieces.cudnn, null);
      assert.match(report.cuda.pieces.driver ?? '', /^NVIDIA driver: \/proc\/driver\/nvidia\/version is absent/);
      assert.equal(report.cuda.found['libcudnn.so.9'], path.join(m.cudnnDir, 'libcudnn.so.9'));
      assert.equal(report.backends[0].name, 'cuda');
      assert.match(report.backends[0].reason ?? '', /^cuda backend: missing NVIDIA driver: /);
      assert.doesNotMatch(report.backends[0].reason ?? '', /CUDA runtime|cuDNN|provider/);
      assert.equal(run(['--backends', 'song.wav']).code, 1);
    });
  });
});
