/**
 * Can onnxruntime-node's CUDA execution provider start here, and if not, which piece is missing?
 * Answered without loading anything: onnxruntime only says "failed to load shared library" when a
 * piece is absent, so we look for each file where the dynamic loader would: the provider in
 * onnxruntime-node's native folder (onnxruntime loads providers from the folder of
 * libonnxruntime.so.1, nowhere else), the libraries the provider needs (read from its ELF header)
 * through its RUNPATH, LD_LIBRARY_PATH, the ldconfig cache and the system folders, and the driver
 * in /proc and libcuda.so.1.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readElfDynamic, type ElfDynamic } from './elf';

/** An environment variable naming a folder that holds the two provider libraries (see README). */
export const CUDA_PROVIDER_DIR_ENV = 'VOCAL_SPLIT_CUDA_PROVIDER_DIR';
export const CUDA_PROVIDER = 'libonnxruntime_providers_cuda.so';
export const SHARED_PROVIDER = 'libonnxruntime_providers_shared.so';
export const CUDA_DRIVER_LIBRARY = 'libcuda.so.1';
/**
 * What onnxruntime's CUDA 12 provider needs when its own file cannot be read (so a machine without
 * the provider still hears which CUDA pieces it lacks). Its ELF header is the authority when present.
 */
export const CUDA12_PROVIDER_NEEDS: readonly string[] = [
  'libcudart.so.12', 'libcublas.so.12', 'libcublasLt.so.12', 'libcufft.so.11', 'libcurand.so.10', 'libcudnn.so.9',
];
/** cuDNN 9's front library loads these by name when the first convolution runs. */
export const CUDNN9_SUBLIBRARIES: readonly string[] = [
  'libcudnn_graph.so.9', 'libcudnn_ops.so.9', 'libcudnn_cnn.so.9', 'libcudnn_engines_precompiled.so.9',
];

/** The piece a missing file belongs to, in the order people install them. */
export type CudaPiece = 'platform' | 'driver' | 'cuda-runtime' | 'cudnn' | 'provider';

export interface CudaMissing {
  piece: CudaPiece;
  /** One sentence: what is missing, where it was looked for, how to get it. */
  message: string;
}

export interface CudaProbe {
  available: boolean;
  /** Every missing piece (empty when available), in CudaPiece order. */
  missing: CudaMissing[];
  /** onnxruntime-node's native folder: where onnxruntime loads the providers from. */
  ortDir: string;
  /** Where the two provider libraries were found (undefined: not found). */
  provider?: { cuda: string; shared: string };
  /** The CUDA, cuDNN and driver libraries found: soname → path. */
  found: Map<string, string>;
}

/** What the probe reads from the machine; tests pass folders of fake files instead. */
export interface CudaHost {
  platform: string;
  arch: string;
  env: Readonly<Record<string, string | undefined>>;
  /** onnxruntime-node's native folder (bin/napi-v6/<platform>/<arch>). */
  ortDir: string;
  /** /proc/driver/nvidia on Linux. */
  nvidiaProcDir: string;
  /** The output of `ldconfig -p` ('' when ldconfig cannot be run). */
  ldconfigCache(): string;
  /** Folders the loader searches last. */
  systemDirs: readonly string[];
}

let hostOverride: CudaHost | undefined;

/** Simulates another machine (tests); undefined: this one again. */
export function setCudaHost(host: CudaHost | undefined): void {
  hostOverride = host;
}

const SYSTEM_DIRS = ['/lib/x86_64-linux-gnu', '/usr/lib/x86_64-linux-gnu', '/lib64', '/usr/lib64', '/lib', '/usr/lib', '/usr/local/cuda/lib64'];
let ldconfigText: string | undefined;

/** onnxruntime-node's native folder, as its binding.js computes it. */
export function onnxruntimeNativeDir(): string {
  const dist = path.dirname(require.resolve('onnxruntime-node'));
  return path.join(dist, '..', 'bin', 'napi-v6', process.platform, process.arch);
}

/** This machine, as the dynamic loader of this process sees it. */
export function currentCudaHost(): CudaHost {
  return {
    platform: process.platform,
    arch: process.arch,
    env: process.env,
    ortDir: onnxruntimeNativeDir(),
    nvidiaProcDir: '/proc/driver/nvidia',
    ldconfigCache: () => {
      if (ldconfigText === undefined) {
        ldconfigText = '';
        for (const bin of ['ldconfig', '/sbin/ldconfig', '/usr/sbin/ldconfig']) {
          try {
            ldconfigText = execFileSync(bin, ['-p'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 });
            break;
          } catch {
            // not on PATH, or not allowed: try the next, else go without the cache
          }
        }
      }
      return ldconfigText;
    },
    systemDirs: SYSTEM_DIRS,
  };
}

/** `ldconfig -p` lines "\tlibcuda.so.1 (libc6,x86-64) => /usr/lib/x86_64-linux-gnu/libcuda.so.1", 64-bit only. */
function parseLdconfig(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^\s*(\S+)\s+\(([^)]*)\)\s+=>\s+(\S.*)$/.exec(line);
    if (m && /x86-64/.test(m[2]) && !out.has(m[1])) out.set(m[1], m[3].trim());
  }
  return out;
}

function isFile(p: string): boolean {
  try {
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

const classify = (soname: string): CudaPiece =>
  /^libcudnn/.test(soname) ? 'cudnn' : soname === CUDA_DRIVER_LIBRARY ? 'driver' : /^libonnxruntime/.test(soname) ? 'provider' : 'cuda-runtime';

/** Resolves sonames the way ld.so does for one object, and remembers what it searched. */
class Resolver {
  private readonly cache: Map<string, string>;
  private readonly ldPath: string[];

  constructor(private readonly host: CudaHost) {
    this.cache = parseLdconfig(host.ldconfigCache());
    this.ldPath = (host.env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean);
  }

  /** `soname` as needed by an object in `originDir` with that object's dynamic section (if known). */
  find(soname: string, originDir?: string, elf?: ElfDynamic): string | undefined {
    const expand = (dirs: string[]): string[] => (originDir ? dirs.map((d) => d.replace(/\$\{?ORIGIN\}?/g, originDir)) : dirs.filter((d) => !d.includes('ORIGIN')));
    // ld.so's order: DT_RPATH (only without DT_RUNPATH), LD_LIBRARY_PATH, DT_RUNPATH, cache, system.
    const dirs = [
      ...(elf && elf.runpath.length === 0 ? expand(elf.rpath) : []),
      ...this.ldPath,
      ...(elf ? expand(elf.runpath) : []),
    ];
    for (const dir of dirs) if (isFile(path.join(dir, soname))) return path.join(dir, soname);
    const cached = this.cache.get(soname);
    if (cached && isFile(cached)) return cached;
    for (const dir of this.host.systemDirs) if (isFile(path.join(dir, soname))) return path.join(dir, soname);
    return undefined;
  }

  /** Where find() looked, for messages. */
  describe(): string {
    const ld = this.ldPath.length ? `LD_LIBRARY_PATH (${this.ldPath.join(':')})` : 'LD_LIBRARY_PATH (not set)';
    return `${ld}, the ldconfig cache${this.cache.size ? '' : ' (empty or unavailable)'} or the system folders (${this.host.systemDirs.join(', ')})`;
  }
}

function readElf(file: string): ElfDynamic | Error {
  try {
    return readElfDynamic(file);
  } catch (err) {
    return err instanceof Error ? err : new Error(String(err));
  }
}

/** The provider libraries: in onnxruntime's folder, else in $VOCAL_SPLIT_CUDA_PROVIDER_DIR. */
function findProvider(host: CudaHost, missing: CudaMissing[]): CudaProbe['provider'] {
  const envDir = host.env[CUDA_PROVIDER_DIR_ENV]?.trim();
  const locate = (file: string): string | undefined => {
    if (isFile(path.join(host.ortDir, file))) return path.join(host.ortDir, file);
    if (envDir && isFile(path.join(envDir, file))) return path.join(envDir, file);
    return undefined;
  };
  const cuda = locate(CUDA_PROVIDER);
  const shared = locate(SHARED_PROVIDER);
  if (cuda && shared) return { cuda, shared };
  const absent = [cuda ? undefined : CUDA_PROVIDER, shared ? undefined : SHARED_PROVIDER].filter(Boolean).join(' and ');
  const where = envDir
    ? `neither in onnxruntime-node's folder ${host.ortDir} nor in ${CUDA_PROVIDER_DIR_ENV}=${envDir}`
    : `not in onnxruntime-node's folder ${host.ortDir} (installed without it: offline, or with --onnxruntime-node-install=skip), and ${CUDA_PROVIDER_DIR_ENV} is not set`;
  missing.push({
    piece: 'provider',
    message: `onnxruntime's CUDA provider: ${absent} ${where}. Get it with \`npm install onnxruntime-node --onnxruntime-node-install=cuda12\`, ` +
      `or point ${CUDA_PROVIDER_DIR_ENV} at a folder holding both files from the same onnxruntime version ` +
      '(onnxruntime-gpu wheel: onnxruntime/capi/; NuGet Microsoft.ML.OnnxRuntime.Gpu.Linux: runtimes/linux-x64/native/)',
  });
  return undefined;
}

function checkDriver(host: CudaHost, resolver: Resolver, found: Map<string, string>, missing: CudaMissing[]): void {
  const reasons: string[] = [];
  const version = path.join(host.nvidiaProcDir, 'version');
  if (!isFile(version)) {
    reasons.push(`${version} is absent (no NVIDIA kernel driver loaded; in a container, start it with the GPU passed through, e.g. docker run --gpus all)`);
  } else {
    const gpus = path.join(host.nvidiaProcDir, 'gpus');
    let count = -1;
    try {
      count = fs.readdirSync(gpus).length;
    } catch {
      // older drivers have no gpus/ folder: do not judge
    }
    if (count === 0) reasons.push(`the driver is loaded but ${gpus} lists no GPU`);
  }
  const lib = resolver.find(CUDA_DRIVER_LIBRARY);
  if (lib) found.set(CUDA_DRIVER_LIBRARY, lib);
  else reasons.push(`${CUDA_DRIVER_LIBRARY} (the driver's user-space library) is not in ${resolver.describe()}`);
  if (reasons.length) missing.push({ piece: 'driver', message: `NVIDIA driver: ${reasons.join('; ')}` });
}

/**
 * The provider's CUDA and cuDNN libraries, and theirs in turn (libcublas needs libcublasLt, ...),
 * each resolved from the folder of the object that needs it.
 */
function checkLibraries(provider: CudaProbe['provider'], host: CudaHost, resolver: Resolver, found: Map<string, string>, missing: CudaMissing[]): void {
  const absent = new Map<CudaPiece, Set<string>>();
  const note = (soname: string): void => {
    const piece = classify(soname);
    if (!absent.has(piece)) absent.set(piece, new Set());
    absent.get(piece)?.add(soname);
  };
  // onnxruntime loads the shared provider (RTLD_GLOBAL) before the CUDA one, so the CUDA provider's
  // need for it is met by the file findProvider() found, wherever that is.
  const visited = new Set<string>(provider ? [SHARED_PROVIDER] : []);
  const walk = (needs: readonly string[], originDir: string | undefined, elf: ElfDynamic | undefined): void => {
    for (const soname of needs) {
      // Only the GPU stack: libc, libstdc++ and friends are the system's business.
      if (!/^lib(cu|nv|onnxruntime_providers)/.test(soname) || visited.has(soname)) continue;
      visited.add(soname);
      const at = resolver.find(soname, originDir, elf);
      if (!at) {
        note(soname);
        continue;
      }
      found.set(soname, at);
      const own = readElf(at);
      const ownElf = own instanceof Error ? undefined : own;
      if (ownElf) walk(ownElf.needed, path.dirname(at), ownElf);
      if (soname === 'libcudnn.so.9') walk(CUDNN9_SUBLIBRARIES, path.dirname(at), ownElf);
    }
  };
  if (provider) {
    const elf = readElf(provider.cuda);
    if (elf instanceof Error) {
      missing.push({ piece: 'provider', message: `onnxruntime's CUDA provider: ${provider.cuda} is not a usable shared library (${elf.message}; a truncated download?)` });
      walk(CUDA12_PROVIDER_NEEDS, undefined, undefined);
    } else {
      // onnxruntime loads the provider from its own folder, so that is the provider's $ORIGIN.
      walk(elf.needed, host.ortDir, elf);
    }
  } else {
    walk(CUDA12_PROVIDER_NEEDS, undefined, undefined);
  }
  const list = (piece: CudaPiece): string => [...(absent.get(piece) ?? [])].join(', ');
  if (absent.has('cuda-runtime')) {
    missing.push({
      piece: 'cuda-runtime',
      message: `CUDA runtime libraries: ${list('cuda-runtime')} not found in ${resolver.describe()}. Install the CUDA runtime, cuBLAS, cuFFT and cuRAND ` +
        'of the CUDA major version in those names (onnxruntime-node\'s own provider: CUDA 12; Debian/Ubuntu with NVIDIA\'s repository: cuda-cudart-12-x libcublas-12-x libcufft-12-x libcurand-12-x; ' +
        'pip: nvidia-cuda-runtime-cu12 nvidia-cublas-cu12 nvidia-cufft-cu12 nvidia-curand-cu12) and put their lib folders on LD_LIBRARY_PATH before node starts',
    });
  }
  if (absent.has('cudnn')) {
    missing.push({
      piece: 'cudnn',
      message: `cuDNN: ${list('cudnn')} not found in ${resolver.describe()}. Install cuDNN 9 for the provider's CUDA version (CUDA 12: apt libcudnn9-cuda-12, pip nvidia-cudnn-cu12) and put its lib folder on LD_LIBRARY_PATH before node starts`,
    });
  }
  if (absent.has('provider')) {
    missing.push({ piece: 'provider', message: `onnxruntime's CUDA provider needs ${list('provider')}, not found next to it (${host.ortDir}) nor in ${resolver.describe()}` });
  }
}

const ORDER: readonly CudaPiece[] = ['platform', 'driver', 'cuda-runtime', 'cudnn', 'provider'];

/** Everything the cuda backend needs, checked on `host` (default: this machine, or setCudaHost's). Never throws. */
export function probeCuda(host: CudaHost = hostOverride ?? currentCudaHost()): CudaProbe {
  const missing: CudaMissing[] = [];
  const found = new Map<string, string>();
  if (host.platform !== 'linux' || host.arch !== 'x64') {
    missing.push({ piece: 'platform', message: `the cuda backend runs on Linux x64 only (onnxruntime-node ships its CUDA provider for no other platform); this is ${host.platform}/${host.arch}` });
    return { available: false, missing, ortDir: host.ortDir, found };
  }
  const resolver = new Resolver(host);
  const provider = findProvider(host, missing);
  checkDriver(host, resolver, found, missing);
  checkLibraries(provider, host, resolver, found, missing);
  missing.sort((a, b) => ORDER.indexOf(a.piece) - ORDER.indexOf(b.piece));
  return { available: missing.length === 0, missing, ortDir: host.ortDir, provider, found };
}

/** One line for errors and `info --backends`: every missing piece, most basic first. */
export function cudaProbeMessage(probe: CudaProbe): string {
  return probe.available ? 'all pieces found' : `missing ${probe.missing.map((m) => m.message).join('; ')}`;
}

/**
 * onnxruntime looks for its providers only next to libonnxruntime.so.1: link the ones found
 * elsewhere ($VOCAL_SPLIT_CUDA_PROVIDER_DIR) into that folder. Throws an Error with the commands to
 * run by hand when the folder is not writable.
 */
export function linkProviderLibraries(probe: CudaProbe): void {
  if (!probe.provider) return;
  for (const file of [probe.provider.cuda, probe.provider.shared]) {
    const target = path.join(probe.ortDir, path.basename(file));
    if (path.resolve(file) === path.resolve(target)) continue;
    try {
      fs.rmSync(target, { force: true }); // a dangling link left by an earlier folder
      fs.symlinkSync(path.resolve(file), target);
    } catch (err) {
      throw new Error(`cannot link ${file} into onnxruntime-node's folder ${probe.ortDir} (${(err as Error).message}); ` +
        `run: ln -sf ${path.resolve(file)} ${target}`);
    }
  }
}
