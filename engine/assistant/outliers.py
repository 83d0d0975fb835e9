"""Unusual epochs on a real study.

The model's outlier score is a percentile against its reference set (generated nights): on
a real recording almost every epoch sits at the top and would be flagged. So the score is
ranked **within the study** — an epoch is unusual for this night — and compared with the
model's reference set only when the study resembles it (engine.inference.requirements.
unlike_training)."""

from __future__ import annotations

import numpy as np


def rank01(x: np.ndarray) -> np.ndarray:
    """Percentile rank in [0, 1] of each finite value among the finite values (ties share
    their mean rank); NaN stays NaN."""
    x = np.asarray(x, np.float64)
    out = np.full(len(x), np.nan)
    ok = np.isfinite(x)
    m = int(ok.sum())
    if m == 0:
        return out
    if m == 1:
        out[ok] = 0.5
        return out
    v = x[ok]
    order = np.argsort(v, kind="stable")
    ranks = np.empty(m)
    ranks[order] = np.arange(m, dtype=np.float64)
    # ties: mean rank
    uniq, inv = np.unique(v, return_inverse=True)
    if len(uniq) < m:
        sums = np.bincount(inv, ranks)
        cnt = np.bincount(inv)
        ranks = (sums / cnt)[inv]
    out[ok] = ranks / (m - 1)
    return out


def within_study(knn_distance: np.ndarray, recon_error: np.ndarray) -> np.ndarray:
    """float [n] 0..1: how unusual each epoch is among this study's epochs — the rank of the
    mean of its embedding-distance rank and reconstruction-error rank (so the top 5 % are
    the top 5 % epochs of the night, whatever the study looks like)."""
    a, b = rank01(knn_distance), rank01(recon_error)
    both = np.vstack([a, b])
    has = np.isfinite(both).any(0)
    m = np.full(len(a), np.nan)
    m[has] = np.nanmean(both[:, has], 0)
    return rank01(m)


def study_outlier(reference_pct: np.ndarray, knn_distance: np.ndarray, recon_error: np.ndarray,
                  unlike: bool) -> np.ndarray:
    """The outlier score shown and used by the review queue: against the model's reference
    set when the study resembles the training nights, else ranked within the study."""
    if not unlike:
        return np.asarray(reference_pct, np.float32)
    return within_study(knn_distance, recon_error).astype(np.float32)
