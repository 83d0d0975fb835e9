"""The model's event heads as a second opinion: on only when fitted on real scorings (or
on a generated night); they add only the events the rules did not find."""

from __future__ import annotations

from types import SimpleNamespace

from engine.events.second_opinion import (
    fitted_on_real,
    model_events_allowed,
    model_events_beside_rules,
)
from engine.scoring.labels import EventType


def test_policy_from_metadata():
    real_study = SimpleNamespace(recording="Startdate 11-JAN-2026 X X ResMed")
    synth = SimpleNamespace(recording="Startdate 01-JAN-2024 X X PedSleep_synth seed_5_ahi_12")
    starter = {"fitted_on": {"kind": "generated", "n_studies": 16}}
    assert not fitted_on_real(starter) and not fitted_on_real(None) and not fitted_on_real({})
    assert not model_events_allowed(starter, real_study)
    assert model_events_allowed(starter, synth)
    assert model_events_allowed({"fitted_on": {"kind": "real", "n_studies": 40}}, real_study)


def test_starter_model_is_not_fitted_on_real():
    from engine.inference.runner import DEFAULT_MODEL
    from engine.model.checkpoint import load_model

    assert not fitted_on_real(load_model(DEFAULT_MODEL))


def test_the_model_adds_only_what_the_rules_did_not_find():
    rules = [{"onset_s": 100.0, "duration_s": 12.0, "type": EventType.APNEA, "confidence": None,
              "attrs": {"source": "aasm-rules", "rule": "r"}}]
    model = [{"onset_s": 104.0, "duration_s": 10.0, "type": EventType.CENTRAL_APNEA, "confidence": 0.7},
             {"onset_s": 300.0, "duration_s": 15.0, "type": EventType.HYPOPNEA, "confidence": 0.6},
             {"onset_s": 101.0, "duration_s": 5.0, "type": EventType.AROUSAL, "confidence": 0.5},
             {"onset_s": 112.0, "duration_s": 5.0, "type": EventType.HYPOPNEA, "confidence": 0.9}]  # touches only
    out = model_events_beside_rules(model, rules)
    assert [e["onset_s"] for e in out] == [300.0, 101.0, 112.0]  # the overlapping apnea is the rules' one
    assert model_events_beside_rules(model, []) == model


def test_event_terms_lines():
    from engine.events.describe import event_terms_lines

    lines = event_terms_lines({"source": "aasm-rules", "rule": "aasm-pediatric apnea: >= 90 % drop for >= 2 breaths",
                               "drop_pct": 93.1, "breaths": 2.9, "desat_pct": 3.4,
                               "effort": "not recorded: apnea type cannot be told"})
    assert lines[0] == "Suggested by the AASM rules (not the model)"
    assert lines[1].startswith("Rule: aasm-pediatric apnea")
    assert "flow drop 93.1 %" in lines[2] and "2.9 breaths" in lines[2] and "desaturation 3.4 %" in lines[2]
    assert "not recorded" in lines[2]
    assert event_terms_lines({}) == [] and event_terms_lines(None) == []
