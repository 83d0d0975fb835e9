"""The AASM rules in the GUI: they run in the assistant's worker when a study opens, their
events are pending suggestions with the rule in the tooltip, the starter model's own
event suggestions stay off on a real study, and Assistant › Respiratory rules re-scores."""

from __future__ import annotations

import pytest

from engine.api import EventType, Provenance

pytestmark = pytest.mark.assistant


def wait_done(qtbot, w, timeout=180_000):
    qtbot.waitUntil(lambda: not w.assistant.ctl.is_running() and w.assistant.ctl.worker is None,
                    timeout=timeout)


def rule_events(doc):
    return [e for e in doc.events() if e.attrs.get("source") == "aasm-rules"]


def test_rules_run_on_open_and_rescore_from_the_menu(window, shared_data, qtbot):
    w = window
    assert w.open_path(str(shared_data / "dreams-dev" / "excerpt3.edf"))
    wait_done(qtbot, w)
    ctl = w.assistant.ctl
    assert ctl.rule_detection is not None and ctl.rule_detection.rule_set == "aasm-pediatric"
    doc = w.scoring.ctl.doc
    evs = rule_events(doc)
    assert evs and all(e.provenance is Provenance.MODEL and e.confidence is None for e in evs)
    assert any(e.type in EventType.APNEAS for e in evs)
    # the starter model was fitted on generated nights: none of its events on a real study
    assert not ctl.model_events
    assert not [e for e in doc.events() if e.attrs.get("source") == "model"]
    for ev in evs:  # every rule event, whatever its type, names its rule set and measurements
        tip = w.scoring.overlay.tooltip_for(ev)
        assert "Rule: aasm-pediatric" in tip and "Measured:" in tip, tip
    # the scorer rejects one; then re-scores by the adult rules from the menu
    rejected = evs[0]
    doc.reject_event(rejected.id)
    w.assistant.rules_actions["aasm-adult"].trigger()
    wait_done(qtbot, w)
    assert ctl.rule_detection.rule_set == "aasm-adult"
    again = rule_events(doc)
    assert again and all(e.attrs["rule_set"] == "aasm-adult" for e in again if e.provenance is Provenance.MODEL)
    assert doc.event(rejected.id).provenance is Provenance.MODEL_REJECTED  # decisions stay
    assert not [e for e in again if e.provenance is Provenance.MODEL and e.type == rejected.type
                and e.onset_s < rejected.offset_s and rejected.onset_s < e.offset_s]
