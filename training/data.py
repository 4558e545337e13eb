"""MIR-1K reader, cache and on-the-fly remixing for the U-Net trainer.

MIR-1K `Wavfile/` clips are 16 kHz stereo 16-bit: LEFT = accompaniment, RIGHT = voice.
Standard split (Huang et al. 2014): train on singers abjones and amy (175 clips); the
development clips abjones_5_08, abjones_5_09, amy_9_08, amy_9_09 pick the checkpoint and are
never trained on; every other singer is test and never touched here.

Each clip is resampled once to 44.1 kHz (scipy.signal.resample_poly(x, 441, 160)) and cached as
float32 .npy under the cache dir (default data/cache/mir1k-44k/, git-ignored).
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass

import numpy as np
import torch
from scipy.io import wavfile
from scipy.signal import resample_poly

SR = 44100
FFT = 4096
HOP = 1024
TRAIN_SINGERS = ("abjones", "amy")
DEV_CLIPS = ("abjones_5_08", "abjones_5_09", "amy_9_08", "amy_9_09")

_window_cache = {}


def hann(device="cpu"):
    key = str(device)
    if key not in _window_cache:
        _window_cache[key] = torch.hann_window(FFT, periodic=True, dtype=torch.float32, device=device)
    return _window_cache[key]


def read_wav(path):
    sr, x = wavfile.read(path)
    if x.dtype == np.int16:
        x = x.astype(np.float32) / 32768.0
    elif x.dtype == np.int32:
        x = x.astype(np.float32) / 2147483648.0
    elif x.dtype == np.uint8:
        x = (x.astype(np.float32) - 128.0) / 128.0
    else:
        x = x.astype(np.float32)
    if x.ndim == 1:
        x = x[:, None]
    return sr, x


def split_names(wav_dir):
    names = sorted(f[:-4] for f in os.listdir(wav_dir) if f.lower().endswith(".wav"))
    train, dev = [], []
    for n in names:
        singer = n.split("_")[0]
        if singer not in TRAIN_SINGERS:
            continue  # test split: never read
        (dev if n in DEV_CLIPS else train).append(n)
    return train, dev


@dataclass
class Clip:
    name: str
    acc: np.ndarray    # float32, 44.1 kHz
    voice: np.ndarray  # float32, 44.1 kHz
    acc16: np.ndarray | None = None
    voice16: np.ndarray | None = None


def load_clip(wav_dir, name, cache_dir, keep16=False):
    os.makedirs(cache_dir, exist_ok=True)
    cp = os.path.join(cache_dir, name + ".npy")
    src = os.path.join(wav_dir, name + ".wav")
    x16 = None
    if os.path.exists(cp):
        both = np.load(cp)
    else:
        sr, x16 = read_wav(src)
        if x16.shape[1] != 2:
            raise ValueError(f"{src}: expected stereo (L=accompaniment, R=voice)")
        if sr == SR:
            both = x16.T.astype(np.float32)
        else:
            g = np.gcd(SR, sr)
            both = resample_poly(x16.T.astype(np.float64), SR // g, sr // g, axis=1).astype(np.float32)
        tmp = cp + ".tmp.npy"
        np.save(tmp, both)
        os.replace(tmp, cp)
    c = Clip(name, both[0].copy(), both[1].copy())
    if keep16:
        if x16 is None:
            _, x16 = read_wav(src)
        c.acc16, c.voice16 = x16[:, 0].copy(), x16[:, 1].copy()
    return c


def load_split(wav_dir, cache_dir, log=print):
    train_names, dev_names = split_names(wav_dir)
    if len(train_names) + len(dev_names) == 0:
        raise SystemExit(f"no abjones/amy clips in {wav_dir}")
    log(f"MIR-1K split: {len(train_names)} training clips, {len(dev_names)} development clips "
        f"({', '.join(dev_names)}); test singers are not read")
    train = [load_clip(wav_dir, n, cache_dir) for n in train_names]
    dev = [load_clip(wav_dir, n, cache_dir, keep16=True) for n in dev_names]
    return train, dev


def stft_mag_and_complex(x, device="cpu", center=False):
    """x: [B, N] float tensor -> complex STFT [B, FFT/2+1, frames]."""
    return torch.stft(x, FFT, HOP, FFT, window=hann(device), center=center, return_complex=True)


class RemixSampler:
    """Random training patches made by remixing sources in the waveform domain.

    For each example: a voice clip and an accompaniment clip (the same clip with probability
    p_same, else another random training clip), each scaled to unit energy over its whole clip
    (the MIR-1K protocol's 0 dB), a voice-to-music gain uniform in [-gain_db, +gain_db] dB,
    independent random crops (offsets) for the two sources when they come from different clips,
    random polarity of each source. The mixture is the sum of the waveforms, so its STFT
    magnitude is the true mixture magnitude.
    """

    def __init__(self, clips, frames, rng: np.random.Generator, p_same=0.3, gain_db=5.0):
        self.clips = clips
        self.frames = frames
        self.n = (frames - 1) * HOP + FFT
        self.rng = rng
        self.p_same = p_same
        self.gain_db = gain_db
        self.acc_scale = [1.0 / max(np.sqrt(np.mean(c.acc.astype(np.float64) ** 2)), 1e-8) for c in clips]
        self.voice_scale = [1.0 / max(np.sqrt(np.mean(c.voice.astype(np.float64) ** 2)), 1e-8) for c in clips]

    def _crop(self, x, off=None):
        n = self.n
        if len(x) < n:
            x = np.pad(x, (0, n - len(x)))
        if off is None:
            off = int(self.rng.integers(0, len(x) - n + 1))
        return x[off:off + n], off

    def sample(self, batch):
        r = self.rng
        voices = np.empty((batch, self.n), np.float32)
        accs = np.empty((batch, self.n), np.float32)
        for b in range(batch):
            vi = int(r.integers(len(self.clips)))
            same = r.random() < self.p_same
            ai = vi if same else int(r.integers(len(self.clips)))
            v, off = self._crop(self.clips[vi].voice)
            a, _ = self._crop(self.clips[ai].acc, off if same and len(self.clips[ai].acc) >= self.n else None)
            g = 10.0 ** (r.uniform(-self.gain_db, self.gain_db) / 20.0)
            sv = self.voice_scale[vi] * g * (1.0 if r.random() < 0.5 else -1.0)
            sa = self.acc_scale[ai] * (1.0 if r.random() < 0.5 else -1.0)
            voices[b] = v * sv
            accs[b] = a * sa
        return torch.from_numpy(voices), torch.from_numpy(accs)


def make_batch(voice, acc, bins, device="cpu"):
    """Waveforms [B, N] -> (mixture magnitude, voice magnitude), both [B, 1, bins, frames],
    normalised by the MIXTURE's max per patch (+1e-8)."""
    voice = voice.to(device)
    acc = acc.to(device)
    mix = voice + acc
    M = stft_mag_and_complex(mix, device)[:, :bins].abs()
    V = stft_mag_and_complex(voice, device)[:, :bins].abs()
    s = M.amax(dim=(1, 2), keepdim=True) + 1e-8
    return (M / s).unsqueeze(1), (V / s).unsqueeze(1)
