/**
 * A machine's CUDA pieces as folders of fake libraries: real (tiny) ELF64 shared-object headers
 * whose DT_NEEDED / DT_RUNPATH say what each needs, so the probe's dependency walk runs as on a
 * real machine. Each test removes or moves one piece and checks the probe names exactly that one.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CudaHost } from '../../lib/model/backends/cuda-probe';

/** Writes an ELF64 little-endian header with one PT_LOAD, a PT_DYNAMIC and the given entries. */
export function writeFakeElf(file: string, needed: readonly string[] = [], runpath: readonly string[] = []): void {
  const strings: number[] = [0];
  const str = (s: string): number => {
    const at = strings.length;
    strings.push(...Buffer.from(s, 'utf8'), 0);
    return at;
  };
  const entries: Array<[number, number]> = needed.map((n) => [1, str(n)]);
  if (runpath.length) entries.push([29, str(runpath.join(':'))]);
  const dynOffset = 64 + 2 * 56;
  const dynSize = (entries.length + 3) * 16; // + DT_STRTAB, DT_STRSZ, DT_NULL
  const strOffset = dynOffset + dynSize;
  const size = strOffset + strings.length;
  const vbase = 0x400000; // a non-zero load address, so DT_STRTAB must be mapped back to a file offset
  entries.push([5, vbase + strOffset], [10, strings.length], [0, 0]);
  const b = Buffer.alloc(size);
  b.writeUInt32BE(0x7f454c46, 0);
  b[4] = 2; // 64-bit
  b[5] = 1; // little endian
  b[6] = 1;
  b.writeUInt16LE(3, 16); // ET_DYN
  b.writeUInt16LE(62, 18); // x86-64
  b.writeBigUInt64LE(64n, 0x20); // e_phoff
  b.writeUInt16LE(64, 0x34);
  b.writeUInt16LE(56, 0x36);
  b.writeUInt16LE(2, 0x38);
  const phdr = (at: number, type: number, offset: number, vaddr: number, filesz: number): void => {
    b.writeUInt32LE(type, at);
    b.writeBigUInt64LE(BigInt(offset), at + 8);
    b.writeBigUInt64LE(BigInt(vaddr), at + 16);
    b.writeBigUInt64LE(BigInt(vaddr), at + 24);
    b.writeBigUInt64LE(BigInt(filesz), at + 32);
    b.writeBigUInt64LE(BigInt(filesz), at + 40);
  };
  phdr(64, 1, 0, vbase, size);
  phdr(64 + 56, 2, dynOffset, vbase + dynOffset, dynSize);
  entries.forEach(([tag, value], i) => {
    b.writeBigInt64LE(BigInt(tag), dynOffset + 16 * i);
    b.writeBigUInt64LE(BigInt(value), dynOffset + 16 * i + 8);
  });
  Buffer.from(strings).copy(b, strOffset);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, b);
}

/** What onnxruntime 1.x's CUDA 12 provider needs (as readelf -d shows it), plus a system library. */
export const PROVIDER_NEEDS = [
  'libcublasLt.so.12', 'libcublas.so.12', 'libcudnn.so.9', 'libcurand.so.10', 'libcufft.so.11', 'libcudart.so.12',
  'libonnxruntime_providers_shared.so', 'libstdc++.so.6',
];

export interface FakeCudaMachine {
  root: string;
  /** onnxruntime-node's native folder on this machine (empty at first). */
  ortDir: string;
  /** Where the provider libraries are ($VOCAL_SPLIT_CUDA_PROVIDER_DIR). */
  providerDir: string;
  cudaDir: string;
  cudnnDir: string;
  driverDir: string;
  procDir: string;
  env: Record<string, string | undefined>;
  host(): CudaHost;
}

/**
 * A complete machine: driver in /proc and libcuda.so.1 in the ldconfig cache, CUDA 12 and cuDNN 9
 * in their own folders on LD_LIBRARY_PATH, provider libraries in $VOCAL_SPLIT_CUDA_PROVIDER_DIR.
 */
export function fakeCudaMachine(root: string): FakeCudaMachine {
  const dir = (name: string): string => {
    const d = path.join(root, name);
    fs.mkdirSync(d, { recursive: true });
    return d;
  };
  const m: FakeCudaMachine = {
    root,
    ortDir: dir('ort'),
    providerDir: dir('provider'),
    cudaDir: dir('cuda'),
    cudnnDir: dir('cudnn'),
    driverDir: dir('driver'),
    procDir: dir('proc-nvidia'),
    env: {},
    host: () => ({
      platform: 'linux',
      arch: 'x64',
      env: m.env,
      ortDir: m.ortDir,
      nvidiaProcDir: m.procDir,
      // The 32-bit entry first, as ldconfig may list it: the probe must take the x86-64 one.
      ldconfigCache: () => `3 libs found in cache \`/etc/ld.so.cache'\n\tlibcuda.so.1 (libc6) => /usr/lib32/libcuda.so.1\n` +
        `\tlibcuda.so.1 (libc6,x86-64) => ${path.join(m.driverDir, 'libcuda.so.1')}\n\tlibz.so.1 (libc6,x86-64) => /lib/x86_64-linux-gnu/libz.so.1\n`,
      systemDirs: [dir('system')],
    }),
  };
  writeFakeElf(path.join(m.providerDir, 'libonnxruntime_providers_cuda.so'), PROVIDER_NEEDS);
  writeFakeElf(path.join(m.providerDir, 'libonnxruntime_providers_shared.so'), ['libc.so.6']);
  for (const lib of ['libcudart.so.12', 'libcublasLt.so.12', 'libcufft.so.11', 'libcurand.so.10']) writeFakeElf(path.join(m.cudaDir, lib), ['libc.so.6']);
  writeFakeElf(path.join(m.cudaDir, 'libcublas.so.12'), ['libcublasLt.so.12', 'libc.so.6'], ['$ORIGIN']);
  for (const lib of ['libcudnn.so.9', 'libcudnn_graph.so.9', 'libcudnn_ops.so.9', 'libcudnn_cnn.so.9', 'libcudnn_engines_precompiled.so.9']) {
    writeFakeElf(path.join(m.cudnnDir, lib), ['libc.so.6'], ['$ORIGIN']);
  }
  writeFakeElf(path.join(m.driverDir, 'libcuda.so.1'), ['libc.so.6']);
  fs.writeFileSync(path.join(m.procDir, 'version'), 'NVRM version: NVIDIA UNIX x86_64 Kernel Module  550.00\n');
  fs.mkdirSync(path.join(m.procDir, 'gpus', '0000:00:04.0'), { recursive: true });
  m.env = { LD_LIBRARY_PATH: `${m.cudaDir}:${m.cudnnDir}`, VOCAL_SPLIT_CUDA_PROVIDER_DIR: m.providerDir };
  return m;
}
