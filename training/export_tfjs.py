#!/usr/bin/env python3
"""Export a trainer checkpoint to models/<name>/ (model.json + weights.bin, tfjs layers format).

  /usr/bin/python3 training/export_tfjs.py training/runs/mir1k-protocol/best.pt --name mir1k-protocol [--fp16]
  -> models/mir1k-protocol/model.json, models/mir1k-protocol/weights.bin   (or --out DIR)

Weights contract: Conv2D kernel [kh,kw,in,out], Conv2DTranspose kernel [kh,kw,out,in], biases
[out], BN gamma/beta/moving_mean/moving_variance; weights.bin = raw little-endian float32 (or
float16 with --fp16, manifest entry "quantization": {"dtype": "float16"}) in manifest order.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import numpy as np
import torch

from unet import UNet, UNetConfig
from data import HELDOUT_SINGERS

REPO = os.path.dirname(HERE)
STFT = {"fftSize": 4096, "hop": 1024, "sampleRate": 44100}


def export_model(model: UNet, out_dir: str, training: dict | None = None, fp16=False, generated_by="vocal-split training/export_tfjs.py"):
    os.makedirs(out_dir, exist_ok=True)
    entries, chunks = [], []
    for name, t in model.named_tfjs_tensors():
        arr = t.cpu().numpy().astype(np.float32)
        e = {"name": name, "shape": list(arr.shape), "dtype": "float32"}
        if fp16:
            e["quantization"] = {"dtype": "float16"}
            chunks.append(arr.astype("<f2").tobytes())
        else:
            chunks.append(arr.astype("<f4").tobytes())
        entries.append(e)
    data = b"".join(chunks)
    doc = {
        "format": "layers-model",
        "generatedBy": generated_by,
        "convertedBy": None,
        "userDefinedMetadata": {"vocalSplit": {
            "architecture": "jansson-unet",
            "config": model.cfg.to_dict(),
            "inputNormalization": "patch-max",
            "stft": STFT,
            "training": training or {},
        }},
        "weightsManifest": [{"paths": ["weights.bin"], "weights": entries}],
    }
    tmpw = os.path.join(out_dir, "weights.bin.tmp")
    with open(tmpw, "wb") as f:
        f.write(data)
    tmpj = os.path.join(out_dir, "model.json.tmp")
    with open(tmpj, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    os.replace(tmpw, os.path.join(out_dir, "weights.bin"))
    os.replace(tmpj, os.path.join(out_dir, "model.json"))
    return os.path.join(out_dir, "model.json"), len(data)


def load_tfjs(model_dir: str) -> UNet:
    """Read model.json + weights.bin back into a PyTorch UNet (eval mode)."""
    doc = json.load(open(os.path.join(model_dir, "model.json")))
    meta = doc["userDefinedMetadata"]["vocalSplit"]
    model = UNet(UNetConfig.from_dict(meta["config"]))
    tensors = {}
    for group in doc["weightsManifest"]:
        buf = b"".join(open(os.path.join(model_dir, p), "rb").read() for p in group["paths"])
        off = 0
        for e in group["weights"]:
            n = int(np.prod(e["shape"])) if e["shape"] else 1
            q = (e.get("quantization") or {}).get("dtype")
            dt_ = np.dtype("<f2") if q == "float16" else np.dtype("<f4")
            arr = np.frombuffer(buf, dt_, n, off).astype(np.float32).reshape(e["shape"])
            off += n * dt_.itemsize
            tensors[e["name"]] = torch.from_numpy(arr.copy())
        if off != len(buf):
            raise ValueError(f"weights.bin has {len(buf)} bytes, manifest describes {off}")
    model.load_tfjs_tensors(tensors)
    model.eval()
    return model


def training_info(ck: dict, path: str, note: str | None = None) -> dict:
    a = ck.get("args", {})
    val = ck.get("val") or {}
    split = a.get("split", "protocol")
    clips = ck.get("train_clips", [])
    singers = sorted({c.split("_")[0] for c in clips})
    remix = (f"remixed on the fly (unit energy, voice-to-music gain +-{a.get('gain_db')} dB, random offsets "
             f"and polarity); checkpoint picked on dev clips {', '.join(ck.get('dev_clips', []))}")
    if split == "protocol":
        what = f"MIR-1K standard split (Huang et al. 2014): voices and accompaniments of the {len(clips)} abjones/amy training clips, {remix}"
    else:
        what = (f"MIR-1K voices and accompaniments of {len(clips)} clips of {len(singers)} singers ({', '.join(singers)}): every "
                f"singer but the held-out {', '.join(HELDOUT_SINGERS)}, and never the 17 CI sample clips; {remix}")
    metric = a.get("val_metric", "bss")

    def finite(x):
        return x if isinstance(x, (int, float)) and math.isfinite(x) else None
    info = {
        "what": what,
        "split": split,
        "heldOutSingers": list(HELDOUT_SINGERS) if split == "default" else None,
        "trainer": "training/train.py (PyTorch)",
        "device": a.get("device"),
        "checkpoint": os.path.basename(path),
        "startedUtc": ck.get("started_utc"),
        "savedUtc": ck.get("saved_utc"),
        "steps": ck.get("step"),
        "batch": a.get("batch"),
        "optimizer": f"Adam lr {a.get('lr')}" + (f", last 30 % of {a.get('max_minutes')} min decayed to lr/10" if a.get("max_minutes") else ""),
        "loss": "L1(mask*|mix|, |voice|), patch-max normalised by the mixture",
        "devMetric": "BSS Eval v3 (mir_eval)" if metric == "bss" else "signal-to-error ratio (no distortion filter)",
        "devGnsdrVoiceDb": finite(val.get("val_gnsdr_voice", ck.get("best") if (ck.get("best") or -1e9) > -1e8 else None)),
        "devBestStep": ck.get("best_step") if (ck.get("best_step") or -1) >= 0 else ck.get("step"),
        "devGsirVoiceDb": finite(val.get("val_gsir_voice")),
        "devGsarVoiceDb": finite(val.get("val_gsar_voice")),
    }
    if note:
        info["note"] = note
    return {k: v for k, v in info.items() if v is not None}


def export_checkpoint(ckpt_path: str, out_dir: str, name: str | None = None, fp16=False, note: str | None = None):
    ck = torch.load(ckpt_path, map_location="cpu")
    model = UNet(UNetConfig.from_dict(ck["config"]))
    model.load_state_dict(ck["model"])
    model.eval()
    info = training_info(ck, ckpt_path, note)
    if name:
        info["name"] = name
    return export_model(model, out_dir, info, fp16=fp16)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("checkpoint")
    p.add_argument("--name", default="mir1k-protocol")
    p.add_argument("--out", default=None, help="default models/<name>")
    p.add_argument("--fp16", action="store_true")
    p.add_argument("--note", default=None, help="a remark kept in model.json's training info")
    p.add_argument("--check", action="store_true", help="reload the export and compare with the checkpoint")
    a = p.parse_args()
    out = a.out or os.path.join(REPO, "models", a.name)
    path, n = export_checkpoint(a.checkpoint, out, a.name, a.fp16, a.note)
    print(f"wrote {path} and weights.bin ({n:,} bytes)")
    if a.check:
        ck = torch.load(a.checkpoint, map_location="cpu")
        ref = UNet(UNetConfig.from_dict(ck["config"])); ref.load_state_dict(ck["model"]); ref.eval()
        back = load_tfjs(out)
        torch.manual_seed(0)
        x = torch.rand(1, 1, ref.cfg.bins, ref.cfg.frames)
        with torch.no_grad():
            d = (ref.mask(x) - back.mask(x)).abs().max().item()
        print(f"reload check: max |mask difference| = {d:.3g}")


if __name__ == "__main__":
    main()
