"""Journals written before the scoring document was split (ops / history / layers) still
replay to the same document: stages, provenance, confidence, suggestion states and sources,
events, lights and the undo/redo history. The fixtures were written once by the old code
(tests/engine/scoring/fixtures/make_journal_v1.py) and are never regenerated."""

from __future__ import annotations

import importlib.util
import json
import math
import shutil
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest

from engine.scoring import EventType, Provenance, Scoring, Stage, open_scoring
from engine.scoring.journal import Journal

FIXTURES = Path(__file__).resolve().parent / "fixtures"
EXPECTED = json.loads((FIXTURES / "journal_v1.expected.json").read_text())
JOURNALS = ["journal_v1.pedsleep.jsonl", "journal_v1_compacted.pedsleep.jsonl"]


def _replay(name: str) -> Scoring:
    res = Journal(FIXTURES / name).load()  # reading only: the fixture is never written
    assert res.warnings == [] and res.corrupt_lines == 0
    assert res.doc is not None
    return res.doc


@pytest.mark.parametrize("name", JOURNALS)
def test_old_journal_replays_to_the_recorded_document(name: str) -> None:
    doc = _replay(name)
    assert doc.to_dict() == EXPECTED["scoring"]
    assert doc.history_to_dict() == EXPECTED["history"]
    assert doc.can_undo() is EXPECTED["can_undo"] is True
    assert doc.can_redo() is EXPECTED["can_redo"] is True
    assert doc.undo_label() == EXPECTED["undo_label"] == "Lights"
    assert doc.redo_label() == EXPECTED["redo_label"] == "Lights"


@pytest.mark.parametrize("name", JOURNALS)
def test_replayed_document_holds_what_the_scorer_did(name: str) -> None:
    doc = _replay(name)
    st = doc.stages()
    prov = doc.stage_provenance()
    conf = doc.stage_confidence()
    # imported stages, human edits, a cleared epoch
    assert st[:12].tolist() == [0, 0, 1, 2, 2, 2, 3, 3, 4, 4, -1, 4]
    assert prov[:4] == [Provenance.IMPORTED] * 4 and prov[4:12] == [Provenance.HUMAN] * 8
    assert conf[5] == pytest.approx(0.9) and math.isnan(conf[6]) and conf[7] == pytest.approx(0.7)
    # bulk accept (>= 0.7), a single accept of a 0.55 suggestion, rejects clearing stages
    assert doc.stage_at(15) is Stage.N3 and prov[15] is Provenance.MODEL_ACCEPTED
    assert conf[15] == pytest.approx(0.55)
    assert [doc.stage_at(e) for e in (12, 14, 17, 27)] == [Stage.N2] * 4
    for e in (13, 16):
        assert doc.stage_at(e) is Stage.UNSCORED and prov[e] is Provenance.MODEL_REJECTED
    states = doc.suggestion_states()
    assert states[13] is states[16] is states[31] is Provenance.MODEL_REJECTED
    assert doc.suggestion(19) is None  # a NaN row is no suggestion
    assert doc.pending_suggestion_mask().nonzero()[0].tolist() == [30, 32, 33]
    sources = doc.suggestion_sources()
    assert sources[12] == sources[27] == "pedsleepmae" and sources[19] == "" and sources[30] == ""
    # the batch, and the undone / redone edits at the end
    assert doc.stage_at(20) is Stage.W and prov[20] is Provenance.HUMAN
    assert doc.stage_at(21) is doc.stage_at(22) is Stage.N2  # the N1 and the N3 were undone
    assert prov[21] is prov[22] is Provenance.MODEL_ACCEPTED
    assert (doc.lights_off_s, doc.lights_on_s) == (15.0, 1100.0)
    # events: imported with attrs, edited, retyped, deleted, suggestions accepted/rejected
    evs = {e.id: e for e in doc.events(include_rejected=True)}
    assert sorted(evs) == [1, 2, 4, 5, 6, 8, 9]
    assert evs[1].provenance is Provenance.IMPORTED and evs[1].attrs["desat_drop_pct"] == 4.5
    assert (evs[2].duration_s, evs[2].channels) == (14.5, ("Flow",))
    assert (evs[4].type, evs[4].onset_s, evs[4].channels) == (
        EventType.CENTRAL_APNEA, 445.0, ("Thor", "Abdo"))
    assert evs[5].provenance is evs[8].provenance is Provenance.MODEL_ACCEPTED
    assert evs[6].provenance is Provenance.MODEL_REJECTED
    assert evs[9].type == EventType.AROUSAL and evs[9].provenance is Provenance.HUMAN
    assert 6 not in {e.id for e in doc.events()}


@pytest.mark.parametrize("name", JOURNALS)
def test_replayed_history_undoes_and_redoes(name: str) -> None:
    doc = _replay(name)
    assert doc.redo() is not None and doc.lights_on_s is None
    assert doc.redo() is not None and doc.stage_at(22) is Stage.N3
    assert not doc.can_redo()
    undone = 0
    while doc.undo() is not None:
        undone += 1
    assert undone == len(EXPECTED["history"]["undo"]) + 2
    # every undoable step is back out; what was not an undo step (model output) stays
    assert doc.stages()[:4].tolist() == [0, 0, 1, 2] and (doc.stages()[4:] == -1).all()
    assert doc.lights_off_s is None and doc.lights_on_s is None
    assert {e.id: e.provenance for e in doc.events(include_rejected=True)} == {
        1: Provenance.IMPORTED, 5: Provenance.MODEL, 6: Provenance.MODEL,
        7: Provenance.MODEL, 8: Provenance.MODEL,
    }
    assert doc.pending_suggestion_mask().sum() == 15 + 4
    while doc.redo() is not None:
        pass
    assert doc.stage_at(22) is Stage.N3 and doc.lights_on_s is None


def test_old_journal_reopens_as_a_session_and_keeps_appending(tmp_path: Path) -> None:
    study = tmp_path / "night.edf"
    study.write_bytes(b"0       " + b" " * 248)  # the size the header recorded
    jpath = tmp_path / ("night.edf" + ".pedsleep.jsonl")
    shutil.copyfile(FIXTURES / JOURNALS[0], jpath)
    s = open_scoring(study, 40)
    try:
        assert s.restored and s.warnings == []
        assert s.doc.to_dict() == EXPECTED["scoring"]
        s.doc.set_stage(39, Stage.N1)
    finally:
        s.close()
    s2 = open_scoring(study, 40)
    try:
        assert s2.doc.stage_at(39) is Stage.N1
        assert s2.doc.undo_label() == "Stage N1 at epoch 40"
        assert np.array_equal(s2.doc.stages()[:39], np.asarray(EXPECTED["scoring"]["stage"][:39]))
    finally:
        s2.close()


def _fixture_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "make_journal_v1", FIXTURES / "make_journal_v1.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_todays_code_writes_the_records_the_old_code_wrote() -> None:
    """The same session, edited with today's document, gives the same journal records
    (ops, labels, undoable), the same document and the same undo/redo stacks."""
    script = _fixture_script()
    doc = script._initial()
    records: list[dict[str, Any]] = []
    doc.add_record_listener(records.append)
    script.edit_night(doc)
    old = [json.loads(line) for line in (FIXTURES / JOURNALS[0]).read_text().splitlines()]
    old_records = [
        {k: v for k, v in r.items() if k not in ("seq", "t")}
        for r in old
        if r["kind"] in ("do", "undo", "redo")
    ]
    # through JSON, as the journal writes them (tuples become lists)
    assert json.loads(json.dumps(records)) == old_records
    assert len(records) == 31
    assert doc.to_dict() == EXPECTED["scoring"]
    assert json.loads(json.dumps(doc.history_to_dict())) == EXPECTED["history"]
