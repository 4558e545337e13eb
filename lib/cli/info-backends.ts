/** `vocal-split info --backends`: which inference backends work on this machine, and why the others do not. */
import { describeFftEngine, loadFastFft } from '../dsp/fft-engine';
import { AUTO_ORDER, probeBackends, type BackendProbe } from '../model/backends';
import { CUDA_PROVIDER_DIR_ENV, probeCuda, type CudaPiece, type CudaProbe } from '../model/backends/cuda-probe';

/** What `info --backends --json` prints. */
export interface BackendsReport {
  backends: BackendProbe[];
  /** The backend `auto` takes here (null: none works). */
  auto: string | null;
  /** The FFT the STFT and iSTFT run on here (PFFFT, or fft.js and why). */
  fft: string;
  cuda: {
    /** onnxruntime-node's native folder, where onnxruntime loads its CUDA provider from. */
    ortDir: string;
    providerDirEnv: string | null;
    /** Each piece the cuda backend needs: null when found, else why not. */
    pieces: Record<Exclude<CudaPiece, 'platform'>, string | null>;
    /** Libraries found: soname → path. */
    found: Record<string, string>;
  };
}

const PIECES: ReadonlyArray<[Exclude<CudaPiece, 'platform'>, string]> = [
  ['driver', 'NVIDIA driver'], ['cuda-runtime', 'CUDA runtime'], ['cudnn', 'cuDNN'], ['provider', 'onnxruntime CUDA provider'],
];

export async function backendsReport(cuda: CudaProbe = probeCuda()): Promise<BackendsReport> {
  const backends = await probeBackends();
  await loadFastFft();
  const works = new Set(backends.filter((b) => b.available).map((b) => b.name));
  const pieces = Object.fromEntries(PIECES.map(([piece]) => {
    const why = cuda.missing.filter((m) => m.piece === piece || m.piece === 'platform').map((m) => m.message);
    return [piece, why.length ? why.join('; ') : null];
  })) as BackendsReport['cuda']['pieces'];
  return {
    backends,
    auto: AUTO_ORDER.find((n) => works.has(n)) ?? null,
    fft: describeFftEngine(),
    cuda: {
      ortDir: cuda.ortDir,
      providerDirEnv: process.env[CUDA_PROVIDER_DIR_ENV] ?? null,
      pieces,
      found: Object.fromEntries(cuda.found),
    },
  };
}

export function formatBackendsReport(r: BackendsReport): string[] {
  const missingPieces = PIECES.filter(([piece]) => r.cuda.pieces[piece] !== null).map(([, label]) => label);
  const why = (b: BackendProbe): string => (b.name === 'cuda' && missingPieces.length ? `missing ${missingPieces.join(', ')} (see below)` : b.reason ?? 'unknown reason');
  const lines = ['backend    works here', ...r.backends.map((b) => `${b.name.padEnd(10)} ${b.available ? 'yes' : `no: ${why(b)}`}`)];
  lines.push(`auto picks: ${r.auto ?? 'nothing (no backend works here)'}`);
  lines.push(`FFT (STFT and iSTFT): ${r.fft}`);
  lines.push('', 'cuda backend, piece by piece:');
  for (const [piece, label] of PIECES) {
    const reason = r.cuda.pieces[piece];
    lines.push(reason === null ? `  ${label}: found` : `  MISSING ${reason}`);
  }
  for (const [soname, at] of Object.entries(r.cuda.found)) lines.push(`  found ${soname} at ${at}`);
  lines.push(`  provider folder (onnxruntime-node): ${r.cuda.ortDir}`);
  lines.push(`  ${CUDA_PROVIDER_DIR_ENV}: ${r.cuda.providerDirEnv ?? '(not set)'}`);
  return lines;
}
