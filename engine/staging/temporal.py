"""Stage continuity: forward-backward smoothing over the night with a transition matrix
counted on real expert scorings that are not the dev set
(``resources/staging/stage_transitions.json``, written by
``scripts/fit_stage_transitions.py``).

Per-epoch probabilities become scaled likelihoods (posterior / class frequency); a reviewed
epoch is clamped to the scorer's stage, so one answer also informs its neighbours."""

from __future__ import annotations

import functools
import json
from pathlib import Path

import numpy as np

TRANSITIONS_FILE = Path(__file__).resolve().parents[2] / "resources" / "staging" / "stage_transitions.json"


@functools.lru_cache(maxsize=2)
def load_transitions(path: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(transitions [5, 5] rows sum to 1, class frequency [5])."""
    d = json.loads(Path(path or TRANSITIONS_FILE).read_text(encoding="utf-8"))
    t = np.asarray(d["transitions"], np.float64)
    f = np.asarray(d["class_frequency"], np.float64)
    return t / t.sum(1, keepdims=True), f / f.sum()


def smooth(proba: np.ndarray, labels: np.ndarray | None = None, *, path: str | None = None) -> np.ndarray:
    """Posterior stage probabilities [n, 5] given every epoch's evidence and the
    transitions. Rows of ``proba`` that are NaN carry no evidence (the chain bridges them)
    and come back NaN."""
    trans, freq = load_transitions(path)
    p = np.asarray(proba, np.float64)
    n = len(p)
    if n == 0:
        return p.astype(np.float32)
    have = np.asarray(np.isfinite(p).all(1), bool)
    lik = np.where(have[:, None], np.clip(p, 1e-6, 1) / freq, 1.0)
    if labels is not None:
        lab = np.asarray(labels)[:n]
        rev = lab >= 0
        lik[rev] = 1e-6
        lik[rev, lab[rev]] = 1.0
    alpha = np.empty_like(lik)
    a = freq * lik[0]
    alpha[0] = a / a.sum()
    for i in range(1, n):
        a = (alpha[i - 1] @ trans) * lik[i]
        alpha[i] = a / a.sum()
    beta = np.ones_like(lik)
    for i in range(n - 2, -1, -1):
        b = trans @ (lik[i + 1] * beta[i + 1])
        beta[i] = b / b.sum()
    post = alpha * beta
    post /= post.sum(1, keepdims=True)
    post[~have] = np.nan
    return post.astype(np.float32)
