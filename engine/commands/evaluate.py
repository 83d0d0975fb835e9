"""`pedsleep evaluate SCORED REFERENCE`: agreement of a scoring (e.g. the model's) with a
reference: accuracy, Cohen's kappa, per-class F1, confusion matrix, event F1 (overlap
matching) per type, AHI of each and their difference."""

from __future__ import annotations

import json
import sys

import numpy as np

NAME = "evaluate"
HELP = "compare a scoring with a reference: stages (accuracy, kappa, F1, confusion), events (F1), AHI"


def add_arguments(p):
    p.add_argument("scored", help="the scoring to judge (e.g. OUTDIR/<stem>.scored.edf)")
    p.add_argument("reference", help="the reference scoring (any format `convert` reads; .truth.json too)")
    p.add_argument("--json", action="store_true", help="print the numbers as JSON")


def _load(path):
    """(stages [n] int, events [(type, onset_s, duration_s)])."""
    from pathlib import Path

    from engine.training.data import normalize_event_type, truth_stages_events

    p = Path(path)
    if p.name.endswith(".truth.json"):
        truth = json.loads(p.read_text())
        n = len(truth.get("stages", []))
        return truth_stages_events(truth, n)
    from engine.scoring.importers import import_scoring

    res = import_scoring(p)
    for w in res.warnings:  # what the import could not do is said, not silently dropped
        print(f"warning: {w}", file=sys.stderr)
    doc = res.scoring
    evs = []
    for e in doc.events(include_suggestions=True):
        t = normalize_event_type(e.type)
        if t:
            evs.append((t, e.onset_s, e.duration_s))
    return np.asarray(doc.stages(), np.int64), evs


def compare(scored, reference) -> dict:
    from engine.model.probes import EVENT_TYPES
    from engine.training.metrics import ahi, event_metrics, stage_metrics

    s_st, s_ev = _load(scored)
    r_st, r_ev = _load(reference)
    n = min(len(s_st), len(r_st))
    sm = stage_metrics(r_st[:n], s_st[:n])
    em = event_metrics(r_ev, s_ev, EVENT_TYPES)
    a_s, a_r = ahi(s_ev, s_st), ahi(r_ev, r_st)
    return {"stages": sm, "events": em, "ahi_scored": a_s, "ahi_reference": a_r, "ahi_difference": a_s - a_r}


def run(args) -> int:
    from engine.errors import UserError

    try:
        res = compare(args.scored, args.reference)
    except (OSError, ValueError) as exc:
        raise UserError(str(exc)) from exc
    if args.json:
        print(json.dumps(res, indent=1, default=float))
        return 0
    sm = res["stages"]
    names = ["W", "N1", "N2", "N3", "R"]
    print(f"epochs compared: {sm['n_epochs']}")
    print(f"accuracy: {sm['accuracy']:.3f}   kappa: {sm['kappa']:.3f}")
    print("F1 per stage: " + "  ".join(f"{s} {f:.2f}" for s, f in zip(names, sm["f1_per_class"])))
    print("confusion (rows reference, columns scored):")
    print("      " + "".join(f"{s:>6}" for s in names))
    for s, row in zip(names, sm["confusion"]):
        print(f"{s:<6}" + "".join(f"{v:>6}" for v in row))
    print("events (overlap matching):")
    for t, v in res["events"].items():
        if t == "all":
            print(f"  all types: F1 {v['f1']:.3f} (tp {v['tp']}, fp {v['fp']}, fn {v['fn']})")
        else:
            print(f"  {t:<20} reference {v['n_true']:>4}  scored {v['n_pred']:>4}  F1 {v['f1']:.3f}")
    print(f"AHI: scored {res['ahi_scored']:.2f}, reference {res['ahi_reference']:.2f}, "
          f"difference {res['ahi_difference']:+.2f} /h")
    return 0
