"""Engine output -> suggestions on the scoring document (never decisions).

The one mapping from what the stagers, the AASM rules and the model produce to pending
suggestions on a ``Scoring`` (docs/architecture.md, "Data flow": Assist), used by the GUI
assistant (batch by batch, as results arrive) and by ``pedsleep score`` (a whole night at
once, ``apply_night``):

* stage probabilities -> pending stage suggestions named by their source (``yasa``,
  ``pedsleepmae``, ...);
* the rules' events -> pending event suggestions as the rules made them (channels, rule
  terms, ``attrs["source"] == "aasm-rules"``, no confidence);
* the model's events -> pending event suggestions on the channel they are read from
  (``EVENT_CHANNEL``), with their confidence and ``attrs["source"] == "model"``, beside
  the rules' ones; only where the model's event heads may speak
  (engine.events.second_opinion).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from engine.events.second_opinion import MODEL_SOURCE, model_events_beside_rules
from engine.scoring.labels import EventType

RULES_SOURCE = "aasm-rules"

# the canonical channel each suggested event type is drawn on
EVENT_CHANNEL = {
    EventType.OBSTRUCTIVE_APNEA: "C-FLOW", EventType.CENTRAL_APNEA: "C-FLOW",
    EventType.MIXED_APNEA: "C-FLOW", EventType.HYPOPNEA: "C-FLOW",
    EventType.DESATURATION: "SPO2", EventType.AROUSAL: "EEG C3-M2",
}


def event_channels(type_: str, chmap: Any) -> tuple[str, ...]:
    """The study's signal label(s) for a suggested event of this type (empty if the study
    has no such channel: the event then spans every row)."""
    canon = EVENT_CHANNEL.get(type_)
    if canon is None or chmap is None:
        return ()
    src = chmap[canon]
    if not src.present and canon.startswith("EEG"):
        src = next((s for s in chmap.sources if s.present and s.canonical.startswith("EEG")), src)
    return (src.plus,) if src.present else ()


def model_event_suggestions(events: Iterable[Any], chmap: Any, recording_duration_s: float | None
                            ) -> list[dict[str, Any]]:
    """The model's events (engine.inference.SuggestedEvent) as the suggestion dicts
    ``Scoring.suggest_events`` takes: on their channel, with their confidence,
    ``attrs["source"] == "model"``; those starting at or after the recording's end are
    left out."""
    end_s = np.inf if recording_duration_s is None else recording_duration_s
    return [dict(onset_s=float(e.onset_s), duration_s=float(e.duration_s), type=e.type,
                 confidence=float(e.confidence), channels=event_channels(e.type, chmap),
                 attrs={"source": MODEL_SOURCE})
            for e in events if e.onset_s < end_s]


def _pending_from(doc: Any, source: str) -> list[dict[str, Any]]:
    """Pending event suggestions whose ``attrs["source"]`` is ``source``, as dicts."""
    from engine.scoring import Provenance

    return [dict(onset_s=e.onset_s, duration_s=e.duration_s, type=e.type, channels=e.channels,
                 confidence=e.confidence, attrs=dict(e.attrs))
            for e in doc.events() if e.provenance is Provenance.MODEL and e.attrs.get("source") == source]


def _suggest_stage_runs(doc: Any, epochs: np.ndarray, proba: np.ndarray, source: str) -> None:
    """Stage probabilities of ``epochs`` (any order) as pending suggestions, one
    ``set_suggestions`` per contiguous run."""
    if not len(epochs):
        return
    order = np.argsort(epochs)
    epochs, proba = epochs[order], proba[order]
    breaks = np.flatnonzero(np.diff(epochs) != 1) + 1
    for run_epochs, run_proba in zip(np.split(epochs, breaks), np.split(proba, breaks)):
        doc.set_suggestions(int(run_epochs[0]), run_proba, source=source)


def apply_batch(doc: Any, batch: Any, chmap: Any = None, *, first: bool = False, model_events: bool = True,
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
    _suggest_stage_runs(doc, epochs[ok], np.asarray(batch.stage_probs)[ok], stage_source)
    evs = model_event_suggestions(batch.events, chmap, doc.recording_duration_s) if model_events else []
    if not (first or evs):
        return  # nothing to store: no walk over the document's events on every batch
    rules = _pending_from(doc, RULES_SOURCE)
    evs = model_events_beside_rules(evs, rules)  # one apnea is never suggested twice
    if first:
        doc.suggest_events(rules + evs, replace_pending=True)
    elif evs:
        doc.suggest_events(evs, replace_pending=False)


def apply_rule_events(doc: Any, detection: Any) -> int:
    """Store the rule detector's events (engine.events.EventDetection) as pending event
    suggestions, replacing the rules' previous pending ones and keeping the model's.
    Events the scorer already decided on (accepted, rejected, human) are not touched, and
    a rule event lying on one of the same type that the scorer already accepted or
    rejected is not suggested again. Returns how many were stored."""
    from engine.scoring import Provenance

    decided = [e for e in doc.events(include_rejected=True) if e.provenance is not Provenance.MODEL]
    keep: list[dict[str, Any]] = []
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
    keep += model_events_beside_rules(_pending_from(doc, MODEL_SOURCE), new)  # the rules speak first
    doc.suggest_events(keep + new, replace_pending=True)
    return len(new)


def apply_night(doc: Any, result: Any, chmap: Any = None, *, rule_events: Any = None, model_events: bool = True,
                stage_source: str = "pedsleepmae") -> None:
    """A whole night's output stored as the GUI assistant stores it batch by batch:
    ``result`` (engine.inference.NightResult)'s stage probabilities as pending
    suggestions named ``stage_source`` (engine.assistant.real_refit.apply_staging, the
    stager's path), the rules' events (``rule_events``, an engine.events.EventDetection:
    ``apply_rule_events``) and, where ``model_events``, the model's events beside them
    (``apply_batch``'s mapping, with ``chmap``'s channels)."""
    from engine.assistant.real_refit import apply_staging

    apply_staging(doc, np.asarray(result.stage_probs), stage_source)
    if rule_events is not None:
        apply_rule_events(doc, rule_events)
    evs = model_event_suggestions(result.events, chmap, doc.recording_duration_s) if model_events else []
    evs = model_events_beside_rules(evs, _pending_from(doc, RULES_SOURCE))
    if evs:
        doc.suggest_events(evs, replace_pending=False)


__all__ = ["EVENT_CHANNEL", "RULES_SOURCE", "apply_batch", "apply_night", "apply_rule_events", "event_channels",
           "model_event_suggestions"]
