"""Pro-style mixing for training and validation: any produced voice (prostyle_voices.py) over any mastered
accompaniment (prostyle_sources.py), at vocal-to-accompaniment ratios of commercial mixes (-10 … +3 dB), then
bus compression and limiting of the sum with the SAME gain applied to both stems, so that
vocals + accompaniment = mixture exactly.

Training takes one channel of the stereo mix (left, right, or the mid), as the runtime separates each
channel on its own.
"""
from __future__ import annotations

import json
import os

import numpy as np
import torch
from scipy.io import wavfile

from data import FFT, HOP, SR
from dynamics import smooth_gain_db

VAR_DB = (-10.0, 3.0)


def load_voices(*paths):
    """One or more voices-*.npz files as one set (productions of later batches appended)."""
    sets = [np.load(p) for p in paths]
    offsets = np.cumsum([0] + [z["audio"].shape[1] for z in sets[:-1]])
    return {"audio": np.concatenate([z["audio"] for z in sets], axis=1),
            "starts": np.concatenate([z["starts"] + o for z, o in zip(sets, offsets)]),
            **{k: np.concatenate([z[k] for z in sets]) for k in ("lens", "active_rms", "names")}}


def load_accompaniments(acc_dir, split):
    """Memory-mapped int16 [n, 2] arrays of the manifest's pieces of `split`."""
    manifest = json.load(open(os.path.join(acc_dir, "manifest.json")))
    out = []
    for item in manifest["items"]:
        if item["split"] != split:
            continue
        sr, x = wavfile.read(os.path.join(acc_dir, item["file"]), mmap=True)
        if sr != SR or x.ndim != 2 or x.shape[1] != 2:
            raise ValueError(f"{item['file']}: expected 44.1 kHz stereo")
        out.append((item["file"], x))
    return out


def bus_gain(mix: np.ndarray, rng: np.random.Generator, block=512) -> np.ndarray:
    """Gain curve of a bus compressor (ratio 1.5–4 above a threshold near the loud parts, ~10 ms attack,
    ~150 ms release) followed by a limiter that takes 2–6 dB off the loudest peaks, with one block of
    look-ahead. One curve, applied to both stems."""
    n = len(mix)
    nb = (n + block - 1) // block
    pad = np.zeros(nb * block, np.float32)
    pad[:n] = mix
    blocks = pad.reshape(nb, block)
    rms_db = 10 * np.log10(np.mean(blocks.astype(np.float64) ** 2, axis=1) + 1e-12)
    thr = np.quantile(rms_db, 0.7) - rng.uniform(0, 6)
    ratio = rng.uniform(1.5, 4.0)
    target = np.minimum(0.0, (thr - rms_db) * (1 - 1 / ratio))
    att, rel = np.exp(-block / (0.010 * SR)), np.exp(-block / (0.150 * SR))
    g = smooth_gain_db(target, att, rel)
    gain = 10 ** (g / 20)
    peak = np.abs(blocks).max(axis=1) * gain
    top = peak.max() + 1e-9
    ceiling = top * 10 ** (-rng.uniform(2, 6) / 20)  # limit the loudest peaks by 2–6 dB
    lim = np.minimum(1.0, ceiling / np.maximum(peak, 1e-9))
    lim = np.minimum(lim, np.concatenate([lim[1:], [1.0]]))  # look-ahead of one block
    gain = gain * lim
    return np.interp(np.arange(n), np.arange(nb) * block + block / 2, gain).astype(np.float32)


class ProStyleSampler:
    """Random pro-style training patches; with probability p_mir an example is a MIR-1K remix instead
    (the RemixSampler recipe), so that the amateur material is not forgotten."""

    def __init__(self, voices, accs, frames, rng: np.random.Generator, mir_sampler=None, p_mir=0.2):
        self.v = voices
        self.accs = accs
        self.n = (frames - 1) * HOP + FFT
        self.rng = rng
        self.mir = mir_sampler
        self.p_mir = p_mir if mir_sampler is not None else 0.0
        lens = np.array([len(x) for _, x in accs], np.float64)
        self.acc_p = np.sqrt(lens) / np.sqrt(lens).sum()

    def one(self):
        r, n = self.rng, self.n
        k = int(r.integers(len(self.v["lens"])))
        s, ln = int(self.v["starts"][k]), int(self.v["lens"][k])
        off = int(r.integers(0, max(ln - n, 0) + 1))
        voice = np.zeros((2, n), np.float32)
        seg = self.v["audio"][:, s + off:s + min(off + n, ln)]
        voice[:, :seg.shape[1]] = seg.astype(np.float32) / 32767
        _, acc_arr = self.accs[int(r.choice(len(self.accs), p=self.acc_p))]
        aoff = int(r.integers(0, max(len(acc_arr) - n, 0) + 1))
        acc = np.zeros((2, n), np.float32)
        aseg = np.asarray(acc_arr[aoff:aoff + n]).T
        acc[:, :aseg.shape[1]] = aseg.astype(np.float32) / 32767
        mode = r.random()
        if mode < 0.4:
            v, a = voice[0], acc[0]
        elif mode < 0.8:
            v, a = voice[1], acc[1]
        else:
            v, a = voice.mean(axis=0), acc.mean(axis=0)
        ra = float(np.sqrt(np.mean(a.astype(np.float64) ** 2)))
        rv = float(self.v["active_rms"][k])
        if ra < 1e-4 or rv < 1e-6:  # a silent stretch of accompaniment: take another
            return self.one()
        var = r.uniform(*VAR_DB)
        v = v * (ra / rv * 10 ** (var / 20))
        if r.random() < 0.5:
            v = -v
        g = bus_gain(v + a, r)
        return v * g, a * g

    def sample(self, batch):
        voices = np.empty((batch, self.n), np.float32)
        accs = np.empty((batch, self.n), np.float32)
        n_mir = int((self.rng.random(batch) < self.p_mir).sum())
        if n_mir:
            mv, ma = self.mir.sample(n_mir)
            voices[:n_mir], accs[:n_mir] = mv.numpy(), ma.numpy()
        for b in range(n_mir, batch):
            voices[b], accs[b] = self.one()
        scale = 1.0 / (np.abs(voices + accs).max(axis=1, keepdims=True) + 1e-8)  # the level is irrelevant (normalised later)
        return torch.from_numpy(voices * scale), torch.from_numpy(accs * scale)


def make_validation_set(voices, accs, count, seed, out_path):
    """A fixed pro-style validation set: voices of singers held out from training over accompaniments held
    out from training, mixed by the same recipe; whole voice clips (4–13 s), mid channel. Saved as npz."""
    rng = np.random.default_rng(seed)
    vs, as_, names = [], [], []
    order = rng.permutation(len(voices["lens"]))[:count]
    for i, k in enumerate(order):
        s, ln = int(voices["starts"][k]), int(voices["lens"][k])
        v = voices["audio"][:, s:s + ln].astype(np.float32).mean(axis=0) / 32767
        name, acc_arr = accs[i % len(accs)]
        aoff = int(rng.integers(0, max(len(acc_arr) - ln, 0) + 1))
        a = np.zeros(ln, np.float32)
        seg = np.asarray(acc_arr[aoff:aoff + ln]).astype(np.float32).mean(axis=1) / 32767
        a[:len(seg)] = seg
        ra = float(np.sqrt(np.mean(a.astype(np.float64) ** 2))) + 1e-9
        var = rng.uniform(*VAR_DB)
        v = v * (ra / float(voices["active_rms"][k]) * 10 ** (var / 20))
        g = bus_gain(v + a, rng)
        v, a = v * g, a * g
        peak = np.abs(v + a).max() + 1e-9
        vs.append((v / peak * 0.9).astype(np.float32))
        as_.append((a / peak * 0.9).astype(np.float32))
        names.append(f"{voices['names'][k]} over {name} at {var:+.1f} dB")
    np.savez(out_path, voices=np.array(vs, dtype=object), accs=np.array(as_, dtype=object), names=np.array(names))
    return vs, as_, names


def load_validation_set(path):
    z = np.load(path, allow_pickle=True)
    return list(z["voices"]), list(z["accs"]), list(z["names"])


def evaluate_prostyle(model, val, device="cpu"):
    """Mean vocal / accompaniment SDR (plain signal-to-error ratio, for picking checkpoints) of a
    validation set, separated whole at 44.1 kHz as the runtime does."""
    from separate import separate_voice_mask, snr_sdr
    was = model.training
    model.eval()
    vs, as_, _ = val
    sv, sa = [], []
    for v, a in zip(vs, as_):
        ve, ae = separate_voice_mask(model, v + a, device)
        sdr = snr_sdr([v.astype(np.float64), a.astype(np.float64)], [ve, ae])
        sv.append(sdr[0]); sa.append(sdr[1])
    model.train(was)
    return float(np.mean(sv)), float(np.mean(sa)), float(np.min(sv))
