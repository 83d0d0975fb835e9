"""Every stage suggestion records its source; journals written before sources existed
still replay (issue #10)."""

import json

import numpy as np

from engine.scoring import Scoring, open_scoring
from engine.scoring.journal import journal_path_for


def _p(n, k=2):
    p = np.full((n, 5), 0.05, np.float32)
    p[:, k] = 0.8
    return p


def test_source_per_epoch_survives_undo_copy_and_resize():
    doc = Scoring(10)
    doc.set_suggestions(0, _p(10), source="yasa")
    doc.set_suggestions(4, _p(3, 3), source="per-study re-fit", undoable=True)
    assert doc.suggestion_sources()[:8] == ["yasa"] * 4 + ["per-study re-fit"] * 3 + ["yasa"]
    assert doc.suggestion(5).source == "per-study re-fit"
    doc.undo()
    assert doc.suggestion_sources() == ["yasa"] * 10
    assert doc.copy().suggestion_sources() == ["yasa"] * 10
    small, _ = doc.resized(12)
    assert small.suggestion_sources() == ["yasa"] * 10 + ["", ""]
    doc.clear_suggestions()
    assert doc.suggestion_sources() == [""] * 10


def test_source_is_journalled_and_old_journals_replay(tmp_path):
    study = tmp_path / "night.edf"
    study.write_bytes(b"0       " + b" " * 248)
    s = open_scoring(study, 6)
    s.doc.set_suggestions(0, _p(6), source="yasa")
    s.close()
    again = open_scoring(study, 6)
    assert again.doc.suggestion_sources() == ["yasa"] * 6
    again.close()
    # a journal from before sources: no "source" in ops, no "sugg_source" in the snapshot
    path = journal_path_for(study)
    lines = [json.loads(x) for x in path.read_text().splitlines()]
    for rec in lines:
        if isinstance(rec.get("scoring"), dict):
            rec["scoring"].pop("sugg_source", None)
        for op in rec.get("ops", []):
            op.pop("source", None)
    path.write_text("".join(json.dumps(r) + "\n" for r in lines))
    old = open_scoring(study, 6)
    assert old.doc.suggested_stages().tolist() == [2] * 6
    assert old.doc.suggestion_sources() == [""] * 6  # unknown, not invented
    old.close()


def test_export_sidecar_names_the_source(tmp_path):
    from engine.scoring.exporters._common import ExportOptions, flat_annotations

    doc = Scoring(4)
    doc.set_suggestions(0, _p(4), source="yasa")
    doc.accept_suggestion(1)
    rows, _ = flat_annotations(doc, ExportOptions(include_suggestions=True))
    sugg = [r for r in rows if r.kind == "stage-suggestion"]
    assert sugg and all(r.to_dict()["attrs"] == {"source": "yasa"} for r in sugg)
    accepted = [r for r in rows if r.kind == "stage" and r.epoch == 1]
    assert accepted[0].to_dict()["attrs"] == {"source": "yasa"}
