"""Stage agreement on the real DREAMS dev excerpts (measured here, never tuned on): YASA
alone, our suggestion before any review (the per-study re-fit's self-training), the old
PedSleepMAE starter model, and after 5 / 10 / 20 simulated reviews; ECE and what "accept
all >= 0.9" would accept; the re-fit's inputs one by one (keep what helps). Figures go to
docs/benchmarks.md and resources/model/MODEL_CARD.md.

    .venv/bin/python -m pytest -q -s -m bench tests/bench/test_staging_real.py
"""

from __future__ import annotations

import time

import numpy as np
import pytest

from engine.assistant.simulate import agreement, simulate_review
from engine.channels.mapping import map_study
from engine.io import open_study
from engine.scoring.compare import compare_stages
from engine.scoring.importers import import_scoring
from engine.staging.calibration import accept_above, expected_calibration_error
from engine.staging.refit import RefitConfig, refit_study
from engine.staging.yasa_stager import run_stager
from tests.conftest import SHARED_DATA

pytestmark = pytest.mark.bench
EXCERPTS = ("excerpt1", "excerpt3")
NAMES = ["W", "N1", "N2", "N3", "R"]


def _stages(p):
    ok = np.isfinite(p).all(1)
    return np.where(ok, np.nan_to_num(p, nan=-1).argmax(1), -1)


@pytest.fixture(scope="module")
def dev():
    if not (SHARED_DATA / "dreams-dev").is_dir():
        pytest.skip("dreams-dev not available")
    from engine.channels.model_input import load_model_input
    from engine.inference.runner import ModelRunner

    runner = ModelRunner.load()
    out = {}
    for name in EXCERPTS:
        study = open_study(SHARED_DATA / "dreams-dev" / f"{name}.edf")
        chmap = map_study(study)
        t0 = time.perf_counter()
        staged = run_stager(study, chmap)
        t_yasa = time.perf_counter() - t0
        ref = np.asarray(import_scoring(SHARED_DATA / "dreams-dev" / f"Hypnogram_{name}.txt",
                                        n_epochs=staged.n_epochs).scoring.stages())
        x, present = load_model_input(study, chmap)
        mae = runner.score(runner.prepare(x, present, name), outliers=True)
        out[name] = dict(yasa=staged, ref=ref, mae=mae, t_yasa=t_yasa)
    return out


def _row(label, pred, ref, mask=None):
    mask = np.ones(len(ref), bool) if mask is None else mask
    a = agreement(np.asarray(pred), np.asarray(ref), mask)
    return f"{label:<42} acc {a['accuracy']:.3f}  κ {a['kappa']:.3f}  (n={a['n_epochs']})", a


def test_dev_set_agreement(dev, capsys):
    lines = []
    pooled = {k: ([], []) for k in ("yasa", "ours", "mae")}
    for name, d in dev.items():
        ref, yp = d["ref"], d["yasa"].proba
        ours = refit_study(yp, np.full(len(ref), -1), d["yasa"].features, self_train=True,
                           config=RefitConfig(use_features=True)).proba  # self-training alone
        lines.append(f"## {name}: EEG/EOG/EMG = {d['yasa'].channels}, demographics {d['yasa'].metadata or 'none'}, "
                     f"YASA {d['t_yasa']:.1f} s")
        for label, p in (("YASA 0.8.1 alone", yp), ("self-training alone, no review", ours),
                         ("PedSleepMAE starter model (generated nights)", d["mae"].stage_probs)):
            s, _ = _row(label, _stages(p), ref)
            lines.append(s + f"  ECE {expected_calibration_error(p, ref):.3f}")
        pooled["yasa"][0].append(yp)
        pooled["ours"][0].append(ours)
        pooled["mae"][0].append(d["mae"].stage_probs)
        for k in pooled:
            pooled[k][1].append(ref)
        for n_rev in (5, 10, 20):
            o = simulate_review(yp, ref, n_rev, features=d["yasa"].features)
            lines.append(f"after {n_rev:>2} reviews (on the {o['after']['n_epochs']} epochs not reviewed): "
                         f"YASA acc {o['before']['accuracy']:.3f} κ {o['before']['kappa']:.3f} "
                         f"→ ours acc {o['after']['accuracy']:.3f} κ {o['after']['kappa']:.3f}")
        conf = compare_stages(ref, _stages(yp)).confusion
        lines.append("YASA confusion (rows expert W N1 N2 N3 R, columns YASA): " + str(np.asarray(conf).tolist()))
    lines.append("## both excerpts pooled")
    for k, label in (("yasa", "YASA 0.8.1 alone"), ("ours", "self-training alone, no review"),
                     ("mae", "PedSleepMAE starter model")):
        p = np.concatenate(pooled[k][0])
        r = np.concatenate(pooled[k][1])
        s, _ = _row(label, _stages(p), r)
        acc9 = accept_above(p, r, 0.9)
        lines.append(s + f"  ECE {expected_calibration_error(p, r):.3f}  accept ≥0.9: {acc9['n_accepted']} "
                     f"epochs, {acc9['precision']:.3f} right")
    with capsys.disabled():
        print("\n" + "\n".join(lines))


def test_reviews_and_refit_inputs(dev, capsys):
    """After 5/10/20 reviews, pooled over the excerpts, for each choice of re-fit inputs."""
    variants = {
        "prior only (a, b per study)": dict(use_f=False, self_train=False, calibrate=False),
        "prior + study features": dict(use_f=True, self_train=False),
        "prior + features + self-training": dict(use_f=True, self_train=True),
        "prior + self-training": dict(use_f=False, self_train=True),
        "prior + features + MAE embedding + self-training": dict(use_f=True, self_train=True, emb=True),
        "prior + features + self-training + temporal smoothing": dict(use_f=True, self_train=True, temporal=True),
        "prior + features + self-training + leave-one-out temperature": dict(use_f=True, self_train=True,
                                                                              calibrate=True),
        "prior only + leave-one-out temperature (default)": dict(use_f=False, self_train=False, calibrate=True),
    }
    lines = ["variant | 0 | 5 | 10 | 20 reviews (pooled accuracy / κ on epochs not reviewed; ECE after 10)"]
    for label, v in variants.items():
        cells = []
        for n_rev in (0, 5, 10, 20):
            preds, refs, probs = [], [], []
            for d in dev.values():
                o = simulate_review(d["yasa"].proba, d["ref"], n_rev,
                                    features=d["yasa"].features if v["use_f"] else None,
                                    embedding=d["mae"].embeddings if v.get("emb") else None,
                                    self_train=v["self_train"], temporal=v.get("temporal", False),
                                    config=RefitConfig(use_features=v["use_f"], use_embedding=bool(v.get("emb")),
                                                       calibrate=bool(v.get("calibrate", False))))
                mask = np.ones(len(d["ref"]), bool)
                mask[o["reviewed"]] = False
                preds.append(_stages(o["proba_after"])[mask])
                refs.append(d["ref"][mask])
                probs.append(o["proba_after"][mask])
            pr, rf = np.concatenate(preds), np.concatenate(refs)
            a = agreement(pr, rf, np.ones(len(rf), bool))
            cells.append(f"{a['accuracy']:.3f} / {a['kappa']:.3f}")
            if n_rev == 10:
                ece10 = expected_calibration_error(np.concatenate(probs), rf)
                acc9 = accept_above(np.concatenate(probs), rf, 0.9)
        lines.append(f"{label} | " + " | ".join(cells) + f" | ECE {ece10:.3f} | accept ≥0.9 @10: "
                     f"{acc9['n_accepted']} epochs, {acc9['precision']:.3f} right")
    with capsys.disabled():
        print("\n" + "\n".join(lines))
