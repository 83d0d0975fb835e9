"""The scoring opens read-only, restored and said so, when its journal is a read-only
archive or another window/program is scoring the study; an archive is continued in a copy
only when the scorer agrees (issue 14)."""

from __future__ import annotations

import os

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from engine.api import Stage, UserError, open_scoring


def _box(window, title):
    boxes = [b for b in window._message_boxes if b.windowTitle() == title and b.isVisible()]
    return boxes[-1] if boxes else None


def test_read_only_archive_opens_restored_and_copies_on_yes(window, qtbot, tmp_path, monkeypatch):
    from tests.helpers.edf_factory import Sig, write_edf

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    ro = tmp_path / "archive"
    ro.mkdir()
    study = ro / "night.edf"
    write_edf(study, [Sig("EEG C3-M2", 100)], n_records=300)
    s = open_scoring(study, 10)
    s.doc.set_stage(2, Stage.R)
    s.close()
    journal = s.journal_path
    journal.chmod(0o444)
    ro.chmod(0o555)
    try:
        before = sorted(os.listdir(ro))
        assert window.open_path(str(study)), window.last_error
        ctl = window.scoring.ctl
        assert ctl.read_only and ctl.doc.stages()[2] == Stage.R  # restored, not empty
        assert "read-only" in window.statusBar().currentMessage()
        assert window.windowTitle().endswith("(read-only)")
        with pytest.raises(UserError, match="read-only"):
            ctl.set_stage(3, Stage.N2)
        assert ctl.doc.stages()[3] == -1
        box = _box(window, "Scoring is read-only")
        assert box is not None
        box.done(QMessageBox.StandardButton.Yes)
        qtbot.waitUntil(lambda: not ctl.read_only)
        ctl.set_stage(3, Stage.N2)
        assert ctl.doc.stages()[3] == Stage.N2
        assert str(tmp_path / "xdg-data") in ctl.journal_path
        assert sorted(os.listdir(ro)) == before  # the archive is never written
    finally:
        window.close_study()
        ro.chmod(0o755)


@pytest.mark.slow  # about a minute on the shared 2-core box (the whole assistant runs)
@pytest.mark.assistant
def test_assistant_runs_on_a_read_only_scoring(window, qtbot, tmp_path):
    """The model's suggestions show on a study scored elsewhere (not saved); no error."""
    from tests.helpers.edf_factory import psg_signals, write_edf

    study = tmp_path / "night.edf"
    write_edf(study, psg_signals(128.0), n_records=300)
    other = open_scoring(study, 10)
    try:
        assert window.open_path(str(study)), window.last_error
        ctl = window.assistant.ctl
        qtbot.waitUntil(lambda: not ctl.is_running() and ctl.worker is None, timeout=120_000)
        assert ctl.last_error is None, ctl.last_error
        assert window.scoring.ctl.read_only
        assert window.scoring.ctl.doc.pending_suggestion_mask().any()  # shown...
        from engine.scoring.journal import Journal

        saved = Journal(other.journal_path).load().doc  # ...not written to the writer's journal
        assert saved is not None and not saved.pending_suggestion_mask().any()
    finally:
        window.close_study()
        other.close()


def test_study_open_elsewhere_is_read_only_with_a_message(window, qtbot, tmp_path):
    from tests.helpers.edf_factory import Sig, write_edf

    study = tmp_path / "night.edf"
    write_edf(study, [Sig("EEG C3-M2", 100)], n_records=300)
    other = open_scoring(study, 10)  # another window (or program) holds the study
    other.doc.set_stage(0, Stage.W)
    try:
        assert window.open_path(str(study)), window.last_error
        ctl = window.scoring.ctl
        assert ctl.read_only and ctl.doc.stages()[0] == Stage.W
        assert "already being scored elsewhere" in window.statusBar().currentMessage()
        box = _box(window, "Scoring is read-only")
        assert box is not None and box.icon() == QMessageBox.Icon.Information
        with pytest.raises(UserError):
            ctl.set_stage(1, Stage.N1)
        box.done(QMessageBox.StandardButton.Ok)
        qtbot.waitUntil(lambda: not box.isVisible())
        window.activateWindow()
        qtbot.keyClick(window, Qt.Key.Key_2)  # the staging key: refused with a message
        assert "was not applied" in window.last_error, window.last_error
        assert "already being scored elsewhere" in window.last_error
        n_boxes = len([b for b in window._message_boxes if b.isVisible()])
        assert n_boxes == 1
        for _ in range(5):  # pressing on does not pile up more of the same message
            qtbot.keyClick(window, Qt.Key.Key_2)
        assert len([b for b in window._message_boxes if b.isVisible()]) == n_boxes
        assert (ctl.doc.stages() == [Stage.W] + [-1] * 9).all()
        other.doc.set_stage(1, Stage.N3)  # the writer is unaffected
    finally:
        window.close_study()
        other.close()


@pytest.mark.assistant
@pytest.mark.parametrize(("rel", "recording"), [
    ("sleep-edf/SC4001EC-Hypnogram.edf", "SC4001E0-PSG-first300s"),
    ("resmed/20260111_210642_EVE.edf", "20260111_220919_BRP.edf"),
])
def test_real_zero_epoch_files_open_their_recording_with_the_assistant_on(window, qtbot, shared_data, rel,
                                                                          recording):
    """The hypnogram-only Sleep-EDF file and the ResMed EVE file (EDF+D, 0 epochs) are
    scorings: each opens the recording beside it (read-only folder: the journal goes to the
    user data folder) with its annotations imported, the assistant on; nothing raises (a
    zero-epoch study was a TypeError in the review queue; gui/scoring_file_open.py)."""
    assert window.open_path(str(shared_data / rel)), window.last_error
    ctl = window.assistant.ctl
    qtbot.waitUntil(lambda: not ctl.is_running() and ctl.worker is None, timeout=60_000)
    assert window.viewer.study.path.endswith(recording) or recording in window.viewer.study.path
    assert window.scoring.ctl.doc is not None and window.scoring.ctl.doc.n_epochs > 0
    assert ctl.last_error is None, ctl.last_error
    assert window.last_error is None, window.last_error
    d = window.scoring.ctl.doc
    assert (d.stages() >= 0).any() or d.events(decided_only=True)  # the file's annotations were imported


def test_edf_plus_d_with_decreasing_onsets_is_a_clear_message(window, tmp_path):
    from tests.engine.io.test_hostile_headers import _edf_plus_d

    p = _edf_plus_d(tmp_path, [0, 10, 5, 20])
    assert not window.open_path(str(p))
    assert "goes back in time" in window.last_error
