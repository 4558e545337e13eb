#!/usr/bin/env python3
"""MIR-1K voices produced to sound like a record: pitch shift (±3 semitones), harmonies, doubling, EQ,
compression, stereo placement and reverb (small rooms to long halls). Doubles, harmonies and the reverb's
wet signal all belong to the vocals stem.

  OPENBLAS_NUM_THREADS=1 /usr/bin/python3 training/prostyle_voices.py --mir1k data/dataset/mir-1k/Wavfile

Writes data/prostyle/voices-train.npz (the `default` split's training singers, `--variants` productions of
each clip) and data/prostyle/voices-val.npz (one production of each clip of the held-out singers, never
a CI sample clip): `audio` int16 [2, total] at 44.1 kHz, `starts`, `lens`, `active_rms` (RMS over the
samples where the voice sounds, as a fraction of full scale), `names`.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
from multiprocessing import Pool

import numpy as np
from scipy.signal import fftconvolve, resample_poly, sosfilt, butter

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from data import HELDOUT_SINGERS, SAMPLE_CLIPS, read_wav, split_names  # noqa: E402
from dynamics import smooth_gain_db  # noqa: E402

SR = 44100


def sox_pitch(x16: np.ndarray, cents: float) -> np.ndarray:
    """Pitch shift without changing duration (sox's WSOLA `pitch`), at MIR-1K's 16 kHz."""
    if abs(cents) < 1:
        return x16
    r = subprocess.run(["sox", "-V1", "-t", "f32", "-r", "16000", "-c", "1", "-", "-t", "f32", "-", "pitch", f"{cents:.0f}"],
                       input=x16.astype(np.float32).tobytes(), capture_output=True, check=True)
    y = np.frombuffer(r.stdout, np.float32)
    out = np.zeros_like(x16)
    out[:min(len(y), len(out))] = y[:len(out)]
    return out


def peaking(f0, gain_db, q=1.0):
    """RBJ cookbook peaking EQ as one second-order section."""
    A = 10 ** (gain_db / 40)
    w = 2 * np.pi * f0 / SR
    alpha = np.sin(w) / (2 * q)
    b = [1 + alpha * A, -2 * np.cos(w), 1 - alpha * A]
    a = [1 + alpha / A, -2 * np.cos(w), 1 - alpha / A]
    return np.array([[b[0] / a[0], b[1] / a[0], b[2] / a[0], 1.0, a[1] / a[0], a[2] / a[0]]])


def moving_average(x, win):
    """Centred moving average by a cumulative sum (np.convolve is direct and far slower for long windows)."""
    c = np.concatenate([[0.0], np.cumsum(x.astype(np.float64))])
    lo = np.clip(np.arange(len(x)) - win // 2, 0, len(x))
    hi = np.clip(lo + win, 0, len(x))
    return (c[hi] - c[lo]) / win


def envelope_db(x, win=441):
    return 10 * np.log10(moving_average(x.astype(np.float64) ** 2, win) + 1e-12)


def compress(x, rng):
    """A vocal compressor: threshold below the loud parts, ratio 2–6, 5 ms attack, 80 ms release."""
    env = envelope_db(x)
    thr = np.quantile(env[env > env.max() - 50], 0.9) - rng.uniform(4, 12)
    ratio = rng.uniform(2, 6)
    gr = np.minimum(0.0, (thr - env) * (1 - 1 / ratio))  # gain reduction in dB (<= 0)
    att, rel = np.exp(-1 / (0.005 * SR)), np.exp(-1 / (0.08 * SR))
    # smoothing of the gain reduction on a decimated grid (fast enough in NumPy)
    step = 64
    out = smooth_gain_db(gr[::step], att ** step, rel ** step)
    gain = 10 ** (np.interp(np.arange(len(x)), np.arange(len(out)) * step, out) / 20)
    return (x * gain).astype(np.float32)


def pan(x, p):
    """Constant-power pan, p in [-1, 1]."""
    th = (p + 1) * np.pi / 4
    return np.stack([x * np.cos(th), x * np.sin(th)])


def reverb_ir(rng, rt60, predelay):
    """A stereo impulse response: a few early reflections, then decorrelated exponentially decaying
    noise, darker as it decays (a one-pole low-pass per block)."""
    n = int((predelay + rt60 * 1.2) * SR)
    t = np.arange(n) / SR
    ir = np.zeros((2, n), np.float32)
    decay = np.exp(-6.91 * t / rt60)
    for ch in range(2):
        noise = rng.standard_normal(n) * decay
        sos = butter(1, rng.uniform(4000, 9000), "low", fs=SR, output="sos")
        tail = sosfilt(sos, noise)
        tail[: int(predelay * SR)] = 0
        ir[ch] = tail
        for _ in range(6):
            k = int((predelay * rng.uniform(0.2, 1.0) + rng.uniform(0.001, 0.03)) * SR)
            if k < n:
                ir[ch, k] += rng.uniform(0.2, 0.6) * rng.choice([-1, 1])
    return ir / (np.sqrt((ir ** 2).sum(axis=1, keepdims=True)) + 1e-9)


def produce(voice16: np.ndarray, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    shift = rng.uniform(-300, 300) if rng.random() < 0.65 else 0.0
    lead16 = sox_pitch(voice16, shift)
    parts = []  # (mono 16 kHz signal, gain, pan)
    parts.append((lead16, 1.0, rng.uniform(-0.25, 0.25) if rng.random() < 0.6 else 0.0))
    if rng.random() < 0.3:  # a harmony line a consonant interval away
        interval = rng.choice([300, 400, 500, 700, -500, -300, -800])
        side = rng.choice([-1, 1])
        parts.append((sox_pitch(voice16, shift + interval), 10 ** (-rng.uniform(6, 12) / 20), side * rng.uniform(0.3, 0.8)))
    stereo = None
    lead44 = None
    for i, (x16, g, p) in enumerate(parts):
        x = resample_poly(x16.astype(np.float64), 441, 160).astype(np.float32) * g
        if i == 0:
            lead44 = x
        s = pan(x, p)
        stereo = s if stereo is None else stereo + s[:, :stereo.shape[1]]
    if rng.random() < 0.4:  # doubling: the lead again, 10–35 ms late, slightly slower, on both sides
        d = int(rng.uniform(0.010, 0.035) * SR)
        stretch = resample_poly(lead44.astype(np.float64), 1000 + int(rng.integers(1, 4)), 1000).astype(np.float32)
        dbl = np.zeros_like(lead44)
        dbl[d:] = stretch[:len(lead44) - d]
        g = 10 ** (-rng.uniform(4, 9) / 20)
        w = rng.uniform(0.4, 0.9)
        stereo = stereo + pan(dbl * g, -w) * 0.7 + pan(dbl * g, w) * 0.7
    # EQ: high-pass, low-mid cut, presence lift, optional air
    sos = np.vstack([butter(2, rng.uniform(70, 150), "high", fs=SR, output="sos"),
                     peaking(rng.uniform(200, 500), -rng.uniform(0, 4), 1.0),
                     peaking(rng.uniform(2500, 5000), rng.uniform(1, 5), 0.8)])
    stereo = sosfilt(sos, stereo, axis=1).astype(np.float32)
    # compression linked across channels (the mid signal drives it)
    mid = stereo.mean(axis=0)
    comp = compress(mid, rng)
    ratio = np.where(np.abs(mid) > 1e-9, comp / np.where(np.abs(mid) > 1e-9, mid, 1.0), 1.0)
    env_gain = np.clip(moving_average(ratio, 64), 0, 4)
    stereo = stereo * env_gain[None, :]
    if rng.random() < 0.85:  # reverb: small rooms to long halls
        rt60 = float(np.exp(rng.uniform(np.log(0.25), np.log(2.8))))
        ir = reverb_ir(rng, rt60, rng.uniform(0.0, 0.04))
        wet = np.stack([fftconvolve(stereo[c], ir[c])[: stereo.shape[1]] for c in range(2)])
        wet_gain = 10 ** (-rng.uniform(6, 18) / 20) * np.sqrt((stereo ** 2).mean()) / (np.sqrt((wet ** 2).mean()) + 1e-9)
        stereo = stereo + wet * wet_gain
    peak = np.abs(stereo).max() + 1e-9
    return (stereo / peak * 0.9).astype(np.float32)


def active_rms(stereo):
    mid = stereo.mean(axis=0)
    env = envelope_db(mid, 2048)
    on = env > env.max() - 35
    return float(np.sqrt(np.mean(mid[on].astype(np.float64) ** 2))) if on.any() else 0.0


def job(args):
    path, seed = args
    _, x = read_wav(path)
    y = produce(x[:, 1].copy(), seed)
    return y, active_rms(y)


def build(paths_seeds, out_path, workers):
    with Pool(workers) as pool:
        res = pool.map(job, paths_seeds, chunksize=4)
    lens = np.array([r[0].shape[1] for r in res])
    starts = np.concatenate([[0], np.cumsum(lens)[:-1]])
    audio = np.zeros((2, int(lens.sum())), np.int16)
    for (y, _), s in zip(res, starts):
        audio[:, s:s + y.shape[1]] = np.round(y * 32767).astype(np.int16)
    names = [os.path.basename(p)[:-4] + f"#{seed}" for p, seed in paths_seeds]
    np.savez(out_path, audio=audio, starts=starts, lens=lens, active_rms=np.array([r[1] for r in res]),
             names=np.array(names))
    print(f"{out_path}: {len(res)} productions, {lens.sum() / SR / 3600:.2f} h", flush=True)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--mir1k", default=os.path.join(os.path.dirname(HERE), "data/dataset/mir-1k/Wavfile"))
    p.add_argument("--out", default=os.path.join(os.path.dirname(HERE), "data/prostyle"))
    p.add_argument("--variants", type=int, default=3)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--first-variant", type=int, default=0,
                   help="productions numbered from here (a later batch adds voices-train-<N>.npz with new seeds)")
    a = p.parse_args()
    os.makedirs(a.out, exist_ok=True)
    train, _dev = split_names(a.mir1k, "default")
    held = sorted(f[:-4] for f in os.listdir(a.mir1k) if f.endswith(".wav") and f.split("_")[0] in HELDOUT_SINGERS
                  and f[:-4] not in SAMPLE_CLIPS)
    print(f"training voices: {len(train)} clips x {a.variants}; validation voices: {len(held)} clips of "
          f"{', '.join(HELDOUT_SINGERS)}", flush=True)
    val_path = os.path.join(a.out, "voices-val.npz")
    if not os.path.exists(val_path):
        build([(os.path.join(a.mir1k, n + ".wav"), 7000 + 10 * i) for i, n in enumerate(held)], val_path, a.workers)
    v0 = a.first_variant
    build([(os.path.join(a.mir1k, n + ".wav"), 100000 + 10 * i + v) for i, n in enumerate(train) for v in range(v0, v0 + a.variants)],
          os.path.join(a.out, "voices-train.npz" if v0 == 0 else f"voices-train-{v0}.npz"), a.workers)


if __name__ == "__main__":
    main()
