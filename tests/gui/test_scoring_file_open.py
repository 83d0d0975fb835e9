"""Opening a scoring instead of a recording (gui/scoring_file_open.py): a ResMed device's
event file opens its night with the device's events; a scorer's work is never replaced
without asking; a hypnogram with a study open is offered for import; alone, it is named
for what it is and nothing changes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PySide6.QtWidgets import QMessageBox

from engine.api import EventType, Stage
from tests.gui.conftest import doc

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
RESMED = DATA / "resmed"
EVE = "20260111_210642_EVE.edf"
BRP = "20260111_220919_BRP.edf"
needs_data = pytest.mark.skipif(not (RESMED / EVE).exists(), reason="../shared/data (real recordings) is not here")
# EVE starts at 21:06:43 (device on), BRP at 22:09:19 (mask on): the device's first
# apnea, 11954 s into EVE, is 8198 s into the flow recording; the other three fall after it
FIRST_APNEA_IN_BRP_S = 11954.0 - 3756.0


@pytest.fixture
def resmed_night(tmp_path):
    night = tmp_path / "resmed"
    shutil.copytree(RESMED, night)
    return night


def _box(window, title):
    boxes = [b for b in window._message_boxes if b.windowTitle() == title and b.isVisible()]
    return boxes[-1] if boxes else None


@needs_data
def test_opening_the_device_event_file_opens_its_night_with_the_events(window, resmed_night):
    assert window.open_path(str(resmed_night / EVE)), window.last_error
    study = window.viewer.study
    assert Path(study.path).name == BRP and study.signals and study.duration_s > 4 * 3600
    evs = doc(window).events()
    assert [e.type for e in evs] == [EventType.OBSTRUCTIVE_APNEA]
    assert evs[0].onset_s == pytest.approx(FIRST_APNEA_IN_BRP_S, abs=1.0) and evs[0].duration_s == 10.0
    msg = window.statusBar().currentMessage()
    assert "is a scoring, not a recording; opened its recording 20260111_220919_BRP.edf" in msg
    assert "Imported 20260111_210642_EVE.edf" in msg
    assert doc(window).can_undo()  # the import is one step the scorer can take back
    assert window.windowTitle().endswith(BRP)


@needs_data
def test_the_scorers_own_work_on_the_night_is_kept(window, resmed_night, night_edf):
    assert window.open_path(str(resmed_night / BRP))
    doc(window).set_stage(3, Stage.N2)
    assert window.open_path(str(night_edf))  # another study is open now
    assert window.open_path(str(resmed_night / EVE))
    assert Path(window.viewer.study.path).name == BRP
    assert doc(window).stages()[3] == Stage.N2 and not doc(window).events()  # journal restored, not replaced
    assert "kept your scoring of it; File › Import scoring… replaces it" in window.statusBar().currentMessage()


@needs_data
def test_the_event_file_of_the_open_night_is_offered_for_import(window, qtbot, resmed_night):
    assert window.open_path(str(resmed_night / BRP))
    doc(window).set_stage(0, Stage.W)
    assert not window.open_path(str(resmed_night / EVE))
    box = _box(window, "Import scoring")
    assert box is not None and "Import it onto the open study 20260111_220919_BRP.edf" in box.text()
    assert doc(window).stages()[0] == Stage.W  # nothing replaced before the answer
    box.done(QMessageBox.StandardButton.Yes)
    qtbot.waitUntil(lambda: len(doc(window).events()) == 1)
    assert doc(window).stages()[0] == -1
    doc(window).undo()
    assert doc(window).stages()[0] == Stage.W and not doc(window).events()


@needs_data
def test_a_hypnogram_in_another_format_asks_and_no_leaves_the_study_as_it_was(window, scored, tmp_path):
    hyp = tmp_path / "Hypnogram_excerpt1.txt"
    shutil.copy(DATA / "dreams-dev" / "Hypnogram_excerpt1.txt", hyp)
    path_before = window.viewer.study.path
    scored.scoring.ctl.set_stage(5, Stage.R)
    assert not window.open_path(str(hyp))
    box = _box(window, "Import scoring")
    assert box is not None and "Hypnogram_excerpt1.txt is a scoring (dreams-hypnogram)" in box.text()
    box.done(QMessageBox.StandardButton.No)
    assert window.viewer.study.path == path_before and doc(window).stages()[5] == Stage.R
    assert not window.open_path(str(hyp))
    _box(window, "Import scoring").done(QMessageBox.StandardButton.Yes)
    assert (doc(window).stages()[:60] >= 0).all()  # the expert's 30-min hypnogram, 60 epochs


@needs_data
def test_a_scoring_alone_is_named_and_nothing_opens(window, tmp_path):
    hmc = tmp_path / "SN001-annotations.edf"
    shutil.copy(DATA / "annotations" / "hmc" / hmc.name, hmc)
    assert not window.open_path(str(hmc))
    assert window.viewer.study is None and window.scoring.ctl.doc is None
    assert window.last_error.startswith("SN001-annotations.edf holds 856 annotations and no signals: it is a "
                                        "scoring, not a recording. No recording in its folder covers its times")
    assert _box(window, "Not a recording") is not None


def test_a_damaged_recording_is_still_offered_repair_not_taken_for_a_scoring(window, tmp_path):
    from tests.helpers.edf_factory import Sig, write_edf

    p = tmp_path / "cut.edf"
    write_edf(p, [Sig("EEG C3-M2", 100)], n_records=60)
    p.write_bytes(p.read_bytes()[:-5000])
    assert not window.open_path(str(p))
    assert _box(window, "Damaged recording") is not None and _box(window, "Import scoring") is None


@needs_data
def test_a_scoring_beside_a_new_study_is_named_and_the_import_dialog_starts_on_it(window, tmp_path,
                                                                                  resmed_night, monkeypatch):
    import gui.scoring.scoring_ui as scoring_ui

    dreams = tmp_path / "dreams"
    dreams.mkdir()
    for name in ("excerpt1.edf", "Hypnogram_excerpt1.txt"):
        shutil.copy(DATA / "dreams-dev" / name, dreams / name)
    asked = []
    monkeypatch.setattr(scoring_ui.QFileDialog, "getOpenFileName",
                        staticmethod(lambda parent, title, start, filt: (asked.append(start), ("", ""))[1]))
    for study, beside in ((dreams / "excerpt1.edf", "Hypnogram_excerpt1.txt"), (resmed_night / BRP, EVE)):
        assert window.open_path(str(study))
        assert (f"{beside} beside it is a scoring of this recording: File › Import {beside} imports it"
                in window.statusBar().currentMessage())
        action = window.scoring.import_beside_action
        assert action.isVisible() and action.text() == f"Import {beside} (beside the study)"
        assert action in window.file_menu.actions()
        window.scoring.import_dialog()
        assert asked[-1] == str(study.parent / beside)
        assert not doc(window).events() and not (doc(window).stages() >= 0).any()  # nothing imported unasked
    action.trigger()  # File › Import 20260111_210642_EVE.edf
    assert [e.type for e in doc(window).events()] == [EventType.OBSTRUCTIVE_APNEA]
    doc(window).undo()
    doc(window).set_stage(0, Stage.W)  # once the scorer has scored, the hint is not repeated
    window.close_study()
    assert window.open_path(str(resmed_night / BRP))
    assert "beside it" not in window.statusBar().currentMessage()
    assert not window.scoring.import_beside_action.isVisible()
    window.scoring.import_dialog()
    assert asked[-1] == str(resmed_night)
    window.close_study()
    assert not window.scoring.import_beside_action.isVisible()


def test_a_scoring_onto_a_read_only_study_or_at_other_times_is_refused_with_a_message(window, tmp_path):
    from engine.api import open_scoring
    from tests.engine.io.test_scoring_file import _annotation_only_edf
    from tests.helpers.edf_factory import Sig, write_edf

    study = tmp_path / "night.edf"
    write_edf(study, [Sig("EEG C3-M2", 100)], n_records=600, starttime="22.00.00")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    late = elsewhere / "late.edf"
    _annotation_only_edf(late, [0.0], starttime="09.00.00")  # the next morning: misses the night
    fits = elsewhere / "fits.edf"
    _annotation_only_edf(fits, [60.0], starttime="22.00.00")
    assert window.open_path(str(study))
    assert not window.open_path(str(late))
    assert "Its times do not fall in the open study night.edf" in window.last_error
    assert _box(window, "Import scoring").icon() == QMessageBox.Icon.Critical  # a message, not a question
    window.close_study()
    other = open_scoring(study, 20)  # another window holds the study: its scoring opens read-only
    try:
        assert window.open_path(str(study)) and window.scoring.ctl.read_only
        assert not window.scoring.import_beside_action.isVisible()
        assert not window.open_path(str(fits))
        assert "is read-only here: nothing can be imported onto it" in window.last_error
        assert window.scoring.import_path(str(fits)) is False  # File › Import: a message, no traceback
        assert "read-only" in window.last_error
    finally:
        window.close_study()
        other.close()


def test_two_patients_at_the_same_hour_are_not_guessed_between(window, tmp_path):
    from tests.engine.io.test_scoring_file import _annotation_only_edf
    from tests.helpers.edf_factory import Sig, write_edf

    for name in ("patA.edf", "patB.edf"):
        write_edf(tmp_path / name, [Sig("EEG C3-M2", 100)], n_records=600, startdate="01.01.85", starttime="00.00.00")
    _annotation_only_edf(tmp_path / "scoring.edf", [0.0, 30.0], startdate="01.01.85", starttime="00.00.00")
    assert not window.open_path(str(tmp_path / "scoring.edf"))
    assert window.viewer.study is None
    assert "More than one recording in its folder covers its times (patA.edf, patB.edf)" in window.last_error
    _annotation_only_edf(tmp_path / "patB-Hypnogram.edf", [0.0, 30.0], startdate="01.01.85", starttime="00.00.00")
    assert window.open_path(str(tmp_path / "patB-Hypnogram.edf"))  # its name tells
    assert window.viewer.study.path.endswith("patB.edf")


@needs_data
def test_a_named_hypnogram_alone_opens_its_recording_and_a_stray_text_file_is_no_scoring(window, tmp_path):
    for name in ("excerpt1.edf", "Hypnogram_excerpt1.txt"):
        shutil.copy(DATA / "dreams-dev" / name, tmp_path / name)
    (tmp_path / "notes.txt").write_text("call the family about the CPAP mask\n")
    assert not window.open_path(str(tmp_path / "notes.txt"))
    assert _box(window, "Cannot open recording") is not None and window.viewer.study is None
    assert window.open_path(str(tmp_path / "Hypnogram_excerpt1.txt"))
    assert window.viewer.study.path.endswith("excerpt1.edf")
    assert (doc(window).stages() >= 0).all()  # the expert's stages, imported


@needs_data
def test_the_import_beside_entry_goes_once_used_and_asks_after_scoring(window, qtbot, resmed_night):
    assert window.open_path(str(resmed_night / BRP))
    action = window.scoring.import_beside_action
    action.trigger()
    assert len(doc(window).events()) == 1 and not action.isVisible()  # done: gone from the menu
    doc(window).undo()
    window.scoring.scoring_beside = resmed_night / EVE  # as if offered again
    doc(window).set_stage(0, Stage.W)  # the scorer has started
    action.trigger()
    box = _box(window, "Import scoring")
    assert box is not None and "You have scored this study" in box.text()
    assert doc(window).stages()[0] == Stage.W
    box.done(QMessageBox.StandardButton.No)
    assert doc(window).stages()[0] == Stage.W and not doc(window).events()
