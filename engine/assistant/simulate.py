"""A scorer simulated by a reference scoring: the review queue picks epochs, the reference
answers them (accept when the suggestion is right, else the reference stage), the per-study
re-fit runs, and agreement is measured on the epochs that were NOT reviewed — before any
review and after the last re-fit. ``pedsleep simulate-review`` and the real-data bench run
this."""

from __future__ import annotations

import numpy as np

from engine.assistant.learning import training_labels
from engine.assistant.real_refit import REFIT_EVERY, apply_staging
from engine.assistant.review import ReviewState, reviewed_mask
from engine.scoring.compare import compare_stages
from engine.staging.refit import refit_study
from engine.staging.result import SOURCE_REFIT


def agreement(pred: np.ndarray, ref: np.ndarray, mask: np.ndarray) -> dict:
    sel = mask & (ref >= 0) & (pred >= 0)
    if not sel.any():
        return {"accuracy": None, "kappa": None, "n_epochs": 0}
    a = compare_stages(ref[sel], pred[sel])
    kappa = None if a.kappa is None or not np.isfinite(a.kappa) else round(float(a.kappa), 4)
    return {"accuracy": round(float((ref[sel] == pred[sel]).mean()), 4),
            "kappa": kappa, "n_epochs": int(sel.sum())}  # kappa None: undefined (one stage only)


def _stages(proba: np.ndarray) -> np.ndarray:
    ok = np.isfinite(proba).all(1)
    return np.where(ok, np.argmax(np.nan_to_num(proba, nan=-1), 1), -1)


def simulate_review(prior: np.ndarray, reference: np.ndarray, n_reviews: int, *,
                    features: np.ndarray | None = None, embedding: np.ndarray | None = None,
                    source: str = "yasa", refit_every: int = REFIT_EVERY, self_train: bool | None = None,
                    outlier: np.ndarray | None = None, refit: bool = True, temporal: bool = False,
                    config=None) -> dict:
    """Returns ``{"reviewed": [...], "before": {...}, "after": {...}, "proba_after": [n, 5]}``
    (see the module doc). Epochs the reference leaves unscored are never picked and never
    counted."""
    from engine.scoring import Scoring

    prior = np.asarray(prior, np.float32)
    ref = np.asarray(reference, np.int64)[:len(prior)]
    n = len(ref)
    prior = prior[:n]
    doc = Scoring(n)
    # before any review the suggestion is the real-data prior itself (as in the viewer)
    apply_staging(doc, prior, source)
    before_pred = _stages(np.asarray(doc.suggestion_proba()))
    reviewed: list[int] = []
    since = 0
    while len(reviewed) < n_reviews:
        state = ReviewState.compute(doc, outlier, threshold=-1.0)
        cand = [int(e) for e in state.order if ref[e] >= 0]
        if not cand:
            break
        e = cand[0]
        if int(doc.suggested_stages()[e]) == int(ref[e]):
            doc.accept_suggestion(e)
        else:
            doc.set_stage(e, int(ref[e]))
        reviewed.append(e)
        since += 1
        if refit and (since >= refit_every or len(reviewed) == n_reviews):
            since = 0
            kw = {"config": config} if config is not None else {}
            res = refit_study(prior, training_labels(doc), features, embedding, self_train=self_train,
                              temporal=temporal, **kw)
            apply_staging(doc, res.proba, SOURCE_REFIT)
    not_rev = ~reviewed_mask(doc)
    proba_after = np.asarray(doc.suggestion_proba())
    after_pred = _stages(proba_after)
    return {"reviewed": reviewed, "before": agreement(before_pred, ref, not_rev),
            "after": agreement(after_pred, ref, not_rev), "proba_after": proba_after}
