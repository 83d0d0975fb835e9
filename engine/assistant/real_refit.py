"""The assistant on a real study: the real-data stager's probabilities become the stage
suggestions (with their source), and the per-study re-fit (engine.staging.refit) learns
from the scorer's reviews and re-suggests the epochs not reviewed yet."""

from __future__ import annotations

import numpy as np

from engine.assistant.learning import RefitResult, training_labels
from engine.assistant.review import reviewed_mask
from engine.staging.refit import refit_study
from engine.staging.result import SOURCE_REFIT

REFIT_EVERY = 5  # reviewed epochs between re-fits (a re-fit takes milliseconds)


def apply_staging(doc, proba: np.ndarray, source: str, *, keep_reviewed: bool = True) -> int:
    """Store a stager's probabilities ``[n, 5]`` as pending suggestions named ``source``;
    epochs the scorer already reviewed keep their decision. Returns how many were set."""
    n = min(doc.n_epochs, len(proba))
    proba = np.asarray(proba, np.float32)[:n]
    todo = np.isfinite(proba).all(1)
    if keep_reviewed:
        todo &= ~reviewed_mask(doc)[:n]
    idx = np.flatnonzero(todo)
    if len(idx) == 0:
        return 0
    breaks = np.flatnonzero(np.diff(idx) != 1) + 1
    for run in np.split(idx, breaks):
        doc.set_suggestions(int(run[0]), proba[run], source=source)
    return len(idx)


def refit_on_reviews(prior: np.ndarray, features: np.ndarray | None, labels: np.ndarray,
                     previous_suggested: np.ndarray, reviewed: np.ndarray,
                     embedding: np.ndarray | None = None, self_train: bool | None = None) -> RefitResult:
    """Runs in the worker: the per-study re-fit on ``labels`` (the scorer's decisions, -1
    elsewhere); reports which unreviewed epochs change their suggestion."""
    res = refit_study(prior, labels, features, embedding, self_train=self_train)
    proba = res.proba
    n = len(proba)
    ok = np.isfinite(proba).all(1)
    new = np.where(ok, np.argmax(np.nan_to_num(proba, nan=-1), 1), -1)
    prev = np.asarray(previous_suggested)[:n]
    changed = np.flatnonzero(~np.asarray(reviewed)[:n] & ok & (new != prev) & (prev >= 0))
    return RefitResult(res.n_reviewed, proba, changed, prev[changed], new[changed])


def refit_inputs(doc) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(labels, previous suggested stages, reviewed mask) from the document, in the main
    thread, for a re-fit job."""
    return training_labels(doc), np.asarray(doc.suggested_stages()).copy(), reviewed_mask(doc)


__all__ = ["REFIT_EVERY", "SOURCE_REFIT", "apply_staging", "refit_inputs", "refit_on_reviews"]
