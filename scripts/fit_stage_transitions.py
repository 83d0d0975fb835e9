"""Fit the stage transition matrix the per-study re-fit's temporal smoothing uses, from real
expert scorings that are NOT the dev set: UCDDB (25 nights), MIT-BIH SLPDB (18 records),
HMC SN001 and the Sleep-EDF SC4001 hypnogram in ../shared/data/annotations and sleep-edf.
DREAMS (dreams-dev) is never read here.

    .venv/bin/python scripts/fit_stage_transitions.py [-o resources/staging/stage_transitions.json]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from engine.scoring.importers import import_scoring

ROOT = Path(__file__).resolve().parents[1]
DATA = (ROOT / ".." / "shared" / "data").resolve()


def scoring_files() -> list[Path]:
    files = sorted((DATA / "annotations" / "ucddb").glob("*_stage.txt"))
    files += sorted((DATA / "annotations" / "slpdb").glob("*.an"))
    files += sorted((DATA / "annotations" / "hmc").glob("*.edf"))
    files += sorted((DATA / "sleep-edf").glob("*Hypnogram.edf"))
    return [f for f in files if "dreams" not in str(f).lower()]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("-o", "--output", default=str(ROOT / "resources" / "staging" / "stage_transitions.json"))
    args = ap.parse_args(argv)
    counts = np.zeros((5, 5), np.int64)
    occupancy = np.zeros(5, np.int64)
    used = []
    for f in scoring_files():
        st = np.asarray(import_scoring(f).scoring.stages(), np.int64)
        a, b = st[:-1], st[1:]
        ok = (a >= 0) & (b >= 0)
        np.add.at(counts, (a[ok], b[ok]), 1)
        occupancy += np.bincount(st[st >= 0], minlength=5)
        used.append(f.name)
    # add-one smoothing: no transition is impossible
    trans = (counts + 1) / (counts + 1).sum(1, keepdims=True)
    out = {
        "_about": "Stage transition probabilities (rows from, columns to: W, N1, N2, N3, R) between "
                  "consecutive 30-s epochs, counted on real expert scorings (not the DREAMS dev set), "
                  "add-one smoothed; written by scripts/fit_stage_transitions.py.",
        "stages": ["W", "N1", "N2", "N3", "R"],
        "transitions": [[round(float(x), 5) for x in row] for row in trans],
        "class_frequency": [round(float(x), 5) for x in occupancy / occupancy.sum()],
        "n_transitions": int(counts.sum()),
        "scorings": used,
    }
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(json.dumps(out, indent=1) + "\n")
    print(f"{len(used)} scorings, {int(counts.sum())} transitions -> {args.output}")
    print(np.round(trans, 3))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
