#!/usr/bin/env python3
"""BSS Eval v3 (mir_eval) of models on the pro-style validation set, with the ideal ratio mask as the ceiling,
and spectrogram pictures of separated examples.

  OPENBLAS_NUM_THREADS=1 /usr/bin/python3 training/eval_prostyle.py \
      --model previous=training/checkpoints/default-mir1k/best-fp16.pt --model new=training/checkpoints/default/best-fp16.pt \
      --json training/results/prostyle-val.json --png models/default/examples

Each clip (4–13 s, mono mid channel, 44.1 kHz) is separated whole (training/separate.py, the runtime's
recipe: 50 %-overlap patches, sin² cross-fade, mask extension above the modelled bins), then both the
references and the estimates are resampled to 22.05 kHz (as the reviewers' real-song figures are) and
scored with mir_eval.separation.bss_eval_sources. Means are plain (unweighted) over clips.
"""
from __future__ import annotations

import argparse
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np
import torch
from scipy.signal import resample_poly

from data import FFT, HOP, hann
from prostyle_mix import load_validation_set
from separate import separate_voice_mask
from unet import UNet, UNetConfig


def load_model(path):
    ck = torch.load(path, map_location="cpu")
    m = UNet(UNetConfig.from_dict(ck["config"]))
    m.load_state_dict({k: (v.float() if v.is_floating_point() else v) for k, v in ck["model"].items()})
    return m.eval()


def irm(v, a):
    """Ideal ratio mask |V|/(|V|+|A|) with the mixture phase (Hann 4096/1024), the mask-based ceiling."""
    w = hann()
    X = torch.stft(torch.from_numpy(v + a), FFT, HOP, FFT, window=w, center=True, return_complex=True)
    V = torch.stft(torch.from_numpy(v), FFT, HOP, FFT, window=w, center=True, return_complex=True).abs()
    A = torch.stft(torch.from_numpy(a), FFT, HOP, FFT, window=w, center=True, return_complex=True).abs()
    m = V / (V + A + 1e-12)
    ve = torch.istft(X * m, FFT, HOP, FFT, window=w, center=True, length=len(v)).numpy()
    return ve, (v + a) - ve


def bss(v, a, ve, ae):
    import mir_eval.separation as sep
    to22 = lambda x: resample_poly(np.asarray(x, np.float64), 1, 2)
    refs = np.stack([to22(v), to22(a)])
    ests = np.stack([to22(ve), to22(ae)])
    sdr, sir, sar, _ = sep.bss_eval_sources(refs, ests, compute_permutation=False)
    return {"sdr": sdr.tolist(), "sir": sir.tolist(), "sar": sar.tolist()}


def spectrogram_png(path, title, panels):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, len(panels), figsize=(4 * len(panels), 3.2), sharey=True)
    for ax, (name, x) in zip(axes, panels):
        X = torch.stft(torch.from_numpy(np.asarray(x, np.float32)), FFT, HOP, FFT, window=hann(), center=True,
                       return_complex=True).abs().numpy()
        db = 20 * np.log10(X[:744] + 1e-6)  # 0–8 kHz
        ax.imshow(db, origin="lower", aspect="auto", vmin=db.max() - 80, vmax=db.max(), cmap="magma",
                  extent=[0, len(x) / 44100, 0, 744 * 44100 / FFT / 1000])
        ax.set_title(name, fontsize=9)
        ax.set_xlabel("s")
    axes[0].set_ylabel("kHz")
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--val", default=os.path.join(os.path.dirname(HERE), "data/prostyle/val-48.npz"))
    p.add_argument("--model", action="append", required=True, help="label=checkpoint.pt (weights-only fp16 is fine)")
    p.add_argument("--json", default=None)
    p.add_argument("--png", default=None, help="folder for spectrogram pictures of three examples (last model)")
    p.add_argument("--threads", type=int, default=2)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    vs, as_, names = load_validation_set(a.val)
    models = [(lbl, load_model(path)) for lbl, path in (m.split("=", 1) for m in a.model)]
    rows = {lbl: [] for lbl, _ in models}
    rows["ideal ratio mask"] = []
    for i, (v, a_) in enumerate(zip(vs, as_)):
        v, a_ = v.astype(np.float32), a_.astype(np.float32)
        ests = {}
        for lbl, m in models:
            ve, ae = separate_voice_mask(m, v + a_)
            ests[lbl] = (ve, ae)
            rows[lbl].append(bss(v, a_, ve, ae))
        rows["ideal ratio mask"].append(bss(v, a_, *irm(v, a_)))
        print(f"{i + 1}/{len(vs)} {names[i]}: " + "  ".join(f"{k} {r[-1]['sdr'][0]:.2f}" for k, r in rows.items()), flush=True)
        if a.png and i < 3:
            os.makedirs(a.png, exist_ok=True)
            panels = [("mixture", v + a_), ("true vocals", v)] + [(f"{lbl}: vocals", e[0]) for lbl, e in ests.items()] \
                + [(f"{models[-1][0]}: accompaniment", ests[models[-1][0]][1])]
            spectrogram_png(os.path.join(a.png, f"prostyle-{i + 1}.png"), names[i], panels)
    summary = {}
    for lbl, r in rows.items():
        arr = {k: np.array([x[k] for x in r]) for k in ("sdr", "sir", "sar")}
        summary[lbl] = {f"{k}_{stem}": float(np.mean(arr[k][:, s])) for k in arr for s, stem in ((0, "vocals"), (1, "accompaniment"))}
        summary[lbl]["worst_sdr_vocals"] = float(np.min(arr["sdr"][:, 0]))
        print(f"{lbl:>18}: vocals SDR {summary[lbl]['sdr_vocals']:.2f} SIR {summary[lbl]['sir_vocals']:.2f} "
              f"SAR {summary[lbl]['sar_vocals']:.2f} (worst {summary[lbl]['worst_sdr_vocals']:.2f}) | accompaniment SDR "
              f"{summary[lbl]['sdr_accompaniment']:.2f} SIR {summary[lbl]['sir_accompaniment']:.2f} SAR {summary[lbl]['sar_accompaniment']:.2f}")
    if a.json:
        json.dump({"clips": names, "summary": summary, "per_clip": rows}, open(a.json, "w"), indent=1)


if __name__ == "__main__":
    main()
