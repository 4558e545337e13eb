#!/usr/bin/env python3
"""The pro-style accompaniment pool: professionally produced instrumental music from Debian packages,
plus MIDI backing tracks (mma grooves over random chord charts) rendered by fluidsynth through three
General MIDI soundfonts. Every piece is mastered (EQ, compression, limiting) as commercial mixes are,
written as 44.1 kHz stereo 16-bit WAV under data/prostyle/acc/<source>/, and listed in
data/prostyle/acc/manifest.json with its source, licence family and split (train / val).

  OPENBLAS_NUM_THREADS=1 /usr/bin/python3 training/prostyle_sources.py games      # decode + master
  OPENBLAS_NUM_THREADS=1 /usr/bin/python3 training/prostyle_sources.py midi --songs 120
  OPENBLAS_NUM_THREADS=1 /usr/bin/python3 training/prostyle_sources.py screen     # drop voiced pieces
  OPENBLAS_NUM_THREADS=1 /usr/bin/python3 training/prostyle_sources.py manifest

The split is by whole piece and fixed by a hash of its name (never by score): about one piece in eight
(and every mma groove of the `VAL_GROOVES` list) is kept for the pro-style validation set.
"""
from __future__ import annotations

import argparse
import glob
import hashlib
import json
import os
import random
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
OUT = os.path.join(REPO, "data", "prostyle", "acc")

# Music folders of the Debian packages (package -> folder, glob). Sound effects and the voice packs
# (hedgewars Sounds/voices, freedroidrpg voice_samples) are never read.
GAME_MUSIC = {
    "wesnoth-1.16-music": "/usr/share/games/wesnoth/1.16/data/core/music/*.ogg",
    "supertuxkart-data": "/usr/share/games/supertuxkart/data/music/*.ogg",
    "hedgewars-data": "/usr/share/games/hedgewars/Data/Music/*.ogg",
    "freedroidrpg-data": "/usr/share/freedroidrpg/data/sound/music/*.ogg",
    "extremetuxracer-data": "/usr/share/games/etr/music/*.ogg",
    "frozen-bubble-data": "/usr/share/games/frozen-bubble/snd/*zik*.ogg",
}
# Pieces dropped before any screening, by name: silence; two FreedroidRPG tracks from a netlabel whose own
# licence is not stated (Debian lists them under the package's GPL-2+); and three whose titles or credits
# suggest voices (a canticle title, NASA material, a track the credits call a song).
DROP_BY_NAME = {"silence", "Bleostrada", "TheBeginning", "nunc_dimittis", "alien_signal", "Boom_boom_boom"}

SOUNDFONTS = {
    "fluid-soundfont-gm": "/usr/share/sounds/sf2/FluidR3_GM.sf2",
    "musescore-general-soundfont": "/usr/share/sounds/sf3/MuseScore_General.sf3",
    "timgm6mb-soundfont": "/usr/share/sounds/sf2/TimGM6mb.sf2",
}
# mma grooves by style. Rock renders get overdriven or distorted guitars in most songs.
GROOVES = {
    "rock": ["50sRock", "60sRock", "8Beat", "BasicRock", "BubbleRock", "FolkRock", "Rock-128", "RockBallad", "JazzRock"],
    "pop": ["PopBallad", "Ballad", "PianoBallad", "RB", "RB-Ballad", "DSoul", "BVFunk", "Ska", "Showtune"],
    "folk": ["Folk", "FolkBallad", "BlueGrass", "CountrySwing", "GuitarBallad", "HillCountry", "BlueFolk", "CountryWaltz"],
    "latin": ["BossaNova", "Salsa", "Samba", "Rhumba", "Beguine"],
}
VAL_GROOVES = {"FolkRock", "RB", "BlueFolk", "Samba"}
# General MIDI programs (0-based) that are voices: never rendered.
VOICE_PROGRAMS = {52: 48, 53: 48, 54: 89, 85: 81, 91: 89}

PROGRESSIONS_MAJOR = [["I", "V", "vi", "IV"], ["vi", "IV", "I", "V"], ["I", "IV", "V", "IV"], ["I", "vi", "IV", "V"],
                      ["ii", "V", "I", "I"], ["I", "IV", "I", "V"], ["IV", "I", "V", "vi"]]
PROGRESSIONS_MINOR = [["i", "VII", "VI", "VII"], ["i", "iv", "VII", "III"], ["i", "VI", "III", "VII"], ["i", "iv", "v", "i"]]
NOTES = ["C", "Db", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"]
DEGREES = {"I": (0, ""), "ii": (2, "m"), "iii": (4, "m"), "IV": (5, ""), "V": (7, ""), "vi": (9, "m"),
           "i": (0, "m"), "III": (3, ""), "iv": (5, "m"), "v": (7, "m"), "VI": (8, ""), "VII": (10, "")}


def split_of(name: str) -> str:
    """Fixed by the name's hash, never by score: about one piece in eight is validation."""
    return "val" if int(hashlib.sha1(name.encode()).hexdigest(), 16) % 8 == 0 else "train"


def master_args(rng: random.Random):
    """A sox effect chain that masters a piece: EQ, bus compression, limiting to -1 dBFS."""
    return ["highpass", "30",
            "bass", f"{rng.uniform(-2, 4):.1f}", "treble", f"{rng.uniform(-2, 3):.1f}",
            "equalizer", f"{rng.choice([250, 500, 1000, 2000, 4000])}", "1q", f"{rng.uniform(-3, 3):.1f}",
            # compression: about 3:1 above -24 dB (relative to the normalised peak), soft knee
            "gain", "-n", "-3",
            "compand", "0.01,0.25", "6:-60,-60,-24,-24,0,-16", f"{rng.uniform(4, 8):.1f}", "-90", "0.05",
            # limiting: a fast compressor near full scale, then the peak to -1 dBFS
            "compand", "0.002,0.08", "1:-6,-6,0,-3", "0", "-90", "0.01",
            "gain", "-n", "-1"]


def master_file(src: str, dst: str, seed: int):
    rng = random.Random(seed)
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    tmp = dst + ".tmp.wav"
    dec = subprocess.Popen(["ffmpeg", "-v", "error", "-i", src, "-ac", "2", "-ar", "44100", "-f", "wav", "-"],
                           stdout=subprocess.PIPE)
    subprocess.run(["sox", "-V1", "-t", "wav", "-", "-b", "16", tmp, *master_args(rng)], stdin=dec.stdout, check=True)
    dec.wait()
    if dec.returncode:
        raise RuntimeError(f"ffmpeg failed on {src}")
    os.replace(tmp, dst)


def cmd_games(a):
    jobs = []
    for pkg, pattern in GAME_MUSIC.items():
        for f in sorted(glob.glob(pattern)):
            stem = os.path.splitext(os.path.basename(f))[0]
            if stem in DROP_BY_NAME:
                continue
            dst = os.path.join(OUT, pkg, stem + ".wav")
            if not os.path.exists(dst):
                jobs.append((f, dst, int(hashlib.sha1(f.encode()).hexdigest()[:8], 16)))
    print(f"{len(jobs)} pieces to decode and master", flush=True)
    with ThreadPoolExecutor(a.jobs) as ex:
        for i, _ in enumerate(ex.map(lambda j: master_file(*j), jobs)):
            if i % 10 == 0:
                print(f"  {i + 1}/{len(jobs)}", flush=True)


def chord_chart(rng: random.Random, bars: int):
    minor = rng.random() < 0.35
    prog = rng.choice(PROGRESSIONS_MINOR if minor else PROGRESSIONS_MAJOR)
    key = rng.randrange(12)
    chords = []
    for deg in prog:
        off, q = DEGREES[deg]
        chords.append(NOTES[(key + off) % 12] + q + rng.choice(["", "", "7"] if q == "" else ["", "7"]))
    # verse / chorus: a second progression for the middle section
    prog2 = rng.choice(PROGRESSIONS_MINOR if minor else PROGRESSIONS_MAJOR)
    chords2 = [NOTES[(key + DEGREES[d][0]) % 12] + DEGREES[d][1] for d in prog2]
    lines = []
    for b in range(bars):
        section = chords2 if (bars // 3) <= b < (2 * bars // 3) else chords
        lines.append(f"{b + 1} {section[b % len(section)]}")
    return lines


def rewrite_programs(mid_path: str, style: str, rng: random.Random):
    """No voice programs; rock songs mostly with overdriven/distorted guitars; some pop as electronic."""
    import mido
    m = mido.MidiFile(mid_path)
    distort = style == "rock" and rng.random() < 0.75
    electronic = style == "pop" and rng.random() < 0.35
    guitar_to = rng.choice([29, 30])
    synth_lead, synth_pad, synth_bass = rng.choice(range(80, 88)), rng.choice([88, 89, 90, 92, 94, 95]), rng.choice([38, 39])
    for tr in m.tracks:
        for msg in tr:
            if msg.type != "program_change":
                continue
            p = msg.program
            if p in VOICE_PROGRAMS:
                p = VOICE_PROGRAMS[p]
            if distort and 24 <= p <= 31:
                p = guitar_to
            if electronic:
                if 0 <= p <= 7 or 24 <= p <= 31:
                    p = synth_lead if rng.random() < 0.3 else synth_pad
                elif 32 <= p <= 39:
                    p = synth_bass
            msg.program = p
    m.save(mid_path)
    return {"distorted": distort, "electronic": electronic}


def render_song(i: int, seed: int):
    rng = random.Random(seed)
    style = rng.choice(list(GROOVES))
    groove = rng.choice(GROOVES[style])
    tempo = rng.randint(70, 150)
    bars = rng.randint(24, 40)
    sf_name = rng.choice(list(SOUNDFONTS))
    name = f"mma{i:03d}-{groove.lower()}-{sf_name.split('-')[0]}"
    dst = os.path.join(OUT, "mma", name + ".wav")
    meta_path = dst[:-4] + ".json"
    if os.path.exists(dst) and os.path.exists(meta_path):
        return
    work = os.path.join(OUT, "mma", ".work")
    os.makedirs(work, exist_ok=True)
    mma_file = os.path.join(work, name + ".mma")
    with open(mma_file, "w") as f:
        f.write(f"Tempo {tempo}\nGroove {groove}\n" + "\n".join(chord_chart(rng, bars)) + "\n")
    mid = os.path.join(work, name + ".mid")
    r = subprocess.run(["mma", "-f", mid, mma_file], capture_output=True, text=True)
    if r.returncode or not os.path.exists(mid):
        print(f"mma failed for {groove}: {r.stdout[-300:]} {r.stderr[-300:]}", flush=True)
        return
    flags = rewrite_programs(mid, style, rng)
    raw = os.path.join(work, name + ".raw.wav")
    subprocess.run(["fluidsynth", "-ni", "-q", "-g", "0.5", "-r", "44100", "-F", raw, SOUNDFONTS[sf_name], mid],
                   check=True, capture_output=True)
    tmp = dst + ".tmp.wav"
    subprocess.run(["sox", "-V1", raw, "-b", "16", "-c", "2", tmp, *master_args(rng)], check=True)
    os.replace(tmp, dst)
    os.remove(raw)
    json.dump({"style": style, "groove": groove, "tempo": tempo, "bars": bars, "soundfont": sf_name, **flags},
              open(meta_path, "w"))


def cmd_midi(a):
    with ThreadPoolExecutor(a.jobs) as ex:
        list(ex.map(lambda i: render_song(i, 1000 + i), range(a.songs)))
    print(f"rendered {len(glob.glob(os.path.join(OUT, 'mma', '*.wav')))} mma songs", flush=True)


def cmd_screen(a):
    """Estimates each piece's vocal content with the MIR-1K-trained default model and drops pieces whose
    estimated voice is strong in many sampled patches: a voiced accompaniment teaches the model to leave
    voices in the karaoke track. Writes data/prostyle/acc/screen.json."""
    import numpy as np
    import torch
    sys.path.insert(0, HERE)
    from unet import UNet, UNetConfig
    from data import FFT, HOP, read_wav
    torch.set_num_threads(a.threads)
    ck = torch.load(os.path.join(HERE, "checkpoints", "default", "best-fp16.pt"), map_location="cpu")
    cfg = UNetConfig.from_dict(ck["config"])
    model = UNet(cfg)
    model.load_state_dict({k: (v.float() if v.is_floating_point() else v) for k, v in ck["model"].items()})
    model.eval()
    n = (cfg.frames - 1) * HOP + FFT
    win = torch.hann_window(FFT, periodic=True)
    screen_path = os.path.join(OUT, "screen.json")
    result = json.load(open(screen_path)) if os.path.exists(screen_path) else {}  # incremental: new pieces only
    for f in sorted(glob.glob(os.path.join(OUT, "*", "*.wav"))):
        if os.path.relpath(f, OUT) in result or f.endswith(".tmp.wav"):
            continue
        if os.path.relpath(f, OUT).startswith("mma/") and not a.include_midi:
            continue  # rendered with the voice programs replaced: voice-free by construction
        sr, x = read_wav(f)
        mid = x.mean(axis=1)
        starts = list(range(0, max(len(mid) - n, 1), int(a.every * sr)))
        ratios = []
        with torch.no_grad():
            for s0 in starts:
                seg = torch.from_numpy(np.ascontiguousarray(mid[s0:s0 + n]))
                if len(seg) < n:
                    continue
                X = torch.stft(seg, FFT, HOP, FFT, window=win, center=False, return_complex=True)[:cfg.bins].abs()
                e_mix = float((X ** 2).sum())
                if e_mix < 1e-6:
                    continue
                mask = model((X / (X.max() + 1e-8))[None, None])[0, 0]
                ratios.append(float(((mask * X) ** 2).sum()) / e_mix)
        if not ratios:
            continue
        r = np.array(ratios)
        result[os.path.relpath(f, OUT)] = {"patches": len(r), "median": float(np.median(r)), "p90": float(np.quantile(r, 0.9)),
                                           "frac_over": float(np.mean(r > a.patch_threshold))}
        print(f"{os.path.relpath(f, OUT)}: median {np.median(r):.3f} p90 {np.quantile(r, 0.9):.3f} "
              f"over {np.mean(r > a.patch_threshold):.2f}", flush=True)
        json.dump(result, open(screen_path, "w"), indent=1)


def cmd_manifest(a):
    """Keeps a recorded piece when the screen's 90th percentile of estimated voice energy is at most
    --max-p90 (instrumental pieces measured 0.00–0.05, the one track the credits call a song 0.19). MIDI
    renders are voice-free by construction (voice programs replaced) and only reported."""
    screen = json.load(open(os.path.join(OUT, "screen.json")))
    items, dropped = [], []
    pieces = sorted(set(screen) | {os.path.relpath(f, OUT) for f in glob.glob(os.path.join(OUT, "mma", "*.wav"))})
    for rel in pieces:
        s = screen.get(rel, {"screened": False})
        src = rel.split("/")[0]
        if src != "mma" and rel not in screen:
            raise SystemExit(f"{rel} was not screened: run `screen` first")
        name = os.path.splitext(os.path.basename(rel))[0]
        if name in DROP_BY_NAME:
            dropped.append({"file": rel, "why": "dropped by name (licence or title)", **s})
            continue
        if src != "mma" and s["p90"] > a.max_p90:
            dropped.append({"file": rel, "why": f"screen p90 {s['p90']:.3f} > {a.max_p90}", **s})
            continue
        if src == "mma":
            meta = json.load(open(os.path.join(OUT, rel[:-4] + ".json")))
            split = "val" if meta["groove"] in VAL_GROOVES else "train"
        else:
            meta = {}
            split = split_of(rel)
        items.append({"file": rel, "source": src, "split": split, **meta})
    json.dump({"items": items, "dropped": dropped, "rule": f"recorded pieces: screen p90 <= {a.max_p90}"},
              open(os.path.join(OUT, "manifest.json"), "w"), indent=1)
    print(f"{len(items)} pieces kept ({sum(i['split'] == 'val' for i in items)} val), {len(dropped)} dropped:")
    for d in dropped:
        print(f"  {d['file']}: {d['why']}")


def cmd_stats(a):
    """Hours per source and split of the manifest (for training/DATA_CARD.md)."""
    import collections
    from scipy.io import wavfile
    m = json.load(open(os.path.join(OUT, "manifest.json")))
    hours = collections.defaultdict(float)
    count = collections.Counter()
    for it in m["items"]:
        sr, x = wavfile.read(os.path.join(OUT, it["file"]), mmap=True)
        key = (it["source"], it["split"]) if it["source"] != "mma" else (f"mma/{it['style']}", it["split"])
        hours[key] += len(x) / sr / 3600
        count[key] += 1
    for k in sorted(hours):
        print(f"| {k[0]} | {k[1]} | {count[k]} | {hours[k] * 60:.1f} min |")
    print(f"total: {sum(hours.values()):.2f} h in {sum(count.values())} pieces; dropped {len(m['dropped'])}")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("cmd", choices=["games", "midi", "screen", "manifest", "stats"])
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--songs", type=int, default=120)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--every", type=float, default=8.0, help="screen: seconds between sampled patches")
    p.add_argument("--patch-threshold", type=float, default=0.25)
    p.add_argument("--max-p90", type=float, default=0.08)
    p.add_argument("--include-midi", action="store_true", help="screen: also the mma renders (voice-free by construction)")
    a = p.parse_args()
    {"games": cmd_games, "midi": cmd_midi, "screen": cmd_screen, "manifest": cmd_manifest, "stats": cmd_stats}[a.cmd](a)


if __name__ == "__main__":
    main()
