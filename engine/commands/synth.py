"""`pedsleep synth`: write synthetic pediatric whole-night studies (EDF+ and ground truth)."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from engine.errors import UserError

NAME = "synth"
HELP = "write synthetic pediatric whole-night PSG studies (EDF+) with ground-truth annotations"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-o", "--out", required=True, metavar="DIR", help="output folder (created if needed)")
    parser.add_argument("--nights", type=int, default=1, metavar="N", help="number of nights (default 1)")
    parser.add_argument("--hours", type=float, default=8.0, metavar="H", help="recording length in hours (default 8)")
    parser.add_argument("--age", type=float, default=None, metavar="YEARS",
                        help="age in years, 1-18 (default: drawn per night)")
    parser.add_argument("--seed", type=int, default=0, metavar="S", help="seed of the first night (night i uses S+i)")
    parser.add_argument("--ahi", type=float, default=None, metavar="X",
                        help="apnea-hypopnea index, events/h of sleep (default: drawn per night, normal to severe)")
    parser.add_argument("--line-freq", type=float, default=60.0, choices=(50.0, 60.0), help="mains frequency (Hz)")
    parser.add_argument("--clean", action="store_true", help="no artefacts and no missing channel")


def _draw(seed: int, age: float | None, ahi: float | None) -> tuple[float, float]:
    rng = np.random.default_rng(np.random.SeedSequence([seed, 99]))
    a = float(round(rng.uniform(1.0, 18.0), 1)) if age is None else float(age)
    if ahi is None:
        # a clinical mix: about half normal, then mild, moderate and severe OSA
        band = rng.choice(4, p=[0.45, 0.25, 0.18, 0.12])
        lo, hi = [(0.0, 1.0), (1.0, 5.0), (5.0, 10.0), (10.0, 30.0)][band]
        ahi = float(round(rng.uniform(lo, hi), 1))
    return a, float(ahi)


def run(args: argparse.Namespace) -> int:
    from engine.synth import NightParams, generate_night, write_night

    if args.nights < 1:
        raise UserError(f"--nights must be at least 1, got {args.nights}")
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise UserError(f"{out} exists and is not a folder")
    for i in range(args.nights):
        seed = args.seed + i
        age, ahi = _draw(seed, args.age, args.ahi)
        params = NightParams(
            hours=args.hours, age_years=age, ahi=ahi, seed=seed, line_freq_hz=args.line_freq,
            artefacts=not args.clean,
        ).validate()
        t0 = time.perf_counter()
        night = generate_night(params)
        path = write_night(night, out / f"synth_s{seed:05d}.edf")
        n_resp = sum(e.type in ("Obstructive apnea", "Central apnea", "Mixed apnea", "Hypopnea") for e in night.events)
        print(
            f"{path}  age {age:g} y, {night.duration_s / 3600:.2f} h, ahi {ahi:g} "
            f"({n_resp} respiratory events), {len(night.channels)} channels, "
            f"{time.perf_counter() - t0:.1f} s"
        )
    return 0
