#!/usr/bin/env bash
# Packs what scripts/gpu-check.sh needs on a GPU machine that has no internet and no Node.js, into
# .gpu-check/ (git-ignored): this machine's node binary and the production node_modules (linux-x64
# binaries only), both xz-compressed. Build first (npm run build) and send `dist` and `.gpu-check`
# along (the device tool's `carry`). Prints the sizes: the upload limit is 64 MiB, the tracked
# working tree included.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f dist/bench/cuda_bench.js ] || { echo "gpu-pack: build first (npm run build)" >&2; exit 1; }
out=.gpu-check
rm -rf "$out" && mkdir -p "$out"
mods=$(cd node_modules/.. && npm ls --omit=dev --all --parseable 2>/dev/null | sed -n "s#^$(pwd -P)/##p" | grep '^node_modules/' | sort -u)
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
for m in $mods; do
  mkdir -p "$stage/$(dirname "$m")"
  cp -rL "node_modules/${m#node_modules/}" "$stage/$m"
done
# onnxruntime-node ships every platform's binaries; the GPU machine is linux-x64.
find "$stage/node_modules/onnxruntime-node/bin/napi-v6" -mindepth 1 -maxdepth 1 ! -name linux -exec rm -rf {} +
rm -rf "$stage/node_modules/onnxruntime-node/bin/napi-v6/linux/arm64"
# Node resolves each package's "main" (dist/*.node.js, CommonJS): source maps, type declarations,
# TypeScript sources and the browser bundles (minified, ES modules) are never loaded.
find "$stage/node_modules" -type f \( -name '*.map' -o -name '*.d.ts' -o -name '*.ts' -o -name '*.min.js' -o -name '*.esm.js' \
  -o -name '*.es2017.js' -o -name '*.fesm.js' -o -name '*.md' \) -delete
find "$stage/node_modules" -type d \( -name src -o -name miniprogram -o -name test -o -name tests \) -prune -exec rm -rf {} +
du -sh "$stage/node_modules"
tar -C "$stage" -cf - node_modules | xz -T0 -6 > "$out/node_modules.tar.xz"
xz -T0 -6 -c "$(command -v node)" > "$out/node.xz"
du -h "$out"/*
echo "tracked working tree: $(git ls-files -z | xargs -0 du -cb 2>/dev/null | tail -1 | cut -f1) bytes (must fit in 64 MiB with dist and $out)"
