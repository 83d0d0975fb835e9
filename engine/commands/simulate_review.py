"""`pedsleep simulate-review STUDY --reference SCORING --reviews N [--model PATH] --json`:
the review queue picks N epochs, the reference scoring answers them as a scorer would
(accepting a right suggestion, else setting the reference stage), the per-study re-fit runs,
and agreement with the reference is printed for the epochs that were NOT reviewed, before
any review and after the re-fit:

    {"reviewed": [epoch, ...], "before": {"accuracy": a, "kappa": k, "n_epochs": m},
     "after": {"accuracy": a, "kappa": k, "n_epochs": m}}
"""

from __future__ import annotations

import json
import sys

from engine.epochs import n_epochs_for

NAME = "simulate-review"
HELP = "simulate a scorer reviewing N epochs (answers from a reference scoring) and print agreement before/after the re-fit"


def add_arguments(p) -> None:
    p.add_argument("study", help="EDF/EDF+/BDF recording")
    p.add_argument("--reference", required=True, metavar="SCORING",
                   help="the reference scoring (any format `convert` reads, DREAMS hypnograms too)")
    p.add_argument("--reviews", type=int, required=True, metavar="N", help="how many epochs the scorer reviews")
    p.add_argument("--model", default=None, metavar="PATH",
                   help="a PedSleepMAE model file; its stages join YASA's only when it was fitted on real scorings")
    p.add_argument("--json", action="store_true", help="print the result as JSON")


def run(args) -> int:
    import numpy as np

    from engine.assistant.simulate import simulate_review
    from engine.channels.mapping import map_study
    from engine.channels.profiles import ProfileStore
    from engine.errors import UserError
    from engine.io import open_study
    from engine.io.scoring_file import refuse_scoring_only
    from engine.scoring.importers import import_scoring
    from engine.staging.night import stage_night
    from engine.staging.sources import model_fitted_on, stage_source_for

    if args.reviews < 0:
        raise UserError("--reviews must be 0 or more")
    study = open_study(args.study)
    try:
        refuse_scoring_only(study, "simulate-review needs the recording")
    except UserError:
        study.close()
        raise
    chmap = map_study(study, ProfileStore())
    n_epochs = max(1, n_epochs_for(study.duration_s))
    ref_doc = import_scoring(args.reference, n_epochs=n_epochs, recording_start=study.start_datetime).scoring
    reference = np.asarray(ref_doc.stages(), np.int64)
    if not (reference >= 0).any():
        raise UserError(f"{args.reference}: the reference scoring has no staged epoch")
    runner, mae_proba = None, None
    if args.model:
        from engine.channels.model_input import load_model_input
        from engine.inference.runner import ModelRunner

        runner = ModelRunner.load(args.model)
        if stage_source_for(model_fitted_on(runner)) != "yasa":
            x, present = load_model_input(study, chmap)
            scored = runner.score(runner.prepare(x, present, study.path))
            mae_proba = scored.stage_probs if scored is not None else None
        else:
            print(f"pedsleep {NAME}: {args.model}: fitted on generated nights, not used for stages",
                  file=sys.stderr)

    def progress(frac, msg):
        print(f"\r{msg} ({frac:.0%})" + " " * 10, end="", file=sys.stderr, flush=True)

    res = stage_night(study, chmap, runner, mae_proba, progress=progress)
    print("", file=sys.stderr)
    if res is None:
        raise UserError("staging was cancelled")
    out = simulate_review(res.proba, reference, args.reviews, features=res.features, source=res.source)
    payload = {"reviewed": [int(e) for e in out["reviewed"]], "before": out["before"], "after": out["after"]}
    if args.json:
        print(json.dumps(payload))
        return 0
    b, a = payload["before"], payload["after"]
    print(f"{study.path}: stages from {res.source} ({', '.join(v for v in res.channels.values() if v)})")
    print(f"reviewed {len(payload['reviewed'])} epochs: {payload['reviewed']}")
    def f(v):
        return "n/a" if v is None else f"{v:.3f}"

    print(f"on the {a['n_epochs']} epochs not reviewed: accuracy {f(b['accuracy'])} -> {f(a['accuracy'])}, "
          f"kappa {f(b['kappa'])} -> {f(a['kappa'])}")
    return 0
