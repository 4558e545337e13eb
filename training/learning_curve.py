#!/usr/bin/env python3
"""Prints a run's learning curve (training/runs/<name>/log.jsonl) as a Markdown table for its model card.

    /usr/bin/python3 training/learning_curve.py training/runs/mir1k-protocol/log.jsonl [--every 3]

A run validated with `--val-metric snr` (no mir_eval: GSIR/GSAR are NaN in its log) gets the dev
voice's signal-to-error NSDR instead of BSS Eval's GNSDR/GSIR/GSAR (the accompaniment's is the same
figure within 0.01 dB: its error is the voice's with the sign flipped, and both sources have unit energy).
"""
import argparse
import json
import math

parser = argparse.ArgumentParser()
parser.add_argument("log")
parser.add_argument("--every", type=int, default=1, help="keep every n-th validation row (the best and the last are always kept)")
args = parser.parse_args()

rows = [json.loads(line) for line in open(args.log) if line.strip()]
best = max(rows, key=lambda r: r["val_gnsdr_voice"])
snr = all(not math.isfinite(r.get("val_gsir_voice", float("nan"))) for r in rows)
if snr:
    print("| step | epoch | train L1 loss | dev vocal SNR-NSDR (dB) |")
    print("|---:|---:|---:|---:|")
else:
    print("| step | epoch | train L1 loss | dev vocal GNSDR (dB) | dev GSIR | dev GSAR |")
    print("|---:|---:|---:|---:|---:|---:|")
for i, r in enumerate(rows):
    if i % args.every and r is not best and i != len(rows) - 1:
        continue
    mark = " (best)" if r is best else ""
    if snr:
        print(f"| {r['step']} | {r['epoch']} | {r['train_loss']:.5f} | {r['val_gnsdr_voice']:.2f}{mark} |")
    else:
        print(f"| {r['step']} | {r['epoch']} | {r['train_loss']:.5f} | {r['val_gnsdr_voice']:.2f}{mark} | {r['val_gsir_voice']:.2f} | {r['val_gsar_voice']:.2f} |")
