"""Measure the training step time (forward + backward + Adam) of a few U-Net configurations.

usage: OPENBLAS_NUM_THREADS=1 /usr/bin/python3 training/bench_step.py [--threads 2] [--reps 5]
"""
import argparse, time, sys, os
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch
from unet import UNet, UNetConfig

p = argparse.ArgumentParser()
p.add_argument("--threads", type=int, default=2)
p.add_argument("--reps", type=int, default=5)
p.add_argument("--configs", default="512x128b16:16,512x128b16:8,512x128b16:4,512x64b16:16,512x128b8:16")
a = p.parse_args()
torch.set_num_threads(a.threads)
for spec in a.configs.split(","):
    shape, batch = spec.split(":")
    fb, base = shape.split("b")
    f, t = map(int, fb.split("x"))
    cfg = UNetConfig(bins=f, frames=t, baseFilters=int(base))
    m = UNet(cfg)
    opt = torch.optim.Adam(m.parameters(), 1e-4)
    x = torch.rand(int(batch), 1, f, t); y = torch.rand_like(x)
    ts = []
    for r in range(a.reps + 1):
        t0 = time.time()
        opt.zero_grad(); loss = (m(x) - y).abs().mean(); loss.backward(); opt.step()
        ts.append(time.time() - t0)
    ts = sorted(ts[1:])
    print(f"{spec}: median {ts[len(ts)//2]:.2f} s/step  min {ts[0]:.2f}  ({int(batch)/ts[len(ts)//2]:.1f} patches/s)", flush=True)
