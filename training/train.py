#!/usr/bin/env python3
"""Train the Jansson U-Net on MIR-1K (standard split) with on-the-fly remixing.

  OPENBLAS_NUM_THREADS=1 /usr/bin/python3 training/train.py --mir1k data/dataset/mir-1k/Wavfile \
      --name mir1k-protocol --steps 20000
  ... add --resume to continue a stopped run exactly where its last checkpoint was.

Loss: L1 between mask x mixture magnitude and the voice magnitude, both divided by the
mixture patch's max. Validation: dev-clip GNSDR (voice) through whole-clip separation,
mixture phase, iSTFT, mir_eval BSS Eval v3; the best one is kept in best.pt (and exported to
<out>/tfjs-best/ in the tfjs layers format).
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import signal
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np
import torch

from unet import UNet, UNetConfig, count_params
from data import load_split, RemixSampler, TorchRemixSampler, make_batch
from separate import evaluate_dev

REPO = os.path.dirname(HERE)


def parse():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--mir1k", default=os.path.join(REPO, "data/dataset/mir-1k/Wavfile"),
                   help="MIR-1K Wavfile/ folder")
    p.add_argument("--name", default="mir1k-protocol")
    p.add_argument("--out", default=None, help="run dir (default training/runs/<name>)")
    p.add_argument("--cache", default=os.path.join(REPO, "data/cache/mir1k-44k"))
    p.add_argument("--config", default=None,
                   help='JSON object or file with bins/frames/baseFilters/depth/channelsIn '
                        '(default Jansson: 512/128/16/6/1)')
    p.add_argument("--bins", type=int); p.add_argument("--frames", type=int)
    p.add_argument("--base-filters", type=int); p.add_argument("--depth", type=int)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--steps", type=int, default=20000, help="total optimiser steps")
    p.add_argument("--lr", type=float, default=1e-4)
    p.add_argument("--p-same", type=float, default=0.3, help="probability that voice and accompaniment come from the same clip")
    p.add_argument("--gain-db", type=float, default=5.0, help="voice-to-music gain range +-dB")
    p.add_argument("--val-every", type=int, default=200, help="steps per 'epoch' (validation + log row)")
    p.add_argument("--ckpt-minutes", type=float, default=5.0)
    p.add_argument("--resume", action="store_true", help="continue from <out>/last.pt")
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu", choices=["cpu", "cuda"])
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seed", type=int, default=1234)
    p.add_argument("--progress-every", type=int, default=10)
    p.add_argument("--no-export", action="store_true", help="do not export best checkpoint to <out>/tfjs-best")
    p.add_argument("--split", default="protocol", choices=["protocol", "default"],
                   help="protocol: abjones+amy only; default: all singers but data.HELDOUT_SINGERS")
    p.add_argument("--val-metric", default="bss", choices=["bss", "snr"],
                   help="bss: mir_eval BSS Eval v3 SDR; snr: plain signal-to-error ratio (no mir_eval needed)")
    p.add_argument("--max-minutes", type=float, default=None,
                   help="stop after this much training time; the last 30 %% of it decays lr linearly to lr/10")
    p.add_argument("--amp", action="store_true", help="bf16 autocast (CUDA)")
    p.add_argument("--data", default="mir1k", choices=["mir1k", "prostyle"],
                   help="mir1k: MIR-1K remixes only; prostyle: produced voices over mastered accompaniments "
                        "(training/prostyle_*.py), with --p-mir of the examples MIR-1K remixes; checkpoints are "
                        "picked on the pro-style validation set")
    p.add_argument("--prostyle-dir", default=os.path.join(REPO, "data/prostyle"))
    p.add_argument("--p-mir", type=float, default=0.2, help="prostyle: share of MIR-1K remixes in a batch")
    p.add_argument("--val-count", type=int, default=48, help="prostyle: clips in the pro-style validation set")
    p.add_argument("--reset-best", action="store_true",
                   help="with --resume: forget the best score so far (after the validation set was rebuilt)")
    p.add_argument("--init", default=None, metavar="WEIGHTS.pt",
                   help="start a new run from these weights (the 'model' state dict of a checkpoint, e.g. a "
                        "weights-only best-fp16.pt; cast to float32); optimiser, step and lr schedule start afresh")
    return p.parse_args()


def resolve_config(a):
    cfg = UNetConfig().to_dict()
    if a.config:
        cfg.update(json.load(open(a.config)) if os.path.exists(a.config) else json.loads(a.config))
    for k, v in (("bins", a.bins), ("frames", a.frames), ("baseFilters", a.base_filters), ("depth", a.depth)):
        if v is not None:
            cfg[k] = v
    c = UNetConfig.from_dict(cfg)
    if c.channelsIn != 1:
        raise SystemExit("this trainer feeds mono mixtures: channelsIn must be 1")
    return c


def atomic_save(obj, path):
    tmp = path + ".tmp"
    torch.save(obj, tmp)
    os.replace(tmp, path)


def main():
    a = parse()
    torch.set_num_threads(a.threads)
    out = a.out or os.path.join(HERE, "runs", a.name)
    os.makedirs(out, exist_ok=True)
    last_path, best_path = os.path.join(out, "last.pt"), os.path.join(out, "best.pt")
    log_path = os.path.join(out, "log.jsonl")

    def say(*x):
        print(f"[{dt.datetime.utcnow().strftime('%H:%M:%S')}]", *x, flush=True)

    ckpt = None
    if a.resume:
        if not os.path.exists(last_path):
            raise SystemExit(f"--resume: no {last_path}")
        ckpt = torch.load(last_path, map_location="cpu")
        cfg = UNetConfig.from_dict(ckpt["config"])
        targs = ckpt["args"]
        # the data/optimisation settings of the run are kept; --steps may be raised
        # (checkpoints written before --split existed are protocol runs)
        defaults = {"split": "protocol", "data": "mir1k", "p_mir": 0.2, "prostyle_dir": a.prostyle_dir, "val_count": 48}
        for k in ("batch", "lr", "p_same", "gain_db", "seed", "val_every", "split", "data", "p_mir", "prostyle_dir", "val_count"):
            setattr(a, k, targs.get(k, defaults.get(k)))
        say(f"resuming {last_path} at step {ckpt['step']}")
    else:
        cfg = resolve_config(a)
        if os.path.exists(last_path):
            raise SystemExit(f"{last_path} exists: use --resume, or another --name/--out")
    random.seed(a.seed); np.random.seed(a.seed); torch.manual_seed(a.seed)

    device = torch.device(a.device)
    model = UNet(cfg).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=a.lr)
    rng = np.random.default_rng(a.seed)
    step, best, best_step = 0, -1e9, -1
    run_loss, run_n = 0.0, 0
    started_utc = dt.datetime.utcnow().isoformat(timespec="seconds") + "Z"
    if ckpt is None and a.init:
        init = torch.load(a.init, map_location="cpu")
        if init.get("config") and UNetConfig.from_dict(init["config"]).to_dict() != cfg.to_dict():
            raise SystemExit(f"--init: {a.init} has config {json.dumps(init['config'])}, this run "
                             f"{json.dumps(cfg.to_dict())}: pass the same --bins/--frames/--base-filters/--depth")
        model.load_state_dict({k: (v.float() if v.is_floating_point() else v) for k, v in init["model"].items()})
        say(f"initialised from the weights of {a.init} (step {init.get('step')} of its run)")
    if ckpt is not None:
        model.load_state_dict(ckpt["model"])
        opt.load_state_dict(ckpt["optimizer"])
        step, best, best_step = ckpt["step"], ckpt["best"], ckpt["best_step"]
        if a.reset_best:
            best, best_step = -1e9, -1
        run_loss, run_n = ckpt.get("run_loss", 0.0), ckpt.get("run_n", 0)
        rng.bit_generator.state = ckpt["rng"]["numpy_gen"]
        np.random.set_state(ckpt["rng"]["numpy_global"])
        random.setstate(ckpt["rng"]["python"])
        torch.set_rng_state(ckpt["rng"]["torch"])
        if device.type == "cuda" and ckpt["rng"].get("cuda") is not None:
            torch.cuda.set_rng_state_all(ckpt["rng"]["cuda"])
        started_utc = ckpt.get("started_utc", started_utc)
    say(f"config {json.dumps(cfg.to_dict())}  {count_params(model):,} params  batch {a.batch}  "
        f"lr {a.lr}  device {device}  threads {torch.get_num_threads()}")

    train, dev = load_split(a.mir1k, a.cache, log=say, split=a.split)
    if device.type == "cuda":
        sampler = TorchRemixSampler(train, cfg.frames, device, a.seed + step, p_same=a.p_same, gain_db=a.gain_db)
        torch.backends.cudnn.benchmark = True
    else:
        sampler = RemixSampler(train, cfg.frames, rng, p_same=a.p_same, gain_db=a.gain_db)
    prostyle_val = None
    if a.data == "prostyle":
        import prostyle_mix as pm
        import glob
        voices = pm.load_voices(*sorted(glob.glob(os.path.join(a.prostyle_dir, "voices-train*.npz"))))
        accs = pm.load_accompaniments(os.path.join(a.prostyle_dir, "acc"), "train")
        sampler = pm.ProStyleSampler(voices, accs, cfg.frames, rng, mir_sampler=sampler, p_mir=a.p_mir)
        val_path = os.path.join(a.prostyle_dir, f"val-{a.val_count}.npz")
        if os.path.exists(val_path):
            prostyle_val = pm.load_validation_set(val_path)
        else:
            prostyle_val = pm.make_validation_set(pm.load_voices(os.path.join(a.prostyle_dir, "voices-val.npz")),
                                                  pm.load_accompaniments(os.path.join(a.prostyle_dir, "acc"), "val"),
                                                  a.val_count, 4242, val_path)
        say(f"pro-style data: {len(voices['lens'])} produced voices, {len(accs)} accompaniment pieces "
            f"({sum(len(x) for _, x in accs) / 44100 / 3600:.2f} h); {a.p_mir:.0%} MIR-1K remixes; "
            f"validation: {len(prostyle_val[0])} pro-style clips ({val_path})")
    mix_sdr_cache = {}

    def state():
        return {
            "model": model.state_dict(), "optimizer": opt.state_dict(), "config": cfg.to_dict(),
            "step": step, "best": best, "best_step": best_step, "run_loss": run_loss, "run_n": run_n,
            "args": vars(a), "started_utc": started_utc,
            "saved_utc": dt.datetime.utcnow().isoformat(timespec="seconds") + "Z",
            "rng": {"numpy_gen": rng.bit_generator.state, "numpy_global": np.random.get_state(),
                    "python": random.getstate(), "torch": torch.get_rng_state(),
                    "cuda": torch.cuda.get_rng_state_all() if device.type == "cuda" else None},
            "train_clips": [c.name for c in train], "dev_clips": [c.name for c in dev],
        }

    stop = {"flag": False}

    def on_signal(sig, frm):
        stop["flag"] = True
        say(f"signal {sig}: will checkpoint and stop after this step")
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    model.train()
    t_ckpt = time.time()
    t0, s0 = time.time(), step
    ema = None
    budget = a.max_minutes * 60 if a.max_minutes else None
    while step < a.steps and not stop["flag"]:
        if budget is not None:
            frac = (time.time() - t0) / budget
            if frac >= 1:
                say(f"time budget of {a.max_minutes} min spent")
                break
            for grp in opt.param_groups:
                grp["lr"] = a.lr * (1.0 if frac < 0.7 else 1.0 - 0.9 * (frac - 0.7) / 0.3)
        voice, acc = sampler.sample(a.batch)
        X, Y = make_batch(voice, acc, cfg.bins, device)
        opt.zero_grad(set_to_none=True)
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=a.amp):
            loss = (model(X).float() - Y).abs().mean()
        loss.backward()
        opt.step()
        step += 1
        if step % a.progress_every == 0 or device.type != "cuda":
            lv = float(loss.item())  # a GPU sync: only when it is printed
            run_loss += lv; run_n += 1
            ema = lv if ema is None else 0.98 * ema + 0.02 * lv
        if step % a.progress_every == 0:
            sps = (step - s0) / max(time.time() - t0, 1e-9)
            eta = (a.steps - step) / max(sps, 1e-9)
            say(f"step {step}/{a.steps}  loss {lv:.5f} (ema {ema:.5f})  {sps:.3f} steps/s  "
                f"{1 / max(sps, 1e-9):.2f} s/step  ETA {dt.timedelta(seconds=int(eta))}")
        if step % a.val_every == 0 or step == a.steps:
            tv = time.time()
            agg, per = evaluate_dev(model, dev, device, mix_sdr_cache, metric=a.val_metric)
            gn = agg["gnsdr"][0]
            score = gn
            pro = None
            if prostyle_val is not None:
                import prostyle_mix as pm
                pro = pm.evaluate_prostyle(model, prostyle_val, device)
                score = pro[0]  # the pro-style set picks the checkpoint
            improved = score > best
            row = {"step": step, "epoch": step // a.val_every, "utc": dt.datetime.utcnow().isoformat(timespec="seconds") + "Z",
                   "train_loss": run_loss / max(run_n, 1), "val_gnsdr_voice": gn, "val_gnsdr_acc": agg["gnsdr"][1],
                   "val_gsir_voice": agg["gsir"][0], "val_gsar_voice": agg["gsar"][0],
                   "val_nsdr_voice_per_clip": {k: v["nsdr"][0] for k, v in per.items()},
                   **({"prostyle_sdr_voice": pro[0], "prostyle_sdr_acc": pro[1], "prostyle_sdr_voice_min": pro[2]} if pro else {}),
                   "val_seconds": round(time.time() - tv, 1), "best": improved}
            with open(log_path, "a") as f:
                f.write(json.dumps(row) + "\n")
            say(f"VALIDATION step {step}: train loss {row['train_loss']:.5f}  dev GNSDR voice {gn:.3f} dB  "
                f"acc {agg['gnsdr'][1]:.3f} dB  GSIR {agg['gsir'][0]:.2f}  GSAR {agg['gsar'][0]:.2f}  "
                + (f"  pro-style SDR voice {pro[0]:.3f} acc {pro[1]:.3f} worst {pro[2]:.3f}" if pro else "")
                + f"  ({row['val_seconds']} s){'  NEW BEST' if improved else ''}")
            run_loss, run_n = 0.0, 0
            if improved:
                best, best_step = score, step
                st = state(); st["val"] = row
                atomic_save(st, best_path)
                # weights alone in fp16 (what ships): small enough to bring back from a GPU machine
                atomic_save({"model": {k: (v.half() if v.is_floating_point() else v) for k, v in model.state_dict().items()},
                             "config": cfg.to_dict(), "step": step, "val": row, "args": vars(a),
                             "train_clips": st["train_clips"], "dev_clips": st["dev_clips"]},
                            os.path.join(out, "best-fp16.pt"))
                if not a.no_export:
                    try:
                        from export_tfjs import export_checkpoint
                        export_checkpoint(best_path, os.path.join(out, "tfjs-best"), name=a.name)
                    except Exception as e:  # export problems must not stop training
                        say(f"export of best failed: {e!r}")
            atomic_save(state(), last_path); t_ckpt = time.time()
        elif time.time() - t_ckpt > a.ckpt_minutes * 60:
            atomic_save(state(), last_path); t_ckpt = time.time()
            say(f"checkpoint {last_path} at step {step}")
    atomic_save(state(), last_path)
    say(f"stopped at step {step}; last checkpoint {last_path}; best dev GNSDR {best:.3f} dB at step {best_step}")


if __name__ == "__main__":
    main()
