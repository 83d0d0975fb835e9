"""The starter model's recipe, end to end, resumable at every stage:

    python -m engine.training.recipe all --workdir runs/starter [--minutes 45]

1. ``data``      generated nights (engine.synth) written as EDF+ with ``.truth.json``:
                 train/ (pretraining + probes) and test/ (held out, for the model card).
2. ``pretrain``  ``pedsleep pretrain`` on train/ (compact config, time-boxed, resumable).
3. ``probes``    ``pedsleep fit-probes`` on train/ -> model + probes.
4. ``evaluate``  held-out metrics on test/ -> metrics.json (what the model card reports).
5. ``ship``      copy the model to resources/model/ (float16 weights) and write MODEL_CARD.md.

Every stage skips work already done (files present), so re-running continues.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
N_TRAIN = 16
N_TEST = 4
AHIS = (0.5, 2.0, 5.0, 10.0, 20.0, 35.0)


def night_params(i: int, test: bool):
    from engine.synth import NightParams

    rng = np.random.default_rng(10_000 + i + (5000 if test else 0))
    return NightParams(hours=float(rng.uniform(7.0, 9.5)), age_years=float(rng.uniform(1.0, 17.0)),
                       ahi=float(AHIS[i % len(AHIS)] * rng.uniform(0.7, 1.3)),
                       seed=int(1000 * (2 if test else 1) + i))


def stage_data(work: Path, n_train=N_TRAIN, n_test=N_TEST):
    from engine.synth import generate_night, write_night

    for split, n in (("train", n_train), ("test", n_test)):
        for i in range(n):
            p = work / "data" / split / f"{split}{i:02d}.edf"
            if p.is_file() and p.with_name(p.stem + ".truth.json").is_file():
                continue
            t0 = time.perf_counter()
            write_night(generate_night(night_params(i, split == "test")), p)
            print(f"{p} ({time.perf_counter() - t0:.1f} s)", flush=True)


def stage_pretrain(work: Path, minutes: float, config="compact", threads=None):
    threads = threads or 2  # big batches: 2 threads pay off even on a shared 2-core machine
    from engine.cli import main

    out = work / "pretrained.safetensors"
    args = ["pretrain", str(work / "data" / "train"), "-o", str(out), "--config", config,
            "--epochs", "50", "--max-minutes", str(minutes), "--threads", str(threads)]
    if out.is_file():
        args.append("--resume")
    rc = main(args)
    if rc:
        raise SystemExit(rc)


def stage_probes(work: Path, threads=None):
    from engine.cli import main

    rc = main(["fit-probes", str(work / "data" / "train"), "--model", str(work / "pretrained.safetensors"),
               "-o", str(work / "model.safetensors")] + (["--threads", str(threads)] if threads else []))
    if rc:
        raise SystemExit(rc)


def stage_evaluate(work: Path, threads=None):
    """Evaluates exactly the file that ships (float16 weights)."""
    from engine.model.checkpoint import load_model, save_model
    from engine.model.device import set_threads
    from engine.training.evaluate import evaluate_model

    set_threads(threads)
    lm = load_model(work / "model.safetensors")
    save_model(work / "model.f16.safetensors", lm.model, probes=lm.probes, probe_meta=lm.probe_meta,
               info=lm.info, half=True, fitted_on=lm.fitted_on)
    metrics = evaluate_model(work / "model.f16.safetensors", sorted((work / "data" / "test").glob("*.edf")),
                             train_paths=sorted((work / "data" / "train").glob("*.edf"))[:6])
    (work / "metrics.json").write_text(json.dumps(metrics, indent=1))
    print(json.dumps({k: metrics[k] for k in ("stage", "events_f1", "ahi_abs_error")}, indent=1))


def _same_content(a: Path, b: Path) -> bool:
    from safetensors import safe_open

    with safe_open(str(a), "pt") as fa, safe_open(str(b), "pt") as fb:
        if fa.metadata() != fb.metadata() or set(fa.keys()) != set(fb.keys()):
            return False
        return all(fa.get_tensor(k).equal(fb.get_tensor(k)) for k in fa.keys())


def stage_ship(work: Path):
    import shutil

    from engine.inference.runner import DEFAULT_MODEL
    from engine.model.checkpoint import load_model
    from engine.training.model_card import write_card

    src = work / "model.f16.safetensors"  # the file the evaluation measured
    lm = load_model(src)
    DEFAULT_MODEL.parent.mkdir(parents=True, exist_ok=True)
    if not (DEFAULT_MODEL.is_file() and _same_content(src, DEFAULT_MODEL)):
        shutil.copyfile(src, DEFAULT_MODEL)  # (safetensors bytes vary run to run; content decides)
    metrics = json.loads((work / "metrics.json").read_text())
    write_card(DEFAULT_MODEL.parent / "MODEL_CARD.md", lm, metrics, work)
    print(f"wrote {DEFAULT_MODEL} ({DEFAULT_MODEL.stat().st_size / 1e6:.1f} MB)")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m engine.training.recipe", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("stage", choices=["data", "pretrain", "probes", "evaluate", "ship", "all"])
    ap.add_argument("--workdir", default=str(ROOT / "runs" / "starter"))
    ap.add_argument("--minutes", type=float, default=45.0, help="pretraining time box")
    ap.add_argument("--threads", type=int, default=None,
                    help="torch threads (default: 2 for pretraining, engine default otherwise)")
    a = ap.parse_args(argv)
    work = Path(a.workdir)
    work.mkdir(parents=True, exist_ok=True)
    stages = ["data", "pretrain", "probes", "evaluate", "ship"] if a.stage == "all" else [a.stage]
    for st in stages:
        t0 = time.perf_counter()
        print(f"== {st}", flush=True)
        if st == "data":
            stage_data(work)
        elif st == "pretrain":
            stage_pretrain(work, a.minutes, threads=a.threads)
        elif st == "probes":
            stage_probes(work, a.threads)
        elif st == "evaluate":
            stage_evaluate(work, a.threads)
        elif st == "ship":
            stage_ship(work)
        print(f"== {st} done in {time.perf_counter() - t0:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
