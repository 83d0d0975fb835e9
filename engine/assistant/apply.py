"""Model output -> scoring document (suggestions, never decisions)."""

from __future__ import annotations

import numpy as np

from engine.scoring.labels import EventType

# the canonical channel each suggested event type is drawn on
EVENT_CHANNEL = {
    EventType.OBSTRUCTIVE_APNEA: "C-FLOW", EventType.CENTRAL_APNEA: "C-FLOW",
    EventType.MIXED_APNEA: "C-FLOW", EventType.HYPOPNEA: "C-FLOW",
    EventType.DESATURATION: "SPO2", EventType.AROUSAL: "EEG C3-M2",
}


def event_channels(type_: str, chmap) -> tuple[str, ...]:
    """The study's signal label(s) for a suggested event of this type (empty if the study
    has no such channel: the event then spans every row)."""
    canon = EVENT_CHANNEL.get(type_)
    if canon is None or chmap is None:
        return ()
    src = chmap[canon]
    if not src.present and canon.startswith("EEG"):
        src = next((s for s in chmap.sources if s.present and s.canonical.startswith("EEG")), src)
    return (src.plus,) if src.present else ()


def apply_batch(doc, batch, chmap=None, *, first: bool = False) -> None:
    """Store one inference batch: stage probabilities for its epochs (a contiguous range)
    as pending suggestions, and its events as event suggestions. ``first`` clears the
    pending event suggestions a previous run left (the night is being re-scored)."""
    epochs = np.asarray(batch.epochs, int)
    ok = epochs < doc.n_epochs
    epochs, proba = epochs[ok], np.asarray(batch.stage_probs)[ok]
    if len(epochs):
        order = np.argsort(epochs)
        epochs, proba = epochs[order], proba[order]
        # contiguous runs (a batch normally is one)
        breaks = np.flatnonzero(np.diff(epochs) != 1) + 1
        for run_e, run_p in zip(np.split(epochs, breaks), np.split(proba, breaks)):
            doc.set_suggestions(int(run_e[0]), run_p)
    evs = [dict(onset_s=float(e.onset_s), duration_s=float(e.duration_s), type=e.type,
                confidence=float(e.confidence), channels=event_channels(e.type, chmap))
           for e in batch.events if e.onset_s < doc.recording_duration_s]
    if first:
        doc.suggest_events(evs, replace_pending=True)
    elif evs:
        doc.suggest_events(evs, replace_pending=False)
