#!/usr/bin/python3
"""Writes test/fixtures/bss-eval/*.json: signals and mir_eval's bss_eval_sources outputs, which
test/eval_bss_spec.ts checks lib/eval/bss-eval.ts against (to 0.01 dB).

Run with Debian's python (python3-mir-eval, numpy, scipy):  /usr/bin/python3 training/make_bss_fixture.py

So that both sides score bit-identical inputs, every signal is built from stored int16 samples by
a recipe of integer operations (exact in float64 in numpy and in JavaScript alike):
    signal[n] = sum over terms of gain * (fir * source)[n - delay]      (causal, cut to the length)
BSS Eval is invariant to scaling each reference and each estimate, so integer gains lose nothing
(the 0 dB mixture v/rms(v) + a/rms(a) is, up to a factor, ga*v + gv*a with integer gains).

The last file checks the singular-matrix fallback: np.linalg.solve raises LinAlgError (an exactly
zero pivot) and mir_eval then uses np.linalg.lstsq; we store lstsq's answer.
"""
from __future__ import annotations

import base64
import json
import os
import sys
import warnings

import numpy as np
from scipy.io import wavfile
from scipy.signal import lfilter

import mir_eval
import mir_eval.separation as sep

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "test", "fixtures", "bss-eval")
SAMPLE = os.path.join(ROOT, "..", "shared", "data", "mir1k-sample", "Wavfile")


def b64_int16(x: np.ndarray) -> str:
    assert x.dtype == np.int16
    return base64.b64encode(x.astype("<i2").tobytes()).decode("ascii")


def build(recipe, sources, length):
    """The recipe interpreter (mirrored by test/eval_bss_spec.ts)."""
    out = np.zeros(length, dtype=np.float64)
    for t in recipe:
        x = sources[t["source"]].astype(np.float64)
        fir = np.asarray(t.get("fir", [1]), dtype=np.float64)
        y = np.convolve(x, fir)[:length] * t.get("gain", 1)
        d = t.get("delay", 0)
        out[d:] += y[: length - d]
    return out


def case(name, description, sources, refs, ests, compute_permutation=True):
    length = len(next(iter(sources.values())))
    R = np.stack([build(r, sources, length) for r in refs])
    E = np.stack([build(e, sources, length) for e in ests])
    sdr, sir, sar, perm = sep.bss_eval_sources(R, E, compute_permutation=compute_permutation)
    print(f"  {name}: sdr {np.round(sdr, 3)}, sir {np.round(sir, 3)}, sar {np.round(sar, 3)}, perm {perm}")
    return {
        "name": name,
        "description": description,
        "computePermutation": compute_permutation,
        "references": refs,
        "estimates": ests,
        "expected": {"sdr": sdr.tolist(), "sir": sir.tolist(), "sar": sar.tolist(), "perm": perm.tolist()},
    }


def write(fname, description, sources, cases):
    doc = {
        "generator": "training/make_bss_fixture.py",
        "mir_eval": mir_eval.__version__,
        "numpy": np.__version__,
        "description": description,
        "length": len(next(iter(sources.values()))),
        "sources": {k: b64_int16(v) for k, v in sources.items()},
        "cases": cases,
    }
    path = os.path.join(OUT, fname)
    with open(path, "w") as f:
        json.dump(doc, f, indent=1, allow_nan=False)  # JSON.parse takes no Infinity/NaN
        f.write("\n")
    print(f"{path}: {os.path.getsize(path) // 1024} KB")


def to_int16(x, peak=12000):
    return np.round(x / np.max(np.abs(x)) * peak).astype(np.int16)


def synthetic():
    rng = np.random.default_rng(20240611)
    n = 4000
    t = np.arange(n) / 16000
    # A "voice": harmonics of a gliding pitch with a slow envelope; "music": coloured noise + chord.
    f0 = 220 * (1 + 0.05 * np.sin(2 * np.pi * 3 * t))
    phase = 2 * np.pi * np.cumsum(f0) / 16000
    voice = sum(np.sin(k * phase) / k for k in range(1, 8)) * (0.6 + 0.4 * np.sin(2 * np.pi * 2 * t))
    music = lfilter([1], [1, -0.9], rng.standard_normal(n)) + sum(np.sin(2 * np.pi * f * t) for f in (130.8, 164.8, 196.0))
    s = {
        "voice": to_int16(voice),
        "music": to_int16(music),
        "noise": to_int16(rng.standard_normal(n), 3000),
        "bell": to_int16(np.sin(2 * np.pi * 880 * t) * np.exp(-3 * t) + 0.3 * rng.standard_normal(n)),
    }
    cases = [
        case("filtered-plus-interference",
             "estimate 0 = voice through a 5-tap FIR + music/8 + noise; estimate 1 = music delayed 3 + voice/4 + noise",
             s, [[{"source": "voice"}], [{"source": "music"}]],
             [[{"source": "voice", "gain": 8, "fir": [3, 5, 2, -1, 1]}, {"source": "music", "gain": 8}, {"source": "noise", "gain": 5}],
              [{"source": "music", "gain": 4, "delay": 3}, {"source": "voice"}, {"source": "noise", "gain": 2}]]),
        case("swapped-estimates",
             "the same estimates in the other order: the permutation search must put them back ([1, 0])",
             s, [[{"source": "voice"}], [{"source": "music"}]],
             [[{"source": "music", "gain": 4, "delay": 3}, {"source": "voice"}, {"source": "noise", "gain": 2}],
              [{"source": "voice", "gain": 8, "fir": [3, 5, 2, -1, 1]}, {"source": "music", "gain": 8}, {"source": "noise", "gain": 5}]]),
        case("swapped-no-permutation",
             "swapped estimates scored with compute_permutation=False: estimate j against reference j",
             s, [[{"source": "voice"}], [{"source": "music"}]],
             [[{"source": "music", "gain": 4, "delay": 3}, {"source": "voice"}, {"source": "noise", "gain": 2}],
              [{"source": "voice", "gain": 8, "fir": [3, 5, 2, -1, 1]}, {"source": "music", "gain": 8}, {"source": "noise", "gain": 5}]],
             compute_permutation=False),
        case("mixture-as-estimate",
             "the mixture voice + music as both estimates (the NSDR baseline), no permutation",
             s, [[{"source": "voice"}], [{"source": "music"}]],
             [[{"source": "voice"}, {"source": "music"}], [{"source": "voice"}, {"source": "music"}]],
             compute_permutation=False),
        case("three-sources",
             "three references (voice, music, bell), estimates in the order bell, voice, music with leakage: perm [1, 2, 0]",
             s, [[{"source": "voice"}], [{"source": "music"}], [{"source": "bell"}]],
             [[{"source": "bell", "gain": 6}, {"source": "voice"}, {"source": "noise"}],
              [{"source": "voice", "gain": 5, "fir": [2, 1]}, {"source": "bell"}, {"source": "music"}],
              [{"source": "music", "gain": 3}, {"source": "voice", "gain": 1, "delay": 40}, {"source": "noise", "gain": 2}]]),
    ]
    write("synthetic.json", "4000 samples of synthetic voice, music, noise and bell (int16)", s, cases)


def real():
    name = "Ani_1_06"
    sr, x = wavfile.read(os.path.join(SAMPLE, name + ".wav"))
    assert sr == 16000 and x.dtype == np.int16 and x.shape[1] == 2
    start, n = 16000 * 2, 24000  # 1.5 s from 2 s in, where both the voice and the band play
    acc, voice = x[start:start + n, 0].copy(), x[start:start + n, 1].copy()
    s = {"voice": voice, "accompaniment": acc}
    # 0 dB mixture up to a factor: voice/rms(v) + acc/rms(a) ∝ rms(a)·voice + rms(v)·acc.
    rv = np.sqrt(np.mean(voice.astype(np.float64) ** 2))
    ra = np.sqrt(np.mean(acc.astype(np.float64) ** 2))
    gv, ga = int(round(64 * ra / max(rv, ra))), int(round(64 * rv / max(rv, ra)))
    mix = [{"source": "voice", "gain": gv}, {"source": "accompaniment", "gain": ga}]
    # A crude separation, scaled by 16: 3/4 of the voice and 1/4 of the band through a 3-tap low-pass
    # ([1, 2, 1] / 4, a filtering that BSS Eval counts as target), plus an echo of the voice 700
    # samples late (beyond the 512-tap filter: artifact). The accompaniment estimate is the rest of
    # the mixture.
    v_est = [{"source": "voice", "gain": 3 * gv, "fir": [1, 2, 1]}, {"source": "accompaniment", "gain": ga, "fir": [1, 2, 1]},
             {"source": "voice", "gain": 2 * gv, "delay": 700}]
    a_est = [{"source": "voice", "gain": 16 * gv}, {"source": "accompaniment", "gain": 16 * ga}] + \
            [{**t, "gain": -t["gain"]} for t in v_est]
    refs = [[{"source": "voice"}], [{"source": "accompaniment"}]]
    cases = [
        case("mir1k-weighted-estimate", f"{name}, 1.5 s: a mixture-weighted, low-passed voice estimate and its complement", s, refs, [v_est, a_est]),
        case("mir1k-swapped", "the same estimates in the other order: the permutation search puts them back ([1, 0])", s, refs, [a_est, v_est]),
        case("mir1k-mixture", "the 0 dB mixture as both estimates (the NSDR baseline)", s, refs, [mix, mix], compute_permutation=False),
    ]
    write("mir1k-real.json", f"MIR-1K {name}.wav samples {start}..{start + n} (right = voice, left = accompaniment), int16", s, cases)


def singular():
    """Symmetric matrices with duplicated rows: LU meets an exactly zero pivot, numpy raises."""
    systems = []
    mats = [
        np.array([[2, 1, 2], [1, 2, 1], [2, 1, 2]], dtype=np.float64),
    ]
    b = np.array([[4, 1, 2, 3, 4, 1], [1, 5, 1, 2, 1, 5], [2, 1, 6, 1, 2, 1], [3, 2, 1, 7, 3, 2], [4, 1, 2, 3, 4, 1], [1, 5, 1, 2, 1, 5]], dtype=np.float64)
    mats.append(b)  # rows 4 and 5 repeat rows 0 and 1 (and so do the columns)
    for a in mats:
        n = a.shape[0]
        rhs = np.arange(1, n + 1, dtype=np.float64) * np.array([1, -2, 3, 1, 2, -1][:n])
        try:
            np.linalg.solve(a, rhs)
            raise SystemExit("expected LinAlgError for a singular fixture matrix")
        except np.linalg.LinAlgError:
            pass
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            x = np.linalg.lstsq(a, rhs)[0]  # mir_eval's call (rcond left at numpy's old default)
        systems.append({"n": n, "matrix": a.ravel().tolist(), "rhs": rhs.tolist(), "lstsq": x.tolist()})
    path = os.path.join(OUT, "singular-systems.json")
    with open(path, "w") as f:
        json.dump({"generator": "training/make_bss_fixture.py",
                   "description": "np.linalg.solve raises LinAlgError on these; mir_eval falls back to np.linalg.lstsq(G, D)",
                   "systems": systems}, f, indent=1)
        f.write("\n")
    print(f"{path}")


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    print(f"mir_eval {mir_eval.__version__}, numpy {np.__version__}", file=sys.stderr)
    synthetic()
    real()
    singular()
