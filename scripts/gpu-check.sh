#!/usr/bin/env bash
# The cuda backend on a real NVIDIA GPU, in one go (one device call; no internet there):
#   1. a Node.js and node_modules: the machine's own, else .gpu-check/ made by scripts/gpu-pack.sh here;
#   2. the CUDA, cuDNN and driver libraries the machine has (pip nvidia-* wheels, /usr/local/cuda*,
#      the driver's folder): their folders go on LD_LIBRARY_PATH;
#   3. onnxruntime's CUDA provider (libonnxruntime_providers_cuda.so + _shared.so, the version of
#      onnxruntime-node, 1.30.0): $VOCAL_SPLIT_CUDA_PROVIDER_DIR if set, else an onnxruntime-gpu
#      install, an onnxruntime_gpu wheel in a pip cache or a NuGet cache on the machine, or .gpu-check/provider/;
#   4. `vocal-split info --backends`: what works and what is missing;
#   5. `bench/cuda_bench`: parity of cuda vs cpu masks on models/default (≤ 1e-3, else exit 1), patches/s,
#      a 3-minute stereo song end to end with the CPU side alone beside it, simultaneous live streams.
# Exit code: 0 all ran and parity held; 1 parity failed; 2 setup failed; 3 the cuda backend cannot run here
# (step 4 says which piece is missing). Needs dist/ (npm run build) sent along with the tree.
set -uo pipefail
cd "$(dirname "$0")/.."
work=${GPU_CHECK_WORK:-/tmp/vocal-split-gpu-check}
mkdir -p "$work"
say() { printf '\n== %s\n' "$*"; }

say "machine"
nvidia-smi -L 2>/dev/null || echo "nvidia-smi: not available"
nvidia-smi --query-gpu=driver_version,memory.total --format=csv,noheader 2>/dev/null || true
nproc; uname -m

say "node"
NODE=""
if command -v node >/dev/null 2>&1 && node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 18 ? 0 : 1)'; then
  NODE=$(command -v node)
elif [ -f .gpu-check/node.xz ]; then
  xz -dc .gpu-check/node.xz > "$work/node" && chmod +x "$work/node" && NODE="$work/node"
fi
[ -n "$NODE" ] || { echo "no Node.js >= 18 here and no .gpu-check/node.xz (run scripts/gpu-pack.sh before the device call)"; exit 2; }
"$NODE" --version || exit 2
if [ ! -f node_modules/onnxruntime-node/package.json ]; then
  [ -f .gpu-check/node_modules.tar.xz ] || { echo "no node_modules and no .gpu-check/node_modules.tar.xz"; exit 2; }
  [ -L node_modules ] && rm -f node_modules # a link to a folder of the machine it was made on
  tar -xJf .gpu-check/node_modules.tar.xz || exit 2
fi
[ -f dist/bench/cuda_bench.js ] || { echo "dist/ is missing: run npm run build and send dist along"; exit 2; }

say "CUDA, cuDNN and driver libraries on this machine"
roots=(/usr/local/nvidia /usr/local/cuda /usr/local/cuda-* /usr/lib/x86_64-linux-gnu /opt /usr/local/lib)
for py in python3 /opt/torch/.venv/bin/python3; do
  command -v "$py" >/dev/null 2>&1 || continue
  while IFS= read -r d; do [ -n "$d" ] && roots+=("$d"); done < <("$py" -c 'import site, sys; print("\n".join(site.getsitepackages() + [site.getusersitepackages()]))' 2>/dev/null)
done
libdirs=$(find "${roots[@]}" -maxdepth 6 \( -name 'libcuda.so.1' -o -name 'libcudart.so.*' -o -name 'libcublas.so.*' -o -name 'libcublasLt.so.*' \
  -o -name 'libcufft.so.*' -o -name 'libcurand.so.*' -o -name 'libcudnn.so.*' -o -name 'libcudnn_*.so.*' \) 2>/dev/null | xargs -r -n1 dirname | sort -u)
for d in $libdirs; do echo "  $d: $(cd "$d" && ls | grep -E '^lib(cuda|cudart|cublas|cublasLt|cufft|curand|cudnn)[._]' | tr '\n' ' ')"; done
LD_LIBRARY_PATH="$(echo "$libdirs" | paste -sd: -)${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export LD_LIBRARY_PATH

say "onnxruntime's CUDA provider"
ort_version=$("$NODE" -p 'require("onnxruntime-node/package.json").version' 2>/dev/null)
echo "onnxruntime-node $ort_version: its provider must be onnxruntime $ort_version's"
if [ -z "${VOCAL_SPLIT_CUDA_PROVIDER_DIR:-}" ]; then
  candidates=()
  [ -f .gpu-check/provider/libonnxruntime_providers_cuda.so ] && candidates+=("$PWD/.gpu-check/provider")
  for r in "${roots[@]}" "$HOME/.nuget/packages"; do
    while IFS= read -r f; do candidates+=("$(dirname "$f")"); done < <(find "$r" -maxdepth 8 -name libonnxruntime_providers_cuda.so 2>/dev/null)
  done
  # An onnxruntime_gpu wheel left in a cache: unpack its provider libraries.
  while IFS= read -r whl; do
    echo "  wheel: $whl"
    d="$work/provider-$(basename "$whl" .whl)"
    mkdir -p "$d" && (cd "$d" && "${PYTHON:-python3}" -m zipfile -e "$whl" . >/dev/null 2>&1) &&
      candidates+=("$(dirname "$(find "$d" -name libonnxruntime_providers_cuda.so | head -1)")")
  done < <(find "$HOME/.cache/pip" /root/.cache/pip /tmp -maxdepth 6 -name 'onnxruntime_gpu-*.whl' 2>/dev/null)
  for c in "${candidates[@]}"; do
    [ -f "$c/libonnxruntime_providers_shared.so" ] || continue
    echo "  found: $c"
    if [ -z "${VOCAL_SPLIT_CUDA_PROVIDER_DIR:-}" ] || echo "$c" | grep -q "$ort_version"; then export VOCAL_SPLIT_CUDA_PROVIDER_DIR="$c"; fi
  done
fi
echo "VOCAL_SPLIT_CUDA_PROVIDER_DIR=${VOCAL_SPLIT_CUDA_PROVIDER_DIR:-(none found)}"
if [ -n "${VOCAL_SPLIT_CUDA_PROVIDER_DIR:-}" ]; then
  ldd "$VOCAL_SPLIT_CUDA_PROVIDER_DIR/libonnxruntime_providers_cuda.so" 2>/dev/null | grep -E 'cuda|cublas|cufft|curand|cudnn|not found' || true
fi

say "vocal-split info --backends"
"$NODE" dist/bin/vocal-split.js info --backends

say "cuda bench: parity, patches/s, a 3-minute song, live streams"
timeout "${GPU_CHECK_TIMEOUT:-480}" "$NODE" dist/bench/run.js --module cuda_bench.js
code=$?
case $code in
  0) echo "gpu-check: done, parity held" ;;
  124) echo "gpu-check: the bench ran out of time (GPU_CHECK_TIMEOUT=${GPU_CHECK_TIMEOUT:-480} s)" ;;
  *) echo "gpu-check: bench exit $code (3 = the cuda backend cannot run here, see above; 1 = parity over 1e-3)" ;;
esac
exit $code
