"""Hand scoring through qtbot: every key and mouse action, asserting on the document."""

import numpy as np
import pytest
from PySide6.QtCore import Qt

from engine.scoring import Provenance, Stage
from tests.gui.conftest import doc
from tests.gui.mouse import click, drag


def test_staging_keys_with_auto_advance(scored, qtbot):
    w = scored
    keys = [Qt.Key.Key_W, Qt.Key.Key_1, Qt.Key.Key_2, Qt.Key.Key_3, Qt.Key.Key_R, Qt.Key.Key_0,
            Qt.Key.Key_5]
    for k in keys:
        qtbot.keyClick(w, k)
    st = doc(w).stages()
    assert list(st[:7]) == [Stage.W, Stage.N1, Stage.N2, Stage.N3, Stage.R, Stage.W, Stage.R]
    assert all(p == Provenance.HUMAN for p in doc(w).stage_provenance()[:7])
    assert st[7] == Stage.UNSCORED
    assert w.viewer.start_s == 7 * 30.0  # auto-advanced one epoch per key
    qtbot.keyClick(w, Qt.Key.Key_Left)
    qtbot.keyClick(w, Qt.Key.Key_Backspace)  # clears, does not advance
    assert doc(w).stages()[6] == Stage.UNSCORED and w.viewer.start_s == 6 * 30.0


def test_staging_in_a_longer_window_moves_the_cursor(scored, qtbot):
    w = scored
    w.window_actions[120.0].trigger()
    for _ in range(5):
        qtbot.keyClick(w, Qt.Key.Key_2)
    assert list(doc(w).stages()[:5]) == [Stage.N2] * 5
    assert w.viewer.start_s == 120.0 and w.viewer.cursor_epoch == 5


def test_remapped_staging_key(scored, qtbot):
    w = scored
    w.scoring.set_stage_keys("N3", "3,4")
    qtbot.keyClick(w, Qt.Key.Key_4)
    assert doc(w).stages()[0] == Stage.N3


def test_undo_redo_keys(scored, qtbot):
    w = scored
    qtbot.keyClick(w, Qt.Key.Key_2)
    qtbot.keyClick(w, Qt.Key.Key_3)
    qtbot.keyClick(w, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert doc(w).stages()[1] == Stage.UNSCORED and doc(w).stages()[0] == Stage.N2
    qtbot.keyClick(w, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert doc(w).stages()[1] == Stage.N3
    qtbot.keyClick(w, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(w, Qt.Key.Key_Y, Qt.KeyboardModifier.ControlModifier)
    assert doc(w).stages()[1] == Stage.N3


def test_hypnogram_shows_unscored_apart_and_click_jumps(scored, qtbot):
    w = scored
    qtbot.keyClick(w, Qt.Key.Key_W)
    qtbot.keyClick(w, Qt.Key.Key_3)
    h = w.scoring.hypnogram
    y0 = h.blocks.opts["y0"]
    assert y0[0] + 0.35 == 5 and y0[1] + 0.35 == 1 and y0[2] + 0.35 == 0  # W, N3, unscored "?"
    click(h, h.vb, 1815.0, 2.0)
    assert w.viewer.start_s == 1800.0


def test_drag_creates_event_on_channel_and_edges_move(scored, qtbot):
    w = scored
    sv = w.viewer.signal_view
    qtbot.keyClick(w, Qt.Key.Key_H, Qt.KeyboardModifier.ShiftModifier)  # arm hypopnea
    n = len(sv.rows)
    row = [r.label for r in sv.rows].index("C-FLOW")
    y = n - row - 0.5
    drag(sv.plot, sv.vb, 5.0, y, 17.0, y)
    evs = doc(w).events()
    assert len(evs) == 1
    ev = evs[0]
    assert ev.type == "Hypopnea" and ev.channels == ("C-FLOW",)
    assert ev.onset_s == pytest.approx(5.0, abs=0.2) and ev.duration_s == pytest.approx(12.0, abs=0.3)
    assert ev.provenance == Provenance.HUMAN
    # drag its right edge from 17 s to 22 s
    drag(sv.plot, sv.vb, ev.offset_s, y, 22.0, y)
    ev2 = doc(w).event(ev.id)
    assert ev2.onset_s == pytest.approx(ev.onset_s) and ev2.offset_s == pytest.approx(22.0, abs=0.3)
    # retype the selected event by hotkey, then delete it with the Delete key
    assert w.scoring.overlay.selected == ev.id
    qtbot.keyClick(w, Qt.Key.Key_O, Qt.KeyboardModifier.ShiftModifier)
    assert doc(w).event(ev.id).type == "Obstructive apnea"
    qtbot.keyClick(w, Qt.Key.Key_Delete)
    assert doc(w).events() == []
    qtbot.keyClick(w, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert len(doc(w).events()) == 1


def test_edge_drag_right_after_another_move_is_still_a_drag(scored, qtbot):
    """pyqtgraph drops moves within 10 ms of the last one it took; the test gestures wait
    that out, so a drag is a drag on a fast machine too (the cause of a flaky CI run)."""
    from pyqtgraph.GraphicsScene.GraphicsScene import getMillis

    w = scored
    sv = w.viewer.signal_view
    eid = w.scoring.ctl.add_event(5.0, 12.0, "Hypopnea", ("C-FLOW",))
    y = len(sv.rows) - [r.label for r in sv.rows].index("C-FLOW") - 0.5
    sv.plot.scene()._lastMoveEventTime = getMillis()  # a move was taken just now
    drag(sv.plot, sv.vb, 17.0, y, 22.0, y)
    assert doc(w).event(eid).offset_s == pytest.approx(22.0, abs=0.3)


def test_click_selects_event_and_tiny_drag_creates_nothing(scored, qtbot):
    w = scored
    sv = w.viewer.signal_view
    eid = w.scoring.ctl.add_event(10.0, 5.0, "Arousal", ("EEG C3-M2",))
    y = len(sv.rows) - 0.5
    click(sv.plot, sv.vb, 12.0, y)
    assert w.scoring.overlay.selected == eid
    click(sv.plot, sv.vb, 25.0, y)
    assert w.scoring.overlay.selected is None
    drag(sv.plot, sv.vb, 25.0, y, 25.1, y)
    assert len(doc(w).events()) == 1


def test_event_list_filter_and_double_click_jumps(scored, qtbot):
    w = scored
    ctl = w.scoring.ctl
    ctl.add_event(1000.0, 12.0, "Obstructive apnea", ("C-FLOW",))
    ctl.add_event(2000.0, 5.0, "Arousal", ("EEG C3-M2",))
    ctl.add_event(2500.0, 15.0, "Obstructive apnea", ("C-FLOW",))
    el = w.scoring.events
    assert el.row_count() == 3
    el.filter.setCurrentText("Obstructive apnea")
    assert el.row_count() == 2
    r = el.table.visualRect(el.rows.index(1, 0)).center()
    qtbot.mouseClick(el.table.viewport(), Qt.MouseButton.LeftButton, pos=r)
    qtbot.mouseDClick(el.table.viewport(), Qt.MouseButton.LeftButton, pos=r)
    assert w.viewer.start_s <= 2500.0 < w.viewer.start_s + 30.0


def test_lights_off_on(scored, qtbot):
    w = scored
    w.viewer.go_to_epoch(2)
    [a for a in w.actions() if a.text() == "Lights off at this epoch"][0].trigger()
    w.viewer.go_to_epoch(100)
    [a for a in w.actions() if a.text() == "Lights on after this epoch"][0].trigger()
    assert doc(w).lights_off_s == 60.0 and doc(w).lights_on_s == 3030.0


def test_journal_restores_scoring_on_reopen(window, night_edf, qtbot):
    window.open_path(str(night_edf))
    for k in (Qt.Key.Key_2, Qt.Key.Key_2, Qt.Key.Key_3):
        qtbot.keyClick(window, k)
    window.scoring.ctl.add_event(100.0, 10.0, "Central apnea", ("C-FLOW",))
    window.close_study()
    window.open_path(str(night_edf))
    d = doc(window)
    assert list(d.stages()[:3]) == [Stage.N2, Stage.N2, Stage.N3]
    assert [e.type for e in d.events()] == ["Central apnea"]
    assert "restored" in window.statusBar().currentMessage()


def test_study_annotations_are_imported_on_first_open(window, tmp_path):
    from engine.synth import NightParams, generate_night, write_night

    night = generate_night(NightParams(hours=0.5, age_years=8.0, ahi=10.0, seed=4))
    p = tmp_path / "synth.edf"
    write_night(night, p)
    assert window.open_path(str(p))
    d = doc(window)
    scored = d.stages() != Stage.UNSCORED
    assert scored.sum() == len(night.stages) or scored.sum() >= len(night.stages) - 1
    assert all(p == Provenance.IMPORTED for p, s in zip(d.stage_provenance(), scored) if s)


def test_import_export_report_compare(scored, tmp_path, shared_data, qtbot):
    import pyedflib

    w = scored
    for k in [Qt.Key.Key_W] * 4 + [Qt.Key.Key_1, Qt.Key.Key_2, Qt.Key.Key_2, Qt.Key.Key_3, Qt.Key.Key_R]:
        qtbot.keyClick(w, k)
    w.scoring.ctl.add_event(200.0, 12.0, "Obstructive apnea", ("C-FLOW",))
    out = tmp_path / "out.edf"
    assert w.scoring.export_edf(str(out))
    with pyedflib.EdfReader(str(out)) as r:
        texts = list(r.readAnnotations()[2])
        np.testing.assert_array_equal(r.readSignal(0, digital=True),
                                      w.viewer.study.read_digital(0))
    assert texts[:4] == ["Sleep stage W"] * 4 and "Obstructive apnea" in texts
    assert w.scoring.export_tsv(str(tmp_path / "e.tsv")) and w.scoring.export_csv(str(tmp_path / "h.csv"))
    assert not w.scoring.export_edf(w.viewer.study.path)  # never overwrites the source
    assert w.last_error
    for b in list(w._message_boxes):
        b.close()
    # report
    dlg = w.scoring.show_report()
    assert "Total sleep time" in dlg.html
    assert dlg.save(str(tmp_path / "r.html")) and (tmp_path / "r.html").read_text().startswith("<!")
    dlg.close()
    # compare with the exported hypnogram: perfect agreement
    cmp = w.scoring.compare_with(str(tmp_path / "h.csv"))
    assert cmp.agreement.kappa == pytest.approx(1.0) and cmp.agreement.n_epochs == 9
    cmp.close()
    # import replaces the scoring as one undo step
    w.viewer.go_to_epoch(0)
    qtbot.keyClick(w, Qt.Key.Key_3)
    assert doc(w).stages()[0] == Stage.N3
    assert w.scoring.import_path(str(tmp_path / "h.csv"))
    assert doc(w).stages()[0] == Stage.W and doc(w).stages()[8] == Stage.R
    assert doc(w).undo_label().startswith("Import")
    qtbot.keyClick(w, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert doc(w).stages()[0] == Stage.N3
    # a file that is not a scoring: a message, nothing changes
    bad = tmp_path / "bad.xml"
    bad.write_text("<nonsense")
    assert not w.scoring.import_path(str(bad))
    for b in list(w._message_boxes):
        b.close()


def test_full_disk_gives_a_message_and_loses_nothing(scored, qtbot, monkeypatch):
    """The journal cannot write (disk full): the key press shows a clear message, the
    document keeps every earlier edit and the app keeps running."""
    w = scored
    qtbot.keyClick(w, Qt.Key.Key_2)
    import engine.scoring.journal as journal_mod

    def full(*a, **k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(journal_mod.os, "fsync", full)
    qtbot.keyClick(w, Qt.Key.Key_3)
    assert "space" in (w.last_error or "").lower() or "disk" in (w.last_error or "").lower()
    assert doc(w).stages()[0] == Stage.N2 and doc(w).stages()[1] == Stage.UNSCORED
    for b in list(w._message_boxes):
        b.close()
    monkeypatch.undo()
    qtbot.keyClick(w, Qt.Key.Key_3)
    assert doc(w).stages()[1] == Stage.N3
