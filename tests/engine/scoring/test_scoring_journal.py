"""The sidecar journal: reopen restores, crash replay, torn lines, disk full, read-only
folders, atomic compaction, and a real SIGKILL of a scoring process."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from engine.errors import UserError
from engine.scoring import EventType, Provenance, Scoring, Stage, open_scoring
from engine.scoring.journal import JOURNAL_SUFFIX, Journal, journal_path_for

PROJECT_ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def study(tmp_path: Path) -> Path:
    p = tmp_path / "night.edf"
    p.write_bytes(b"0       " + b" " * 248)  # stands in for a recording; never written
    return p


def _edit_a_lot(doc: Scoring) -> None:
    doc.set_stage_range(0, 10, Stage.W)
    doc.set_stage(10, Stage.N1)
    p = np.full((20, 5), 0.05, dtype=np.float32)
    p[:, 2] = 0.8
    doc.set_suggestions(20, p)
    doc.accept_suggestions(min_confidence=0.5)
    doc.reject_suggestion(25)
    eid = doc.add_event(330.0, 12.0, EventType.OBSTRUCTIVE_APNEA, channels=("C-FLOW",))
    doc.update_event(eid, duration_s=14.5)
    ids = doc.suggest_events(
        [dict(onset_s=600, duration_s=10, type=EventType.HYPOPNEA, confidence=0.9)]
    )
    doc.accept_event(ids[0])
    doc.set_lights(off_s=15.0, on_s=1500.0)
    doc.set_stage(11, Stage.R)
    doc.undo()  # the R
    doc.set_stage(12, Stage.N3)
    doc.undo()
    doc.redo()


def test_reopen_restores_everything_and_the_undo_history(study: Path):
    s = open_scoring(study, 60)
    assert not s.restored and s.journal_path == study.with_name(study.name + JOURNAL_SUFFIX)
    _edit_a_lot(s.doc)
    expected = s.doc.copy()
    label = s.doc.undo_label()
    s.close()
    before = study.read_bytes()

    s2 = open_scoring(study, 60)
    assert s2.restored and s2.warnings == []
    assert s2.doc.content_equals(expected)
    assert s2.doc.stages()[12] == Stage.N3 and s2.doc.stages()[10] == Stage.N1
    assert s2.doc.stages()[11] == Stage.UNSCORED
    assert s2.doc.epoch(21).provenance is Provenance.MODEL_ACCEPTED
    assert s2.doc.suggestion(25).state is Provenance.MODEL_REJECTED
    assert s2.doc.undo_label() == label
    s2.doc.undo()  # undo survives reopening
    assert s2.doc.stages()[12] == Stage.UNSCORED
    s2.close()
    assert study.read_bytes() == before  # the study is never written

    s3 = open_scoring(study, 60)
    assert s3.doc.stages()[12] == Stage.UNSCORED
    s3.compact()
    lines = s3.journal_path.read_text().splitlines()
    assert [json.loads(x)["kind"] for x in lines] == ["header", "snapshot"]
    s3.doc.set_stage(13, Stage.N2)
    s3.close()
    s4 = open_scoring(study, 60)
    assert s4.doc.stages()[13] == Stage.N2 and s4.doc.stages()[10] == Stage.N1
    s4.close()


def test_initial_scoring_is_used_only_without_journal(study: Path):
    init = Scoring(30)
    init.set_stages(0, [0] * 30, provenance=Provenance.IMPORTED)
    s = open_scoring(study, initial=lambda: init)
    assert s.doc is init and not s.restored
    s.doc.set_stage(3, Stage.N1)
    s.close()
    other = Scoring(30)
    s2 = open_scoring(study, initial=other)
    assert s2.doc is not other and s2.doc.stages()[3] == Stage.N1
    assert s2.doc.epoch(0).provenance is Provenance.IMPORTED
    s2.close()


def test_torn_last_line_is_skipped_and_earlier_edits_kept(study: Path):
    s = open_scoring(study, 20)
    for i in range(5):
        s.doc.set_stage(i, Stage.N2)
    s.close()
    path = journal_path_for(study)
    with open(path, "ab") as fh:  # a crash in the middle of writing one record
        fh.write(b'{"kind":"do","label":"Stage R","ops":[{"op":"stages","start":7,"n"')
    s2 = open_scoring(study, 20)
    assert s2.restored
    assert s2.doc.stages()[:5].tolist() == [2] * 5 and s2.doc.stages()[7] == -1
    assert any("last line is incomplete" in w for w in s2.warnings)
    assert len(list(study.parent.glob("*.pedsleep.jsonl.damaged-*"))) == 1
    # the file was rewritten clean; new edits append after it and replay
    s2.doc.set_stage(8, Stage.R)
    s2.close()
    s3 = open_scoring(study, 20)
    assert s3.warnings == []
    assert s3.doc.stages()[:9].tolist() == [2, 2, 2, 2, 2, -1, -1, -1, 4]
    s3.close()


def test_corrupt_middle_line_is_skipped_with_warning(study: Path):
    s = open_scoring(study, 20)
    s.doc.set_stage(0, Stage.W)
    s.doc.set_stage(1, Stage.N1)
    s.doc.set_stage(2, Stage.N2)
    s.close()
    path = journal_path_for(study)
    lines = path.read_bytes().split(b"\n")
    lines[3] = b"\x00\x00garbage"  # the record of the second edit
    path.write_bytes(b"\n".join(lines))
    s2 = open_scoring(study, 20)
    assert s2.doc.stages()[:3].tolist() == [0, -1, 2]
    assert any("line 4 is corrupt" in w for w in s2.warnings)
    s2.close()


def test_disk_full_raises_user_error_and_keeps_document(study: Path, monkeypatch):
    s = open_scoring(study, 20)
    s.doc.set_stage(0, Stage.W)
    size = s.journal_path.stat().st_size
    real_write = os.write

    def full(fd, data):
        real_write(fd, bytes(data)[:10])  # a partial write, then the disk is full
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "write", full)
    with pytest.raises(UserError, match="No space left on device"):
        s.doc.set_stage_range(0, 20, Stage.N3)
    monkeypatch.setattr(os, "write", real_write)
    assert s.doc.stages().tolist() == [0] + [-1] * 19  # in-memory document intact
    assert s.journal_path.stat().st_size == size  # no half record left behind
    s.doc.set_stage(1, Stage.N1)  # works again once there is space
    s.close()
    s2 = open_scoring(study, 20)
    assert s2.warnings == [] and s2.doc.stages()[:3].tolist() == [0, 1, -1]
    s2.close()


def test_read_only_study_folder_uses_user_data_dir(tmp_path: Path):
    ro = tmp_path / "ro"
    ro.mkdir()
    study = ro / "night.edf"
    study.write_bytes(b"x" * 300)
    data_dir = tmp_path / "userdata"
    ro.chmod(0o555)
    try:
        path = journal_path_for(study, data_dir=data_dir)
        assert path.parent == data_dir / "journals" and path.name.startswith("night.edf-")
        s = open_scoring(study, 10, data_dir=data_dir)
        s.doc.set_stage(0, Stage.R)
        s.close()
        assert sorted(os.listdir(ro)) == ["night.edf"]
        s2 = open_scoring(study, 10, data_dir=data_dir)
        assert s2.restored and s2.doc.stages()[0] == Stage.R
        s2.close()
    finally:
        ro.chmod(0o755)


def test_compaction_is_atomic(study: Path, monkeypatch):
    s = open_scoring(study, 10)
    s.doc.set_stage(0, Stage.W)
    before = s.journal_path.read_bytes()

    def boom(src, dst):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(UserError):
        s.compact()
    monkeypatch.undo()
    assert s.journal_path.read_bytes() == before
    assert [p.name for p in study.parent.iterdir() if p.name.endswith(".tmp")] == []
    s.close()


def test_journal_records_are_plain_json_lines(study: Path):
    s = open_scoring(study, 10)
    s.doc.set_stage(4, Stage.N2)
    s.doc.undo()
    s.close()
    recs = [json.loads(x) for x in journal_path_for(study).read_text().splitlines()]
    assert [r["kind"] for r in recs] == ["header", "snapshot", "do", "undo"]
    assert recs[0]["format"] == "pedsleep-journal" and recs[0]["study"] == "night.edf"
    assert recs[2]["ops"][0]["op"] == "stages"
    j = Journal(journal_path_for(study))
    res = j.load()
    assert res.doc is not None and res.n_records == 2 and res.doc.stages()[4] == -1


CHILD = textwrap.dedent(
    """
    import sys
    from engine.scoring import open_scoring, Stage, EventType
    s = open_scoring(sys.argv[1], 200)
    doc = s.doc
    i = 0
    while True:
        if i < 200:
            doc.set_stage(i, i % 5)
        elif i % 2 == 0:
            doc.add_event(float(i), 1.5, EventType.AROUSAL)
        else:
            doc.update_event(max(e.id for e in doc.events()), duration_s=2.5)
        print(i, flush=True)  # the edit is journalled once the call returns
        i += 1
    """
)


def test_sigkill_mid_session_then_reopen_restores_every_journalled_edit(study: Path):
    env = dict(os.environ, PYTHONPATH=str(PROJECT_ROOT))
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(study)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        cwd=str(PROJECT_ROOT),
    )
    acked = -1
    deadline = time.monotonic() + 60
    try:
        while acked < 230 and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            acked = int(line)
        os.kill(proc.pid, signal.SIGKILL)  # no chance to clean up
    finally:
        proc.wait(timeout=10)
        err = proc.stderr.read().decode()
        proc.stdout.close()
        proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL
    assert acked >= 230, f"child made only {acked + 1} edits: {err}"

    s = open_scoring(study, 200)
    assert s.restored
    # at most the in-flight record is torn (and the damaged file kept aside)
    assert all("incomplete" in w or "damaged journal was kept" in w for w in s.warnings)
    st = s.doc.stages()
    assert st.tolist() == [i % 5 for i in range(200)]
    events = s.doc.events()
    n_adds = len([i for i in range(200, acked + 1) if i % 2 == 0])
    assert len(events) >= n_adds  # every acknowledged add (maybe one in flight too)
    assert [e.onset_s for e in events[:n_adds]] == [
        float(i) for i in range(200, acked + 1) if i % 2 == 0
    ]
    for e in events[: len([i for i in range(201, acked + 1) if i % 2 == 1])]:
        assert e.duration_s == 2.5  # each acknowledged update
    s.close()


def test_journal_warns_when_the_study_changed(study: Path):
    s = open_scoring(study, 10)
    s.doc.set_stage(0, Stage.W)
    s.close()
    study.write_bytes(study.read_bytes() + b"more")
    s2 = open_scoring(study, 10)
    assert s2.restored and s2.doc.stages()[0] == Stage.W
    assert any("check the scoring" in w for w in s2.warnings)
    s2.close()


# --- one writer per study, read-only archives, compaction keeping undo (issue 14) --------


def test_second_opener_in_the_same_process_gets_a_read_only_view(study: Path):
    s1 = open_scoring(study, 20)
    s1.doc.set_stage(0, Stage.N2)
    s2 = open_scoring(study, 20)
    assert s2.read_only and not s2.can_copy and not s1.read_only
    assert s2.doc.stages()[0] == Stage.N2  # it sees the scoring as journalled
    assert any("already being scored elsewhere" in w for w in s2.warnings)
    with pytest.raises(UserError, match="already being scored elsewhere"):
        s2.doc.set_stage(1, Stage.R)
    assert s2.doc.stages()[1] == -1  # refused, not applied
    with pytest.raises(UserError):
        s2.make_editable_copy()
    p = np.full((3, 5), 0.2, dtype=np.float32)
    s2.doc.set_suggestions(0, p)  # the model's suggestions still show (not saved)...
    assert np.isfinite(s2.doc.suggestion_confidence()[:3]).all()
    with pytest.raises(UserError):
        s2.doc.accept_suggestions(min_confidence=0.0)  # ...but accepting one is an edit
    s2.close()
    s1.doc.set_stage(2, Stage.N3)  # the writer is unaffected
    s1.close()
    s3 = open_scoring(study, 20)  # the lock went with the writer
    assert not s3.read_only and s3.doc.stages()[:3].tolist() == [2, -1, 3]
    s3.close()


def test_read_only_archive_restores_scoring_and_copies_only_when_asked(tmp_path: Path):
    ro = tmp_path / "archive"
    ro.mkdir()
    study = ro / "night.edf"
    study.write_bytes(b"0       " + b" " * 248)
    s = open_scoring(study, 20)
    s.doc.set_stage(3, Stage.R)
    s.doc.set_stage(4, Stage.N1)
    s.close()
    side = journal_path_for(study)
    side.chmod(0o444)
    ro.chmod(0o555)
    data_dir = tmp_path / "userdata"
    try:
        before = sorted(os.listdir(ro))
        s2 = open_scoring(study, 20, data_dir=data_dir)
        assert s2.read_only and s2.can_copy and s2.restored
        assert s2.doc.stages()[3:5].tolist() == [Stage.R, Stage.N1]
        assert any("read-only" in w for w in s2.warnings)
        with pytest.raises(UserError, match="read-only"):
            s2.doc.set_stage(5, Stage.W)
        assert not (data_dir / "journals").exists()  # nothing copied before the scorer agrees
        copy = s2.make_editable_copy(data_dir)
        assert copy.parent == data_dir / "journals" and not s2.read_only
        s2.doc.set_stage(5, Stage.W)
        s2.doc.undo()
        s2.doc.undo()  # undo history came along: the archive's last edit is undone too
        assert s2.doc.stages()[3:6].tolist() == [Stage.R, -1, -1]
        s2.doc.redo()
        s2.close()
        assert sorted(os.listdir(ro)) == before  # the archive is untouched
        s3 = open_scoring(study, 20, data_dir=data_dir)  # reopens the copy, says so
        assert not s3.read_only and s3.journal_path == copy
        assert s3.doc.stages()[3:6].tolist() == [Stage.R, Stage.N1, -1]
        assert any("editing your copy" in w for w in s3.warnings)
        s3.close()
    finally:
        ro.chmod(0o755)


def test_long_journal_is_compacted_on_open_keeping_undo(study: Path):
    from engine.scoring.journal import COMPACT_AFTER_RECORDS

    s = open_scoring(study, 40)
    n = COMPACT_AFTER_RECORDS + 20
    for i in range(n):
        s.doc.set_stage(i % 40, i % 5)
    expected = s.doc.stages().copy()
    s.close()
    path = journal_path_for(study)
    assert len(path.read_text().splitlines()) == n + 2
    s2 = open_scoring(study, 40)
    assert s2.restored and s2.warnings == []
    assert len(path.read_text().splitlines()) == 2  # header + snapshot
    assert np.array_equal(s2.doc.stages(), expected)
    for _ in range(n):  # every step is still undoable
        s2.doc.undo()
    assert not s2.doc.can_undo() and (s2.doc.stages() == -1).all()
    s2.close()
    s3 = open_scoring(study, 40)  # the undos were journalled after the compaction
    assert (s3.doc.stages() == -1).all() and s3.doc.can_redo()
    s3.close()


def test_torn_line_recovery_keeps_undo_history(study: Path):
    s = open_scoring(study, 20)
    for i in range(4):
        s.doc.set_stage(i, Stage.N2)
    s.close()
    with open(journal_path_for(study), "ab") as fh:
        fh.write(b'{"kind":"do","label":"Stage R","ops":[{"op":"sta')
    s2 = open_scoring(study, 20)
    assert any("incomplete" in w for w in s2.warnings)
    s2.close()
    s3 = open_scoring(study, 20)  # after the rewrite the history is still there
    for _ in range(4):
        s3.doc.undo()
    assert (s3.doc.stages() == -1).all()
    s3.close()


def test_journal_that_cannot_be_rewritten_or_lock_filed_survives_a_torn_line(
    study: Path, monkeypatch
):
    """As in a read-only folder holding a writable journal: no lock file can be made (the
    journal itself is locked) and the torn line cannot be rewritten away; every edit is
    still restored and new ones appended after it."""
    s = open_scoring(study, 20)
    s.doc.set_stage(0, Stage.N2)
    s.close()
    path = journal_path_for(study)
    with open(path, "ab") as fh:
        fh.write(b'{"kind":"do","lab')
    lock = s.journal.lock_path
    lock.unlink()
    lock.mkdir()  # a lock file cannot be created there

    def no_replace(src, dst):
        raise OSError(30, "Read-only file system")

    monkeypatch.setattr(os, "replace", no_replace)
    s2 = open_scoring(study, 20)
    assert not s2.read_only and s2.doc.stages()[0] == Stage.N2
    assert any("could not be rewritten" in w for w in s2.warnings)
    s3 = open_scoring(study, 20)  # the journal itself carries the lock
    assert s3.read_only and "(another program)" in s3.read_only_reason
    s3.close()
    monkeypatch.undo()
    s2.doc.set_stage(1, Stage.R)
    s2.close()
    s4 = open_scoring(study, 20)
    assert s4.doc.stages()[:2].tolist() == [Stage.N2, Stage.R]
    s4.close()


def test_damaged_snapshot_claiming_a_billion_epochs_allocates_nothing(study: Path):
    import tracemalloc

    s = open_scoring(study, 20)
    s.doc.set_stage(0, Stage.W)
    s.close()
    path = journal_path_for(study)
    recs = [json.loads(x) for x in path.read_text().splitlines()]
    recs[1]["scoring"]["n_epochs"] = 10**9
    path.write_text("".join(json.dumps(r) + "\n" for r in recs))
    tracemalloc.start()
    try:
        s2 = open_scoring(study, 20)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 50e6
    assert any("bad snapshot" in w for w in s2.warnings) and s2.doc.n_epochs == 20
    s2.close()


def test_a_session_dropped_without_close_releases_the_study(study: Path):
    import gc

    s = open_scoring(study, 20)
    s.doc.set_stage(0, Stage.W)
    del s
    gc.collect()
    s2 = open_scoring(study, 20)
    assert not s2.read_only and s2.doc.stages()[0] == Stage.W
    s2.close()
