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


def _pending_from(doc, source: str) -> list[dict]:
    """Pending event suggestions whose ``attrs["source"]`` is ``source``, as dicts."""
    from engine.scoring import Provenance

    return [dict(onset_s=e.onset_s, duration_s=e.duration_s, type=e.type, channels=e.channels,
                 confidence=e.confidence, attrs=dict(e.attrs))
            for e in doc.events() if e.provenance is Provenance.MODEL and e.attrs.get("source") == source]


def apply_batch(doc, batch, chmap=None, *, first: bool = False, model_events: bool = True,
                stages: bool = True, stage_source: str = "pedsleepmae") -> None:
    """Store one inference batch: stage probabilities for its epochs (a contiguous range)
    as pending suggestions, and its events as event suggestions. ``first`` clears the
    pending event suggestions a previous run left (the night is being re-scored) — but
    not the rules' (``attrs["source"] == "aasm-rules"``), which are kept. With
    ``model_events`` False (a synthetic-only model on a real study:
    engine.events.second_opinion) the batch's events are dropped. With ``stages`` False the
    batch's stage probabilities are not suggested (another source speaks for the stages:
    engine.staging.sources); else they are, named ``stage_source``."""
    epochs = np.asarray(batch.epochs, int)
    ok = epochs < doc.n_epochs if stages else np.zeros(len(epochs), bool)
    epochs, proba = epochs[ok], np.asarray(batch.stage_probs)[ok]
    if len(epochs):
        order = np.argsort(epochs)
        epochs, proba = epochs[order], proba[order]
        # contiguous runs (a batch normally is one)
        breaks = np.flatnonzero(np.diff(epochs) != 1) + 1
        for run_e, run_p in zip(np.split(epochs, breaks), np.split(proba, breaks)):
            doc.set_suggestions(int(run_e[0]), run_p, source=stage_source)
    evs = [dict(onset_s=float(e.onset_s), duration_s=float(e.duration_s), type=e.type,
                confidence=float(e.confidence), channels=event_channels(e.type, chmap),
                attrs={"source": "model"})
           for e in batch.events if e.onset_s < doc.recording_duration_s] if model_events else []
    if first:
        doc.suggest_events(_pending_from(doc, RULES_SOURCE) + evs, replace_pending=True)
    elif evs:
        doc.suggest_events(evs, replace_pending=False)


RULES_SOURCE = "aasm-rules"


def apply_rule_events(doc, detection) -> int:
    """Store the rule detector's events (engine.events.EventDetection) as pending event
    suggestions, replacing the rules' previous pending ones and keeping the model's.
    Events the scorer already decided on (accepted, rejected, human) are not touched, and
    a rule event lying on one of the same type that the scorer already accepted or
    rejected is not suggested again. Returns how many were stored."""
    from engine.scoring import Provenance

    decided = [e for e in doc.events(include_rejected=True) if e.provenance is not Provenance.MODEL]
    keep = [d for src in ("model",) for d in _pending_from(doc, src)]
    keep += [dict(onset_s=e.onset_s, duration_s=e.duration_s, type=e.type, channels=e.channels,
                  confidence=e.confidence, attrs=dict(e.attrs))
             for e in doc.events() if e.provenance is Provenance.MODEL and "source" not in e.attrs]
    new = []
    for ev in detection.events:
        if ev.onset_s >= doc.recording_duration_s:
            continue
        if any(d.type == ev.type and d.onset_s < ev.onset_s + ev.duration_s and ev.onset_s < d.offset_s
               for d in decided):
            continue
        new.append(ev.as_suggestion())
    doc.suggest_events(keep + new, replace_pending=True)
    return len(new)
