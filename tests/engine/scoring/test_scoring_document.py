"""The Scoring document: stages, suggestions, events, lights, undo/redo, observers."""

from __future__ import annotations

import numpy as np
import pytest

from engine.errors import UserError
from engine.scoring import Change, EventType, Provenance, Scoring, Stage


def _proba(n: int, stage: int, conf: float) -> np.ndarray:
    p = np.full((n, 5), (1.0 - conf) / 4, dtype=np.float32)
    p[:, stage] = conf
    return p


def test_new_document_is_unscored_not_wake():
    doc = Scoring(10)
    assert doc.n_epochs == 10
    assert doc.duration_s == 300.0
    assert (doc.stages() == Stage.UNSCORED).all()
    assert Stage.UNSCORED != Stage.W
    assert doc.epoch(3).stage is Stage.UNSCORED
    assert doc.epoch(3).provenance is None
    assert doc.suggestion(3) is None


def test_set_stage_undo_redo_and_provenance():
    doc = Scoring(10)
    doc.set_stage(2, Stage.N2)
    doc.set_stage(2, Stage.R, provenance=Provenance.IMPORTED, confidence=0.5)
    info = doc.epoch(2)
    assert (info.stage, info.provenance, info.confidence) == (Stage.R, Provenance.IMPORTED, 0.5)
    doc.undo()
    assert doc.epoch(2).stage is Stage.N2 and doc.epoch(2).provenance is Provenance.HUMAN
    doc.undo()
    assert doc.epoch(2).stage is Stage.UNSCORED and doc.epoch(2).provenance is None
    assert not doc.can_undo() and doc.undo() is None
    doc.redo()
    doc.redo()
    assert doc.epoch(2).stage is Stage.R
    assert not doc.can_redo()
    # a new edit clears the redo stack
    doc.undo()
    doc.set_stage(0, Stage.W)
    assert not doc.can_redo()


def test_range_edits_are_one_step():
    doc = Scoring(20)
    doc.set_stage_range(5, 15, Stage.N3)
    assert (doc.stages()[5:15] == Stage.N3).all()
    doc.set_stages(0, [0, 1, 2, 3, 4])
    assert doc.stages()[:5].tolist() == [0, 1, 2, 3, 4]
    doc.clear_stages(0, 20)
    assert (doc.stages() == -1).all()
    doc.undo()
    doc.undo()
    assert (doc.stages()[5:15] == Stage.N3).all() and (doc.stages()[:5] == -1).all()
    doc.undo()
    assert (doc.stages() == -1).all()


def test_bad_edits_raise_and_change_nothing():
    doc = Scoring(5)
    with pytest.raises(IndexError):
        doc.set_stage(5, Stage.W)
    with pytest.raises(ValueError):
        doc.set_stage(0, 7)
    assert not doc.can_undo() and (doc.stages() == -1).all()


def test_suggestions_live_beside_stages_accept_reject():
    doc = Scoring(6)
    doc.set_stage(0, Stage.W)  # human
    p = np.concatenate([_proba(3, Stage.N2, 0.9), _proba(3, Stage.R, 0.6)])
    doc.set_suggestions(0, p)
    assert not doc.can_undo() or doc.undo_label() != "Model stage suggestions"
    # suggestions do not touch the decided layer
    assert doc.stages().tolist() == [0, -1, -1, -1, -1, -1]
    s = doc.suggestion(0)
    assert s.stage is Stage.N2 and s.confidence == pytest.approx(0.9)
    assert s.state is Provenance.MODEL and len(s.proba) == 5
    assert doc.suggested_stages().tolist() == [2, 2, 2, 4, 4, 4]
    assert doc.pending_suggestion_mask().all()

    # bulk accept with a threshold: ONE undo step, skips the human-scored epoch
    doc.accept_suggestions(min_confidence=0.8)
    assert doc.stages().tolist() == [0, 2, 2, -1, -1, -1]
    assert doc.epoch(1).provenance is Provenance.MODEL_ACCEPTED
    assert doc.epoch(1).confidence == pytest.approx(0.9)
    assert doc.suggestion(1).state is Provenance.MODEL_ACCEPTED
    assert doc.suggestion(0).state is Provenance.MODEL  # still pending, human stage kept
    doc.undo()
    assert doc.stages().tolist() == [0, -1, -1, -1, -1, -1]
    assert doc.suggestion(1).state is Provenance.MODEL
    doc.redo()
    assert doc.stages().tolist() == [0, 2, 2, -1, -1, -1]

    # single accept overrides a human stage; reject after accept clears the stage
    doc.accept_suggestion(0)
    assert doc.epoch(0).stage is Stage.N2
    doc.reject_suggestion(1)
    assert doc.epoch(1).stage is Stage.UNSCORED
    assert doc.suggestion(1).state is Provenance.MODEL_REJECTED
    doc.reject_suggestions([3, 4])
    assert [doc.suggestion(i).state for i in (3, 4, 5)] == [
        Provenance.MODEL_REJECTED,
        Provenance.MODEL_REJECTED,
        Provenance.MODEL,
    ]
    assert doc.stages()[3:].tolist() == [-1, -1, -1]
    # rejected suggestions are not accepted by a later "accept all"
    doc.accept_suggestions()
    assert doc.stages().tolist() == [2, -1, 2, -1, -1, 4]
    assert not doc.pending_suggestion_mask().any()


def test_new_suggestions_keep_decisions_when_unchanged():
    doc = Scoring(3)
    doc.set_suggestions(0, _proba(3, Stage.N2, 0.7))
    doc.accept_suggestions()
    doc.reject_suggestion(2)
    p = _proba(3, Stage.N2, 0.8)
    p[1] = _proba(1, Stage.N3, 0.9)[0]
    doc.set_suggestions(0, p)
    assert doc.suggestion(0).state is Provenance.MODEL_ACCEPTED
    assert doc.suggestion(1).state is Provenance.MODEL  # changed -> pending again
    assert doc.suggestion(2).state is Provenance.MODEL_REJECTED
    doc.clear_suggestions()
    assert doc.suggestion(0) is None and doc.stages()[0] == Stage.N2


def test_events_add_update_remove_undo():
    doc = Scoring(100)
    eid = doc.add_event(120.0, 15.0, EventType.OBSTRUCTIVE_APNEA, channels=("C-FLOW",))
    ev = doc.event(eid)
    assert (ev.onset_s, ev.duration_s, ev.offset_s) == (120.0, 15.0, 135.0)
    assert ev.provenance is Provenance.HUMAN and ev.channels == ("C-FLOW",)
    doc.update_event(eid, duration_s=20.0)
    doc.update_event(eid, onset_s=110.0, type=EventType.HYPOPNEA)
    assert doc.event(eid).type == EventType.HYPOPNEA and doc.event(eid).onset_s == 110.0
    doc.undo()
    assert doc.event(eid).type == EventType.OBSTRUCTIVE_APNEA and doc.event(eid).duration_s == 20.0
    doc.remove_event(eid)
    assert doc.n_events == 0
    doc.undo()
    assert doc.event(eid).duration_s == 20.0
    # a drag from right to left gives a positive duration
    e2 = doc.add_event(50.0, -10.0, EventType.AROUSAL)
    assert (doc.event(e2).onset_s, doc.event(e2).duration_s) == (40.0, 10.0)
    ids = doc.add_events(
        [dict(onset_s=t, duration_s=3, type=EventType.AROUSAL) for t in (200, 300, 400)]
    )
    assert len(ids) == 3 and doc.n_events == 5
    doc.undo()  # the three as one step
    assert doc.n_events == 2
    with pytest.raises(KeyError):
        doc.remove_event(999)


def test_event_suggestions_accept_reject_and_queries():
    doc = Scoring(100)
    human = doc.add_event(10, 5, EventType.AROUSAL)
    ids = doc.suggest_events(
        [
            dict(onset_s=100, duration_s=12, type=EventType.OBSTRUCTIVE_APNEA, confidence=0.95),
            dict(onset_s=200, duration_s=12, type=EventType.HYPOPNEA, confidence=0.55),
            dict(onset_s=300, duration_s=12, type=EventType.HYPOPNEA, confidence=0.85),
        ]
    )
    assert all(doc.event(i).provenance is Provenance.MODEL for i in ids)
    assert [e.id for e in doc.events(decided_only=True)] == [human]
    assert len(doc.events()) == 4
    doc.accept_events(min_confidence=0.8)  # one step for two events
    assert doc.event(ids[0]).provenance is Provenance.MODEL_ACCEPTED
    assert doc.event(ids[2]).provenance is Provenance.MODEL_ACCEPTED
    assert doc.event(ids[1]).provenance is Provenance.MODEL
    doc.undo()
    assert all(doc.event(i).provenance is Provenance.MODEL for i in ids)
    doc.redo()
    doc.reject_event(ids[1])
    assert doc.event(ids[1]).provenance is Provenance.MODEL_REJECTED
    assert ids[1] not in [e.id for e in doc.events()]
    assert ids[1] in [e.id for e in doc.events(include_rejected=True)]
    assert [e.type for e in doc.events(types=[EventType.HYPOPNEA])] == [EventType.HYPOPNEA]
    assert [e.id for e in doc.events(start_s=95, stop_s=150)] == [ids[0]]
    # new model output replaces pending suggestions only
    new = doc.suggest_events(
        [dict(onset_s=500, duration_s=10, type=EventType.AROUSAL, confidence=0.7)]
    )
    assert doc.event(ids[0]).provenance is Provenance.MODEL_ACCEPTED
    assert doc.event(new[0]).provenance is Provenance.MODEL


def test_lights_and_batch_is_one_step():
    doc = Scoring(50)
    doc.set_lights(off_s=30.0)
    doc.set_lights(on_s=1400.0)
    assert (doc.lights_off_s, doc.lights_on_s) == (30.0, 1400.0)
    doc.undo()
    assert doc.lights_on_s is None and doc.lights_off_s == 30.0
    with doc.batch("Score the first minutes"):
        for i in range(10):
            doc.set_stage(i, Stage.N2)
        doc.add_event(60.0, 10.0, EventType.AROUSAL)
        doc.set_lights(on_s=1000.0)
    assert doc.undo_label() == "Score the first minutes"
    doc.undo()
    assert (doc.stages()[:10] == -1).all() and doc.n_events == 0 and doc.lights_on_s is None
    doc.redo()
    assert (doc.stages()[:10] == Stage.N2).all() and doc.n_events == 1
    # an exception inside a batch rolls it back entirely
    with pytest.raises(RuntimeError):
        with doc.batch("broken"):
            doc.set_stage(20, Stage.R)
            raise RuntimeError("boom")
    assert doc.stages()[20] == -1 and doc.undo_label() == "Score the first minutes"


def test_observers_hear_what_changed():
    doc = Scoring(100)
    seen: list[Change] = []
    unsubscribe = doc.subscribe(seen.append)
    doc.set_stage_range(10, 20, Stage.N1)
    assert seen[-1].epochs == (10, 20) and seen[-1].reason == "edit"
    eid = doc.add_event(5.0, 2.0, EventType.AROUSAL)
    assert seen[-1].event_ids == frozenset({eid}) and seen[-1].epochs is None
    doc.set_suggestions(40, _proba(5, Stage.N2, 0.9))
    assert seen[-1].suggestion_epochs == (40, 45)
    doc.accept_suggestions(min_confidence=0.5)
    assert seen[-1].epochs == (40, 45) and seen[-1].suggestion_epochs == (40, 45)
    doc.undo()
    assert seen[-1].reason == "undo" and seen[-1].epochs == (40, 45)
    doc.set_lights(off_s=1.0)
    assert seen[-1].lights
    n = len(seen)
    unsubscribe()
    doc.set_stage(0, Stage.W)
    assert len(seen) == n
    # a failing observer does not break the document
    doc.subscribe(lambda ch: 1 / 0)
    doc.set_stage(1, Stage.W)
    assert doc.stages()[1] == Stage.W


def test_failed_journal_write_keeps_document_intact():
    doc = Scoring(10)
    doc.set_stage(0, Stage.W)
    before = doc.copy()
    seen = []
    doc.subscribe(seen.append)

    def full(record):
        raise OSError(28, "No space left on device")

    remove = doc.add_record_listener(full)
    with pytest.raises(UserError, match="No space left"):
        doc.set_stage_range(0, 10, Stage.N2)
    with pytest.raises(UserError):
        doc.add_event(1, 1, EventType.AROUSAL)
    with pytest.raises(UserError):
        doc.undo()
    assert doc.content_equals(before) and seen == []
    assert doc.undo_label() is not None  # the earlier step is still undoable
    remove()
    doc.undo()
    assert doc.stages()[0] == -1


def test_snapshot_round_trip_replace_with_and_resize():
    doc = Scoring(8)
    doc.set_stages(0, [0, 1, 2, 3, 4, -1, 2, 2])
    doc.set_suggestions(0, _proba(8, Stage.N2, 0.6))
    doc.accept_suggestion(5)
    doc.add_event(3.0, 4.0, EventType.HYPOPNEA, attrs={"hypopnea_kind": "central"})
    doc.set_lights(off_s=0.0, on_s=240.0)
    copy = Scoring.from_dict(doc.to_dict())
    assert copy.content_equals(doc)
    other = Scoring(4)
    other.set_stages(0, [4, 4, 4, 4], provenance=Provenance.IMPORTED)
    other.add_event(10, 10, EventType.AROUSAL, provenance=Provenance.IMPORTED)
    doc.replace_with(other)
    assert doc.stages().tolist() == [4, 4, 4, 4, -1, -1, -1, -1]
    assert [e.type for e in doc.events()] == [EventType.AROUSAL]
    doc.undo()
    assert doc.content_equals(copy)
    short, dropped = doc.resized(3)
    assert short.n_epochs == 3 and dropped == {"epochs": 5, "events": 0}
    longer, _ = doc.resized(10)
    assert longer.stages().tolist()[-2:] == [-1, -1]


def test_for_duration_and_read_only_event_attrs():
    doc = Scoring.for_duration(301.0)
    assert doc.n_epochs == 11 and doc.recording_duration_s == 301.0
    eid = doc.add_event(1, 2, EventType.HYPOPNEA, attrs={"hypopnea_kind": "obstructive"})
    with pytest.raises(TypeError):
        doc.event(eid).attrs["hypopnea_kind"] = "central"
    assert doc.event(eid).to_dict()["attrs"] == {"hypopnea_kind": "obstructive"}


def test_refreshed_suggestions_keep_their_ids():
    """A suggestion given again unchanged keeps its id, so the scorer's selection on it
    survives the assistant's refresh; changed ones are replaced, vanished ones removed."""
    from engine.scoring import Provenance, Scoring

    d = Scoring(10, recording_duration_s=300.0)
    a = dict(onset_s=30.0, duration_s=12.0, type="Hypopnea", channels=("Flow",), confidence=None,
             attrs={"source": "aasm-rules", "rule": "r"})
    b = dict(onset_s=90.0, duration_s=15.0, type="Obstructive apnea", channels=("Flow",), confidence=0.8)
    c = dict(onset_s=150.0, duration_s=5.0, type="Arousal", channels=(), confidence=0.6)
    ida, idb, idc = d.suggest_events([a, b, c])
    b2 = dict(b, confidence=0.9)  # changed: a new suggestion
    ids = d.suggest_events([a, b2], replace_pending=True)
    assert ids[0] == ida and ids[1] != idb
    assert d.has_event(ida) and not d.has_event(idb) and not d.has_event(idc)
    assert [e.confidence for e in d.events()] == [None, 0.9]
    assert all(e.provenance is Provenance.MODEL for e in d.events())
    assert d.suggest_events([a, b2], replace_pending=True) == ids  # nothing changed: nothing journalled
