"""Agreement metrics: stages (accuracy, Cohen's kappa, confusion, per-class F1), events
(F1 with overlap matching), AHI."""

from __future__ import annotations

import numpy as np

APNEA_HYPOPNEA = ("Obstructive apnea", "Central apnea", "Mixed apnea", "Hypopnea")


def confusion(y_true, y_pred, n=5) -> np.ndarray:
    y_true = np.asarray(y_true)
    y_pred = np.asarray(y_pred)
    ok = (y_true >= 0) & (y_pred >= 0)
    cm = np.zeros((n, n), np.int64)
    np.add.at(cm, (y_true[ok], y_pred[ok]), 1)
    return cm


def kappa(cm: np.ndarray) -> float:
    n = cm.sum()
    if n == 0:
        return float("nan")
    po = np.trace(cm) / n
    pe = (cm.sum(0) * cm.sum(1)).sum() / n**2
    return float((po - pe) / (1 - pe)) if pe < 1 else 1.0


def stage_metrics(y_true, y_pred) -> dict:
    cm = confusion(y_true, y_pred)
    n = cm.sum()
    tp = np.diag(cm).astype(float)
    prec = tp / np.maximum(cm.sum(0), 1)
    rec = tp / np.maximum(cm.sum(1), 1)
    f1 = np.where(prec + rec > 0, 2 * prec * rec / np.maximum(prec + rec, 1e-12), 0.0)
    return {"n_epochs": int(n), "accuracy": float(tp.sum() / n) if n else float("nan"),
            "kappa": kappa(cm), "f1_per_class": [round(float(v), 4) for v in f1],
            "confusion": cm.tolist()}


def match_events(true, pred):
    """Greedy one-to-one matching of (onset_s, duration_s) pairs that overlap in time."""
    pairs = []
    for i, (to, td, *_) in enumerate(true):
        for j, (po, pd, *_) in enumerate(pred):
            ov = min(to + td, po + pd) - max(to, po)
            if ov > 0:
                pairs.append((ov, i, j))
    pairs.sort(reverse=True)
    used_t, used_p = set(), set()
    for _, i, j in pairs:
        if i not in used_t and j not in used_p:
            used_t.add(i)
            used_p.add(j)
    return len(used_t)


def event_metrics(true_events, pred_events, types) -> dict:
    """Events as (type, onset_s, duration_s[, ...]); F1 per type with overlap matching."""
    out = {}
    tp_all = fp_all = fn_all = 0
    for t in types:
        tr = [(o, d) for (tt, o, d, *_) in true_events if tt == t]
        pr = [(o, d) for (tt, o, d, *_) in pred_events if tt == t]
        tp = match_events(tr, pr)
        fp, fn = len(pr) - tp, len(tr) - tp
        tp_all, fp_all, fn_all = tp_all + tp, fp_all + fp, fn_all + fn
        out[t] = {"n_true": len(tr), "n_pred": len(pr), "tp": tp,
                  "f1": float(2 * tp / (2 * tp + fp + fn)) if (tp + fp + fn) else float("nan")}
    out["all"] = {"tp": tp_all, "fp": fp_all, "fn": fn_all,
                  "f1": float(2 * tp_all / (2 * tp_all + fp_all + fn_all)) if (tp_all + fp_all + fn_all) else float("nan")}
    return out


def ahi(events, stages, epoch_s: float = 30.0) -> float:
    """Apneas + hypopneas per hour of sleep (stages != W and scored)."""
    stages = np.asarray(stages)
    sleep_h = float(((stages >= 1) & (stages <= 4)).sum()) * epoch_s / 3600.0
    n = sum(1 for (t, *_) in events if t in APNEA_HYPOPNEA)
    return n / sleep_h if sleep_h > 0 else float("nan")


def rei(events, n_epochs: int, epoch_s: float = 30.0) -> float:
    """Apneas + hypopneas per hour of recording (respiratory event index: no staging)."""
    hours = n_epochs * epoch_s / 3600.0
    n = sum(1 for (t, *_) in events if t in APNEA_HYPOPNEA)
    return n / hours if hours > 0 else float("nan")
