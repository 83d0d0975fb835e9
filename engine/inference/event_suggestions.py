"""The MAE event heads over a stretch of encoded epochs: per-second probabilities ->
calibrated, thresholded segments (engine.model.probes), kept to the types the montage
supports (engine.inference.requirements)."""

from __future__ import annotations

import numpy as np

from engine.channels.canonical import EPOCH_S
from engine.inference.results import SuggestedEvent
from engine.inference.session import SECONDS_PER_EPOCH, NightSession
from engine.model.probes import (
    EVENT_TYPES,
    MIN_DURATION_S,
    EventHeads,
    multiscale_features,
    segments_from_proba,
)

MARGIN_EPOCHS = 2  # 60 s either side: half the widest event window


def events_in(event_heads: EventHeads | None, session: NightSession, start_epoch: int,
              stop_epoch: int) -> list[SuggestedEvent]:
    """Events with their onset in ``[start_epoch, stop_epoch)``, read from the cached
    per-second features of those epochs and ``MARGIN_EPOCHS`` either side (encoded
    beforehand; NaN rows count as not valid)."""
    if event_heads is None:
        return []
    first = max(0, start_epoch - MARGIN_EPOCHS)
    stop = min(session.n_epochs, stop_epoch + MARGIN_EPOCHS)
    seconds = session.sec[first * SECONDS_PER_EPOCH: stop * SECONDS_PER_EPOCH]
    valid = np.isfinite(seconds[:, 0]) if seconds.shape[1] else np.ones(len(seconds), bool)
    features = multiscale_features(np.nan_to_num(seconds), valid)
    prob = event_heads.proba(features)
    out = []
    allowed = session.event_types
    for k, event_type in enumerate(EVENT_TYPES):
        if event_type not in allowed:
            continue
        for onset, duration, conf in segments_from_proba(prob[:, k], float(event_heads.threshold[k]),
                                                         MIN_DURATION_S[event_type], 1.0, first * EPOCH_S):
            if start_epoch * EPOCH_S <= onset < stop_epoch * EPOCH_S:
                out.append(SuggestedEvent(event_type, float(onset), float(duration), float(conf)))
    return out


def events_over_encoded(event_heads: EventHeads | None, session: NightSession, start_epoch: int,
                        stop_epoch: int) -> tuple[SuggestedEvent, ...]:
    """Events for every run of encoded epochs in ``[start_epoch, stop_epoch)`` (no encoder
    work), sorted by onset."""
    out: list[SuggestedEvent] = []
    run_start = start_epoch
    while run_start < stop_epoch:
        if not session.encoded[run_start]:
            run_start += 1
            continue
        run_stop = run_start
        while run_stop < stop_epoch and session.encoded[run_stop]:
            run_stop += 1
        out += events_in(event_heads, session, run_start, run_stop)
        run_start = run_stop
    return tuple(sorted(out, key=lambda e: e.onset_s))
