"""Whole-clip separation with a PyTorch U-Net (used for validation) and MIR-1K BSS Eval."""
from __future__ import annotations

import numpy as np
import torch
from scipy.signal import resample_poly

from data import FFT, HOP, SR, hann


@torch.no_grad()
def separate_voice_mask(model, mix44: np.ndarray, device="cpu", chunk=8):
    """mix44: mono float waveform at 44.1 kHz. Returns (voice44, acc44) with the mixture phase.

    The STFT (periodic Hann 4096, hop 1024, centred) is cut into patches of `frames` frames with
    50 % overlap, each patch divided by its own max, the masks cross-faded with sin^2 weights.
    Bins above `bins` get, per frame, the mean mask of the top quarter of the modelled bins
    (the same extension as lib/separate/mask-extension.ts).
    """
    cfg = model.cfg
    F_, T = cfg.bins, cfg.frames
    x = torch.from_numpy(np.ascontiguousarray(mix44, dtype=np.float32)).to(device)
    X = torch.stft(x, FFT, HOP, FFT, window=hann(device), center=True, return_complex=True)
    mag = X[:F_].abs()  # [F, L]
    L = mag.shape[1]
    half = T // 2
    n_patches = int(np.ceil((L + half) / half))
    total = (n_patches + 1) * half
    padded = torch.zeros(F_, total, device=device)
    padded[:, half:half + L] = mag
    starts = list(range(0, total - T + 1, half))
    w = torch.hann_window(T, periodic=True, device=device) + 1e-3
    acc_mask = torch.zeros(F_, total, device=device)
    acc_w = torch.zeros(total, device=device)
    for i in range(0, len(starts), chunk):
        ss = starts[i:i + chunk]
        p = torch.stack([padded[:, s:s + T] for s in ss])  # [b, F, T]
        p = p / (p.amax(dim=(1, 2), keepdim=True) + 1e-8)
        m = model.mask(p.unsqueeze(1))[:, 0]
        for j, s in enumerate(ss):
            acc_mask[:, s:s + T] += m[j] * w
            acc_w[s:s + T] += w
    mask = (acc_mask / acc_w.clamp_min(1e-8))[:, half:half + L]
    full = torch.empty(X.shape[0], L, device=device)
    full[:F_] = mask
    top = max(1, F_ // 4)
    full[F_:] = mask[F_ - top:].mean(dim=0, keepdim=True)
    v = torch.istft(X * full, FFT, HOP, FFT, window=hann(device), center=True, length=len(mix44))
    a = torch.istft(X * (1 - full), FFT, HOP, FFT, window=hann(device), center=True, length=len(mix44))
    return v.cpu().numpy(), a.cpu().numpy()


def unit(x):
    x = x.astype(np.float64)
    return x / max(np.sqrt(np.mean(x ** 2)), 1e-12)


def snr_sdr(refs, ests):
    """A cheap stand-in for BSS Eval's SDR: plain signal-to-error ratio, no distortion filter.
    Used to pick checkpoints where mir_eval is not installed (the GPU machine)."""
    return np.array([10 * np.log10(np.sum(r ** 2) / max(np.sum((r - e) ** 2), 1e-20)) for r, e in zip(refs, ests)])


def evaluate_clip(model, voice16, acc16, sr16=16000, device="cpu", mix_sdr_cache=None, name=None, metric="bss"):
    """MIR-1K protocol on one clip: unit-energy sources summed at 0 dB, separated at 44.1 kHz,
    back to the clip's rate, BSS Eval v3 (mir_eval; metric="snr": snr_sdr, SIR/SAR NaN).
    Returns dict with SDR/SIR/SAR, NSDR."""
    v, a = unit(voice16), unit(acc16)
    mix = v + a
    g = np.gcd(SR, sr16)
    mix44 = resample_poly(mix, SR // g, sr16 // g)
    ve44, ae44 = separate_voice_mask(model, mix44, device)
    ve = resample_poly(ve44.astype(np.float64), sr16 // g, SR // g)[: len(mix)]
    ae = resample_poly(ae44.astype(np.float64), sr16 // g, SR // g)[: len(mix)]
    if len(ve) < len(mix):
        ve = np.pad(ve, (0, len(mix) - len(ve)))
        ae = np.pad(ae, (0, len(mix) - len(ae)))
    refs = np.stack([v, a])
    if metric == "snr":
        sdr, sdr_mix = snr_sdr(refs, [ve, ae]), snr_sdr(refs, [mix, mix])
        nan = [float("nan")] * 2
        return {"len": len(mix), "sdr": sdr.tolist(), "sir": nan, "sar": nan, "nsdr": (sdr - sdr_mix).tolist()}
    import mir_eval.separation as sep
    sdr, sir, sar, _ = sep.bss_eval_sources(refs, np.stack([ve, ae]), compute_permutation=False)
    key = name
    if mix_sdr_cache is not None and key in mix_sdr_cache:
        sdr_mix = mix_sdr_cache[key]
    else:
        sdr_mix, _, _, _ = sep.bss_eval_sources(refs, np.stack([mix, mix]), compute_permutation=False)
        if mix_sdr_cache is not None:
            mix_sdr_cache[key] = sdr_mix
    return {
        "len": len(mix),
        "sdr": sdr.tolist(), "sir": sir.tolist(), "sar": sar.tolist(),
        "nsdr": (sdr - sdr_mix).tolist(),
    }


def evaluate_dev(model, dev_clips, device="cpu", mix_sdr_cache=None, metric="bss"):
    """Length-weighted (G)NSDR/GSIR/GSAR over dev clips; index 0 = voice, 1 = accompaniment."""
    was = model.training
    model.eval()
    per = {}
    for c in dev_clips:
        per[c.name] = evaluate_clip(model, c.voice16, c.acc16, device=device,
                                    mix_sdr_cache=mix_sdr_cache, name=c.name, metric=metric)
    model.train(was)
    tot = sum(r["len"] for r in per.values())
    agg = {}
    for k in ("nsdr", "sir", "sar", "sdr"):
        agg["g" + k] = [sum(r[k][s] * r["len"] for r in per.values()) / tot for s in range(2)]
    return agg, per
