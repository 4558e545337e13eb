"""Gain smoothing shared by the voice compressor (prostyle_voices.py) and the bus compressor (prostyle_mix.py)."""
from __future__ import annotations

import numpy as np


def smooth_gain_db(target_db: np.ndarray, attack: float, release: float) -> np.ndarray:
    """One-pole smoothing of a gain curve in dB: the `attack` coefficient while the gain falls (more
    reduction), `release` while it recovers. Coefficients are per sample of `target_db`."""
    out = np.empty(len(target_db))
    s = 0.0
    for i, t in enumerate(target_db):
        c = attack if t < s else release
        s = c * s + (1 - c) * t
        out[i] = s
    return out
