#!/usr/bin/env bash
# One GPU training burst, run on the lent GPU machine from the repository root after
# training/gpu_pack.sh filled .gpu/ here: decodes the pack, trains the `default` and the
# `mir1k-protocol` nets side by side on the one GPU for MINUTES each, and leaves in $OUT the
# fp16 best-checkpoint weights (split in 15 MB parts: the machine returns files of ≤ 16 MiB)
# and the logs. Rejoin here with: cat default-best-fp16.pt.part-* > best-fp16.pt
set -uo pipefail
MINUTES=${MINUTES:-7}
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
W=/tmp/mir1k/Wavfile
export PYTHONUNBUFFERED=1 OPENBLAS_NUM_THREADS=1
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader
python3 training/gpu_unpack.py .gpu/opus "$W" || exit 1
common=(--mir1k "$W" --device cuda --batch 32 --lr 3e-4 --steps 10000000 --max-minutes "$MINUTES"
        --val-every 1000 --val-metric snr --amp --no-export --progress-every 500 --threads 4)
python3 training/train.py --split default --name default --out /tmp/runs/default --cache /tmp/cache-d \
  "${common[@]}" > "$OUT/default.log" 2>&1 &
python3 training/train.py --split protocol --name mir1k-protocol --out /tmp/runs/protocol --cache /tmp/cache-p \
  "${common[@]}" > "$OUT/protocol.log" 2>&1 &
sleep 60; tail -n 3 "$OUT"/*.log; nvidia-smi --query-gpu=utilization.gpu,memory.used --format=csv,noheader
wait
for r in default protocol; do
  cp "/tmp/runs/$r/log.jsonl" "$OUT/$r-log.jsonl" 2>/dev/null
  [ -f "/tmp/runs/$r/best-fp16.pt" ] && split -b 15000000 "/tmp/runs/$r/best-fp16.pt" "$OUT/$r-best-fp16.pt.part-"
  tail -n 4 "$OUT/$r.log"
done
ls -la "$OUT"
