"""Learning from the scorer's corrections: re-fit the stage probe on this night's
reviewed epochs and re-suggest the epochs not reviewed yet."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.assistant.review import reviewed_mask

MIN_REVIEWED = 20  # the default number of reviewed epochs before a re-fit


@dataclass(frozen=True)
class RefitResult:
    n_reviewed: int
    proba: np.ndarray  # [n_epochs, 5] new probabilities (NaN rows where no embedding)
    changed: np.ndarray  # epochs (unreviewed) whose suggested stage changed
    before: np.ndarray  # their previous suggested stage
    after: np.ndarray  # and the new one


def n_corrections(doc) -> int:
    """Reviewed epochs where the scorer's decision differs from the model's suggestion
    (a rejected suggestion, or a different stage): with none, a re-fit has nothing to
    learn and could only drift from a probe the scorer agrees with."""
    rev = reviewed_mask(doc)
    sugg = np.asarray(doc.suggested_stages())
    st = np.asarray(doc.stages())
    states = doc.suggestion_states()
    rejected = np.array([s is not None and s.value == "model-rejected" for s in states], bool)
    differs = (sugg >= 0) & (st >= 0) & (st != sugg)
    return int((rev & (differs | rejected)).sum())


def training_labels(doc) -> np.ndarray:
    """int [n_epochs]: the decided stage of reviewed epochs, -1 elsewhere."""
    labels = np.full(doc.n_epochs, -1, int)
    rev = reviewed_mask(doc)
    st = np.asarray(doc.stages())
    ok = rev & (st >= 0)
    labels[ok] = st[ok]
    return labels


def refit_from_reviews(runner, embeddings: np.ndarray, labels: np.ndarray,
                       previous_suggested: np.ndarray, reviewed: np.ndarray) -> RefitResult:
    """Runs in the worker: re-fit ``runner``'s stage probe on (embeddings, labels) and
    predict every epoch; report which unreviewed epochs change their suggestion."""
    n = len(labels)
    emb = np.asarray(embeddings, np.float32)[:n]
    have = np.isfinite(emb).all(axis=1)
    lab = np.where(have, labels, -1)
    runner.refit_stage_probe(emb, lab)
    # the whole night in order: the stage probe also reads each epoch's neighbours
    proba = np.asarray(runner.predict_stages(emb), np.float32)
    proba[~have] = np.nan
    new = np.where(np.isfinite(proba).all(axis=1), np.nanargmax(np.nan_to_num(proba, nan=-1), axis=1), -1)
    prev = np.asarray(previous_suggested)[:n]
    changed = np.flatnonzero(~np.asarray(reviewed)[:n] & have & (new != prev) & (prev >= 0))
    return RefitResult(int((lab >= 0).sum()), proba, changed, prev[changed], new[changed])


def apply_refit(doc, result: RefitResult, reviewed: np.ndarray, source: str = "per-study re-fit") -> int:
    """Re-suggest the epochs not reviewed yet with the re-fitted probabilities (reviewed
    epochs keep their decision), recording ``source``. Returns how many suggestions were
    replaced."""
    n = min(doc.n_epochs, len(result.proba))
    todo = ~np.asarray(reviewed)[:n] & np.isfinite(result.proba[:n]).all(axis=1)
    idx = np.flatnonzero(todo)
    if len(idx) == 0:
        return 0
    breaks = np.flatnonzero(np.diff(idx) != 1) + 1
    for run in np.split(idx, breaks):
        doc.set_suggestions(int(run[0]), result.proba[run], source=source)
    return len(idx)
