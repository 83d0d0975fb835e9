"""The typed scoring ops (engine/scoring/ops.py) and the history around them
(engine/scoring/history.py): each op's journal JSON round-trips, its inverse restores
what it replaced, a failing step leaves the document as it was, and damaged journal ops
are refused with a clear ValueError."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

from engine.scoring import Provenance, Scoring, Stage
from engine.scoring.history import Step
from engine.scoring.ops import (
    OP_KINDS,
    DeleteEvent,
    PutEvent,
    ScoringOp,
    SetLights,
    SetStages,
    SetSuggestions,
    apply_ops,
    decode_epochs,
    encode_epochs,
    op_from_json,
)
from engine.scoring.records import ChangeAccumulator, Event

EVENT = Event(3, 12.5, 4.0, "Arousal", ("C3-M2",), Provenance.MODEL, 0.7, {"k": 1})
OPS: list[ScoringOp] = [
    SetStages((2, 3, 4), (0, 2, 4), (0, 0, 2), (None, 0.5, 0.25)),
    SetStages((1, 5), (1, 3), (1, 1), (None, None)),
    SetSuggestions((0, 1), (1, 3), ((0.1, 0.2, 0.5, 0.1, 0.1), None), "yasa"),
    SetSuggestions((6, 8), (3, 3)),
    SetSuggestions((0,), (1,), None, None, ("pedsleepmae",)),
    PutEvent(EVENT),
    DeleteEvent(7),
    SetLights(10.0, None),
]


@pytest.mark.parametrize("op", OPS, ids=lambda op: type(op).__name__)
def test_op_json_round_trips_through_the_journal_form(op: ScoringOp) -> None:
    d = json.loads(json.dumps(op.to_json(), allow_nan=False))
    assert d["op"] == op.kind and OP_KINDS[op.kind] is type(op)
    assert op_from_json(d) == op


def test_epoch_runs_are_written_compactly() -> None:
    assert encode_epochs([4, 5, 6]) == {"start": 4, "n": 3}
    assert encode_epochs([4, 6]) == {"idx": [4, 6]}
    assert decode_epochs({"start": 4, "n": 3}) == (4, 5, 6)
    assert decode_epochs({"idx": [4, 6]}) == (4, 6)


def _filled() -> Scoring:
    doc = Scoring(10)
    doc.set_stages(0, [0, 1, 2, 3, 4, 2, 2, 2, 2, 2], confidence=0.5)
    p = np.full((10, 5), 0.1, dtype=np.float32)
    p[:, 2] = 0.6
    doc.set_suggestions(0, p, source="yasa")
    doc.add_event(30.0, 10.0, "Hypopnea", channels="Flow")
    doc.set_lights(off_s=5.0, on_s=290.0)
    return doc


@pytest.mark.parametrize(
    "op",
    [
        SetStages((2, 3, 4), (0, 2, 4), (0, 0, 2), (None, 0.5, 0.25)),
        SetStages((1, 5), (1, 3), (1, 1), (None, None)),
        SetSuggestions((0, 1), (1, 3), ((0.1, 0.2, 0.5, 0.1, 0.1), None), "re-fit"),
        SetSuggestions((6, 8), (3, 3)),
        SetSuggestions((0,), (-1,), (None,), None, ("",)),
        PutEvent(EVENT),
        PutEvent(Event(1, 31.0, 8.0, "Obstructive apnea")),
        DeleteEvent(1),
        SetLights(10.0, None),
    ],
    ids=lambda op: type(op).__name__,
)
def test_inverse_restores_what_the_op_replaced(op: ScoringOp) -> None:
    doc = _filled()
    before = doc.to_dict()
    acc = ChangeAccumulator()
    inverse = op.apply(doc, acc)
    assert doc.to_dict() != before
    change = acc.freeze("edit", "x")
    assert change.epochs or change.suggestion_epochs or change.event_ids or change.lights
    inverse.apply(doc, ChangeAccumulator())
    assert doc.content_equals(Scoring.from_dict(before))
    # and the inverse survives the journal too (it is kept in the compacted history)
    assert op_from_json(json.loads(json.dumps(inverse.to_json()))) == inverse


def test_a_failing_op_rolls_back_the_ones_before_it() -> None:
    doc = _filled()
    before = doc.to_dict()
    ops: list[ScoringOp] = [SetStages((0,), (4,), (0,), (None,)), SetLights(1.0, 2.0),
                            DeleteEvent(99)]
    with pytest.raises(KeyError, match="no event with id 99"):
        apply_ops(doc, ops, ChangeAccumulator())
    assert doc.to_dict() == before


def test_mismatched_values_change_nothing() -> None:
    doc = _filled()
    before = doc.to_dict()
    with pytest.raises(ValueError):
        SetStages((0, 1, 2), (1, 1, 1), (0, 0), (None,)).apply(doc, ChangeAccumulator())
    with pytest.raises(IndexError, match="epoch out of range"):
        SetStages((3, 10), (1, 1), (0, 0), (None, None)).apply(doc, ChangeAccumulator())
    assert doc.to_dict() == before


@pytest.mark.parametrize(
    "bad",
    [
        {"op": "stages_v2", "start": 0, "n": 1},
        {"op": "stages", "start": 0, "n": 1, "stage": [1]},  # no prov / conf
        {"op": "event_put", "event": {"id": "x"}},
        {"op": "event_del"},
        {"kind": "stages"},
        ["stages"],
    ],
)
def test_damaged_journal_ops_are_refused_with_a_value_error(bad: Any) -> None:
    with pytest.raises(ValueError, match="scoring op"):
        op_from_json(bad)


def test_a_damaged_journal_record_changes_nothing() -> None:
    doc = _filled()
    before = doc.to_dict()
    good = {"op": "lights", "off": 1.0, "on": 2.0}
    with pytest.raises(ValueError, match="unknown scoring op"):
        doc.apply_record({"kind": "do", "label": "x", "ops": [good, {"op": "nope"}]})
    assert doc.to_dict() == before and doc.undo_label() == "Lights"


def test_history_with_a_damaged_op_is_refused_and_the_old_stacks_stay() -> None:
    doc = _filled()
    history = doc.history_to_dict()
    damaged = json.loads(json.dumps(history))
    damaged["undo"][0][1][0] = {"op": "stages", "start": 0}
    with pytest.raises(ValueError):
        doc.restore_history(damaged)
    assert doc.history_to_dict() == history
    with pytest.raises(ValueError, match="malformed undo step"):
        Step.from_json(["label", [], "not a list"])


def test_restored_history_undoes_in_a_fresh_document() -> None:
    doc = _filled()
    fresh = Scoring.from_dict(doc.to_dict())
    fresh.restore_history(json.loads(json.dumps(doc.history_to_dict())))
    while fresh.undo() is not None:
        pass
    while doc.undo() is not None:
        pass
    assert fresh.content_equals(doc)
    assert (fresh.stages() == Stage.UNSCORED).all() and fresh.lights_off_s is None
    assert fresh.suggestion_sources()[0] == "yasa"  # model output is not an undo step
