"""Does a confidence mean what it says? Expected calibration error (ECE) and the table
behind it, and how often "accept all >= t" is right."""

from __future__ import annotations

import numpy as np


def reliability_table(proba: np.ndarray, truth: np.ndarray, n_bins: int = 10) -> list[dict]:
    """Per confidence bin: n, mean confidence, accuracy (epochs with a suggestion and a
    known truth only)."""
    proba = np.asarray(proba, float)
    truth = np.asarray(truth)
    ok = np.isfinite(proba).all(1) & (truth >= 0)
    conf = proba[ok].max(1)
    right = proba[ok].argmax(1) == truth[ok]
    edges = np.linspace(0, 1, n_bins + 1)
    out = []
    for lo, hi in zip(edges[:-1], edges[1:]):
        sel = (conf > lo) & (conf <= hi) if lo > 0 else (conf >= lo) & (conf <= hi)
        if sel.any():
            out.append({"lo": float(lo), "hi": float(hi), "n": int(sel.sum()),
                        "confidence": float(conf[sel].mean()), "accuracy": float(right[sel].mean())})
    return out


def expected_calibration_error(proba: np.ndarray, truth: np.ndarray, n_bins: int = 10) -> float:
    """Σ_bins (n_bin / n) |accuracy - mean confidence|; NaN with no usable epoch."""
    rows = reliability_table(proba, truth, n_bins)
    n = sum(r["n"] for r in rows)
    if n == 0:
        return float("nan")
    return float(sum(r["n"] / n * abs(r["accuracy"] - r["confidence"]) for r in rows))


def accept_above(proba: np.ndarray, truth: np.ndarray, threshold: float = 0.9) -> dict:
    """What "accept all suggestions with confidence >= threshold" would do: how many epochs
    it accepts and the fraction of them that are right."""
    proba = np.asarray(proba, float)
    truth = np.asarray(truth)
    ok = np.isfinite(proba).all(1) & (truth >= 0)
    conf = np.where(ok, np.nan_to_num(proba, nan=0).max(1), 0)
    sel = ok & (conf >= threshold)
    right = np.nan_to_num(proba, nan=0).argmax(1) == truth
    return {"threshold": threshold, "n_accepted": int(sel.sum()), "n_epochs": int(ok.sum()),
            "precision": float(right[sel].mean()) if sel.any() else float("nan")}
