#!/usr/bin/env python3
"""Decodes the Opus pack made by gpu_pack.sh back into MIR-1K-style stereo WAVs
(left = accompaniment, right = voice, 16 kHz, 16-bit) so that train.py reads them unchanged.

  python3 training/gpu_unpack.py .gpu/opus /tmp/mir1k/Wavfile   (opusdec on PATH or in .gpu/bin)
"""
import os
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from scipy.io import wavfile


def opusdec():
    here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".gpu", "bin", "opusdec")
    return here if os.path.exists(here) else shutil.which("opusdec")


def decode(src, dst, name, tmp, exe):
    chans = []
    for ch in "LR":
        out = os.path.join(tmp, f"{name}.{ch}.wav")
        subprocess.run([exe, "--quiet", "--rate", "16000", os.path.join(src, f"{name}.{ch}.opus"), out], check=True)
        sr, x = wavfile.read(out)
        assert sr == 16000 and x.ndim == 1, (name, sr, x.shape)
        chans.append(x)
    n = min(len(c) for c in chans)
    wavfile.write(os.path.join(dst, name + ".wav"), 16000, np.stack([c[:n] for c in chans], axis=1))


def main(src, dst):
    os.makedirs(dst, exist_ok=True)
    exe = opusdec()
    names = sorted({f[: -len(".L.opus")] for f in os.listdir(src) if f.endswith(".L.opus")})
    env_lib = os.path.dirname(exe)
    os.environ["LD_LIBRARY_PATH"] = env_lib + ":" + os.environ.get("LD_LIBRARY_PATH", "")
    with tempfile.TemporaryDirectory() as tmp, ThreadPoolExecutor(os.cpu_count() or 2) as pool:
        list(pool.map(lambda n: decode(src, dst, n, tmp, exe), names))
    print(f"decoded {len(names)} clips into {dst}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
