"""One mapping from engine output to suggestions: the GUI assistant (batch by batch) and
`pedsleep score` (a whole night, engine.commands.score.build_scoring) store the same
stage suggestions and the same event suggestions (channels, provenance, source,
confidence, attrs); the CLI then takes the stage suggestions as the model's stages in
one named step."""

from __future__ import annotations

import numpy as np
import pytest

from engine.assistant.apply import (
    apply_batch,
    apply_night,
    apply_rule_events,
    model_event_suggestions,
)
from engine.channels.mapping import LabelInfo, map_labels
from engine.commands.score import build_scoring, stage_suggestions_as_model_stages
from engine.events.detect import EventDetection, RuleEvent
from engine.inference.results import EpochBatch, NightResult, SuggestedEvent
from engine.scoring import Provenance, Scoring, Stage
from engine.scoring.labels import EventType

N_EPOCHS = 12


@pytest.fixture
def chmap():
    return map_labels([LabelInfo(lb) for lb in ("C3-M2", "Flow", "SpO2")])


def _proba(n: int) -> np.ndarray:
    rng = np.random.default_rng(0)
    p = rng.random((n, 5)).astype(np.float32)
    p /= p.sum(1, keepdims=True)
    p[3] = np.nan  # an epoch the stager could not stage
    return p


MODEL_EVENTS = (SuggestedEvent(EventType.OBSTRUCTIVE_APNEA, 40.0, 12.0, 0.8),
                SuggestedEvent(EventType.DESATURATION, 100.0, 15.0, 0.6),
                SuggestedEvent(EventType.AROUSAL, 200.0, 5.0, 0.7),
                SuggestedEvent(EventType.HYPOPNEA, 359.0, 10.0, 0.9),  # last epoch
                SuggestedEvent(EventType.HYPOPNEA, 400.0, 10.0, 0.9))  # after the recording's end


def _rules() -> EventDetection:
    return EventDetection("aasm-pediatric", (
        RuleEvent(40.0, 11.0, EventType.APNEA, ("Flow",), {"source": "aasm-rules", "rule": "apnea", "drop_pct": 95.0}),
        RuleEvent(300.0, 20.0, EventType.HYPOPNEA, ("Flow",), {"source": "aasm-rules", "rule": "hypopnea"}),
    ))


def _night() -> NightResult:
    n = N_EPOCHS
    nan = np.full(n, np.nan, np.float32)
    return NightResult(_proba(n), np.zeros((n, 4), np.float32), nan, nan, nan, MODEL_EVENTS, (), 1.0)


def _events(doc: Scoring) -> list[tuple]:
    return sorted((e.onset_s, e.duration_s, e.type, e.channels, e.provenance, e.confidence,
                   tuple(sorted(e.attrs.items()))) for e in doc.events())


def test_the_gui_batches_and_the_whole_night_store_the_same_suggestions(chmap):
    night = _night()
    gui = Scoring(N_EPOCHS, recording_duration_s=N_EPOCHS * 30.0)
    apply_rule_events(gui, _rules())
    for k, (start, stop) in enumerate(((4, 8), (8, 12), (0, 4))):  # the visible page first
        epochs = np.arange(start, stop)
        events = tuple(e for e in night.events if start * 30 <= e.onset_s < stop * 30)
        apply_batch(gui, EpochBatch(None, epochs, night.stage_probs[start:stop], night.embeddings[start:stop],
                                    night.outlier_score[start:stop], night.knn_distance[start:stop],
                                    night.recon_error[start:stop], events, (), stop, N_EPOCHS),
                    chmap, first=k == 0, stage_source="yasa")
    cli = Scoring(N_EPOCHS, recording_duration_s=N_EPOCHS * 30.0)
    apply_night(cli, night, chmap, rule_events=_rules(), stage_source="yasa")

    assert _events(gui) == _events(cli)
    np.testing.assert_array_equal(gui.suggested_stages(), cli.suggested_stages())
    np.testing.assert_array_equal(gui.suggestion_confidence(), cli.suggestion_confidence())
    assert gui.suggestion_sources() == cli.suggestion_sources()
    assert set(cli.suggestion_sources()) == {"yasa", ""}  # "" where the stager could not stage
    by_type = {e.type: e for e in cli.events()}
    # the model's obstructive apnea lies on the rules' apnea: one apnea, the rules' (never counted twice)
    assert EventType.OBSTRUCTIVE_APNEA not in by_type
    assert sum(e.type in EventType.APNEAS for e in cli.events()) == 1
    assert by_type[EventType.HYPOPNEA].channels == ("Flow",)
    assert by_type[EventType.DESATURATION].channels == ("SpO2",)
    assert by_type[EventType.AROUSAL].channels == ("C3-M2",)
    assert by_type[EventType.AROUSAL].attrs == {"source": "model"} and by_type[EventType.AROUSAL].confidence == 0.7
    assert by_type[EventType.APNEA].attrs["source"] == "aasm-rules" and by_type[EventType.APNEA].confidence is None
    assert all(e.onset_s < 360.0 for e in cli.events())  # nothing after the recording's end
    assert (cli.stages() == Stage.UNSCORED).all()  # suggestions, never decisions


def test_model_events_off_leaves_only_the_rules(chmap):
    doc = Scoring(N_EPOCHS, recording_duration_s=N_EPOCHS * 30.0)
    apply_night(doc, _night(), chmap, rule_events=_rules(), model_events=False)
    assert {e.attrs["source"] for e in doc.events()} == {"aasm-rules"}


def test_model_event_suggestions_without_a_channel_map_span_every_row():
    (d,) = model_event_suggestions(MODEL_EVENTS[:1], None, 60.0)
    assert d["channels"] == () and d["attrs"] == {"source": "model"} and d["confidence"] == 0.8


def test_pedsleep_score_takes_the_stage_suggestions_as_model_stages(chmap):
    night = _night()
    doc = build_scoring(night, N_EPOCHS, None, N_EPOCHS * 30.0, rule_events=_rules(), chmap=chmap,
                        stage_source="yasa")
    ok = np.isfinite(night.stage_probs).all(1)
    np.testing.assert_array_equal(doc.stages(), np.where(ok, night.stages, Stage.UNSCORED))
    prov = doc.stage_provenance()
    assert all(p is Provenance.MODEL for p, o in zip(prov, ok) if o)
    np.testing.assert_allclose(doc.stage_confidence()[ok], night.stage_confidence[ok])
    assert not doc.pending_suggestion_mask().any()  # taken as stages: no suggestion left beside them
    # the events are the assistant's mapping, left as suggestions
    reference = Scoring(N_EPOCHS, recording_duration_s=N_EPOCHS * 30.0)
    apply_night(reference, night, chmap, rule_events=_rules(), stage_source="yasa")
    assert _events(doc) == _events(reference)
    assert all(e.provenance is Provenance.MODEL for e in doc.events())


def test_nothing_to_take_when_no_stage_was_suggested():
    doc = Scoring(4, recording_duration_s=120.0)
    assert stage_suggestions_as_model_stages(doc) == 0
    assert (doc.stages() == Stage.UNSCORED).all()
