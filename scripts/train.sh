#!/usr/bin/env bash
# `npm run train -- [train.py options]`: the PyTorch trainer (training/README.md) with the thread settings
# that make it fast on OpenBLAS, run by the first python3 that has torch (Debian's /usr/bin/python3 first:
# a pyenv or venv python3 earlier on PATH usually lacks it).
set -euo pipefail
cd "$(dirname "$0")/.."
for py in /usr/bin/python3 python3; do
  if "$py" -c 'import torch' 2>/dev/null; then
    exec env OPENBLAS_NUM_THREADS=1 "$py" training/train.py "$@"
  fi
done
echo "no python3 with torch found: apt-get install python3-torch python3-scipy python3-mir-eval libopenblas0-pthread" >&2
exit 1
