"""Rule events in the scoring document: pending suggestions beside the model's, replaced
on a re-run, never over what the scorer decided."""

from __future__ import annotations

from types import SimpleNamespace

from engine.assistant.apply import apply_batch, apply_rule_events
from engine.events.detect import EventDetection, RuleEvent
from engine.scoring import Provenance, Scoring
from engine.scoring.labels import EventType


def det(*events):
    return EventDetection("aasm-pediatric", tuple(
        RuleEvent(on, dur, typ, ("Flow",), {"source": "aasm-rules", "rule": f"rule {typ}", "rule_set": "aasm-pediatric",
                                             "drop_pct": 95.0}) for on, dur, typ in events))


def model_batch(events):
    import numpy as np

    return SimpleNamespace(epochs=[], stage_probs=np.zeros((0, 5)), events=[
        SimpleNamespace(onset_s=on, duration_s=dur, type=typ, confidence=0.9) for on, dur, typ in events])


def test_rules_and_model_suggestions_live_side_by_side():
    doc = Scoring(20, recording_duration_s=600.0)
    assert apply_rule_events(doc, det((100.0, 12.0, EventType.APNEA), (300.0, 20.0, EventType.HYPOPNEA))) == 2
    apply_batch(doc, model_batch([(400.0, 10.0, EventType.AROUSAL)]), first=True)
    srcs = sorted(e.attrs.get("source") for e in doc.events())
    assert srcs == ["aasm-rules", "aasm-rules", "model"]
    ev = doc.events(types=[EventType.APNEA])[0]
    assert ev.provenance is Provenance.MODEL and ev.attrs["rule"] == f"rule {EventType.APNEA}"
    # a re-run of the rules replaces only the rules' pending suggestions
    apply_rule_events(doc, det((150.0, 12.0, EventType.APNEA)))
    assert [(e.onset_s, e.attrs["source"]) for e in doc.events()] == [(150.0, "aasm-rules"), (400.0, "model")]


def test_decided_events_are_not_suggested_again():
    doc = Scoring(20, recording_duration_s=600.0)
    apply_rule_events(doc, det((100.0, 12.0, EventType.APNEA)))
    doc.reject_event(doc.events()[0].id)
    apply_rule_events(doc, det((101.0, 11.0, EventType.APNEA), (200.0, 10.0, EventType.APNEA)))
    pending = [e for e in doc.events() if e.provenance is Provenance.MODEL]
    assert [e.onset_s for e in pending] == [200.0]


def test_model_events_off_keeps_rules():
    doc = Scoring(20, recording_duration_s=600.0)
    apply_rule_events(doc, det((100.0, 12.0, EventType.APNEA)))
    apply_batch(doc, model_batch([(100.0, 12.0, EventType.CENTRAL_APNEA)]), first=True, model_events=False)
    assert [e.type for e in doc.events()] == [EventType.APNEA]
