"""Learning from the scorer's decisions on the model's event suggestions: per-type
thresholds re-chosen to separate the accepted from the rejected (the stage probe's
re-fit is engine.model.probes.refit_stage_probe, installed by ModelRunner)."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from engine.model.probes import EVENT_TYPES

THRESHOLD_RANGE = (0.05, 0.95)


def refit_event_thresholds(thresholds: np.ndarray, decisions: Iterable[tuple[str, float, bool]]
                           ) -> dict[str, float]:
    """Adjust ``thresholds`` [n_types] (in place) from ``decisions`` = (type, confidence,
    accepted). For each type with a decision, the threshold that best separates accepted
    from rejected confidences is chosen (ties: the lower one); with only rejections, just
    above the highest rejected. Returns the new thresholds of the types changed."""
    decided = list(decisions)
    out = {}
    for k, event_type in enumerate(EVENT_TYPES):
        accepted = np.array([c for (t, c, ok) in decided if t == event_type and ok], float)
        rejected = np.array([c for (t, c, ok) in decided if t == event_type and not ok], float)
        if len(accepted) + len(rejected) == 0:
            continue
        candidates = np.unique(np.concatenate([accepted, rejected, [float(thresholds[k])]]))
        best = max(candidates, key=lambda th: ((accepted >= th).sum() + (rejected < th).sum(), -th))
        # a rejected suggestion has confidence >= the old threshold, so the new one is
        # just above it; keep inside THRESHOLD_RANGE
        if len(rejected) and not len(accepted):
            best = rejected.max() + 1e-3
        thresholds[k] = float(np.clip(best, *THRESHOLD_RANGE))
        out[event_type] = float(thresholds[k])
    return out
