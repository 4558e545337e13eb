#!/usr/bin/env python3
"""Write test/fixtures/parity-model/: a small U-Net (fixed seed, non-trivial BN running stats) in
the tfjs export format, and io.json with a deterministic NHWC input and the PyTorch eval-mode
MASK (NHWC) for it. The TypeScript backends are tested against it (tolerance 1e-4).

  OPENBLAS_NUM_THREADS=1 /usr/bin/python3 training/make_parity_fixture.py
"""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import numpy as np
import torch

from unet import UNet, UNetConfig
from export_tfjs import export_model, load_tfjs

REPO = os.path.dirname(HERE)
OUT = os.path.join(REPO, "test", "fixtures", "parity-model")
CFG = UNetConfig(bins=64, frames=64, baseFilters=4, depth=3, channelsIn=1)


def main():
    torch.manual_seed(20170601)
    torch.set_num_threads(1)
    model = UNet(CFG)
    # non-trivial biases and BN affine parameters, and running statistics from a few
    # train-mode passes (BN momentum raised so the stats move far from 0/1)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.2, 0.2)
                m.momentum = 0.5
            if isinstance(m, (torch.nn.Conv2d, torch.nn.ConvTranspose2d)):
                m.bias.uniform_(-0.1, 0.1)
        model.train()
        for _ in range(8):
            model(torch.rand(4, 1, CFG.bins, CFG.frames) ** 2 * 3.0)
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.momentum = 0.01
    model.eval()

    # deterministic input in [0,1] that the TS side can also regenerate if it wants to:
    # x[f,t] = frac(sin(f*12.9898 + t*78.233) * 43758.5453), computed in float64, stored float32
    f = np.arange(CFG.bins)[:, None].astype(np.float64)
    t = np.arange(CFG.frames)[None, :].astype(np.float64)
    v = np.sin(f * 12.9898 + t * 78.233) * 43758.5453
    x = (v - np.floor(v)).astype(np.float32)
    x = np.round(x, 6).astype(np.float32)
    xt = torch.from_numpy(x)[None, None]  # NCHW
    with torch.no_grad():
        mask = model.mask(xt)[0, 0].numpy()

    path, n = export_model(model, OUT, {"what": "parity fixture: random weights (seed 20170601), not trained",
                                         "script": "training/make_parity_fixture.py"},
                           generated_by="vocal-split training/make_parity_fixture.py")
    # NHWC [1, F, T, 1]
    io = {
        "description": "input: patch [1, bins, frames, 1] NHWC; mask: PyTorch eval-mode U-Net mask (sigmoid output) "
                       "for it, NHWC; output of the model = mask * input",
        "config": CFG.to_dict(),
        "inputShape": [1, CFG.bins, CFG.frames, 1],
        "input": [float(repr_f32(a)) for a in x.reshape(-1)],
        "mask": [float(repr_f32(a)) for a in mask.reshape(-1)],
        "tolerance": 1e-4,
    }
    with open(os.path.join(OUT, "io.json"), "w") as fh:
        json.dump(io, fh, separators=(",", ":"))
        fh.write("\n")

    # reload check: the exported weights give identical masks in PyTorch
    back = load_tfjs(OUT)
    with torch.no_grad():
        m2 = back.mask(xt)[0, 0].numpy()
    d = float(np.abs(m2 - mask).max())
    sizes = {fn: os.path.getsize(os.path.join(OUT, fn)) for fn in sorted(os.listdir(OUT))}
    print(f"wrote {OUT}: {sizes}; mask range [{mask.min():.4f}, {mask.max():.4f}], std {mask.std():.4f}; "
          f"reload max |diff| = {d:.3g}")
    assert d == 0.0, d


def repr_f32(a):
    # shortest decimal that round-trips the float32 value
    return np.format_float_positional(np.float32(a), unique=True, trim="-")


if __name__ == "__main__":
    main()
