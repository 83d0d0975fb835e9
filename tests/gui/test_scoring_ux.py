"""Issue 13: scoring that never surprises. One test per numbered problem of the issue
(the hidden-event one first), each asserting on the scoring document and its journal."""

import json
import math
import os
import stat

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication, QMessageBox

from engine.scoring import Provenance, Stage
from tests.gui.conftest import doc
from tests.gui.mouse import drag


def journal_labels(w) -> list[str]:
    with open(w.scoring.ctl.journal_path, encoding="utf-8") as fh:
        recs = [json.loads(line) for line in fh if line.strip()]
    return [r.get("label", "") for r in recs if r.get("kind") == "do"]


def status(w) -> str:
    return w.statusBar().currentMessage()


def row_y(w, label: str) -> float:
    sv = w.viewer.signal_view
    return len(sv.rows) - [r.label for r in sv.rows].index(label) - 0.5


def suggest_stages(d, first: int, stages, conf: float = 0.8) -> None:
    proba = np.full((len(stages), 5), (1 - conf) / 4, np.float32)
    proba[np.arange(len(stages)), stages] = conf
    d.set_suggestions(first, proba)


def close_boxes(w):
    for b in list(w._message_boxes):
        b.close()


# --- 1. keys act only on what the scorer sees ----------------------------------------
def test_keys_never_act_on_a_hidden_event(scored, qtbot):
    w = scored
    d = doc(w)
    [eid] = d.suggest_events([{"onset_s": 5.0, "duration_s": 12.0, "type": "Obstructive apnea",
                               "confidence": 0.7, "channels": ("C-FLOW",)}])
    w.scoring.overlay.select(eid)
    for _ in range(3):
        qtbot.keyClick(w, Qt.Key.Key_Right)
    assert w.scoring.overlay.selected is None  # paging away clears the selection
    n_before = len(journal_labels(w))
    qtbot.keyClick(w, Qt.Key.Key_A)
    assert d.event(eid).provenance == Provenance.MODEL  # untouched
    assert not any("Obstructive" in lb for lb in journal_labels(w)[n_before:])
    assert "epoch 4" in status(w).lower()  # it said what it did (nothing to accept there)
    qtbot.keyClick(w, Qt.Key.Key_H, Qt.KeyboardModifier.ShiftModifier)  # arms Hypopnea only
    assert d.event(eid).type == "Obstructive apnea"
    assert not any(lb.startswith(("Edit", "Retype")) for lb in journal_labels(w))
    assert "Hypopnea" in status(w)


def test_selection_is_kept_only_while_in_view_and_esc_clears(scored, qtbot):
    w = scored
    d = doc(w)
    eid = w.scoring.ctl.add_event(40.0, 12.0, "Obstructive apnea", ("C-FLOW",))
    w.scoring._jump_to_event(40.0, eid)  # double-click in the list: jumps and selects
    assert w.scoring.overlay.selected == eid and w.viewer.start_s <= 46 < w.viewer.start_s + 30
    qtbot.keyClick(w, Qt.Key.Key_H, Qt.KeyboardModifier.ShiftModifier)  # in view: retypes
    assert d.event(eid).type == "Hypopnea"
    assert "Hypopnea" in status(w) and journal_labels(w)[-1] == "Retype Obstructive apnea → Hypopnea"
    qtbot.keyClick(w, Qt.Key.Key_Escape)
    assert w.scoring.overlay.selected is None
    # a selection scrolled out of view by another route is not acted on either
    w.scoring.overlay.select(eid)
    w.viewer.go_to(600.0)  # e.g. the overview strip or the hypnogram
    assert w.scoring.overlay.selected is None
    w.scoring.overlay.selected = eid  # even if something left it set behind our back
    qtbot.keyClick(w, Qt.Key.Key_Delete)
    assert d.event(eid).type == "Hypopnea"  # not deleted from two pages away


# --- 2. review rhythm and feedback ----------------------------------------------------
def test_review_rhythm_accept_reject_enter_and_header(scored, qtbot):
    w = scored
    d = doc(w)
    suggest_stages(d, 0, [2, 2, 3, 3, 4, 1], conf=0.8)
    hdr = w.scoring.header
    assert "Epoch 1/120" in hdr.text() and "model N2 80 % (model, pending)" in hdr.text()
    proba = np.full((1, 5), 0.05, np.float32)
    proba[0, 3] = 0.8
    d.set_suggestions(4, proba, source="yasa")
    w.viewer.go_to_epoch(4)
    assert "Epoch 5/120" in hdr.text() and "model N3 80 % (yasa, pending)" in hdr.text()
    w.viewer.go_to_epoch(0)
    qtbot.keyClick(w, Qt.Key.Key_A)  # accepts and advances
    assert d.stages()[0] == Stage.N2 and d.stage_provenance()[0] == Provenance.MODEL_ACCEPTED
    assert w.viewer.cursor_epoch == 1 and "epoch 1" in status(w).lower()
    qtbot.keyClick(w, Qt.Key.Key_X)  # rejects and stays
    assert d.suggestion(1).state == Provenance.MODEL_REJECTED and w.viewer.cursor_epoch == 1
    assert "rejected" in status(w).lower() and "epoch 2" in status(w).lower()
    qtbot.keyClick(w, Qt.Key.Key_Return)  # nothing to accept: says so, does not advance silently
    assert w.viewer.cursor_epoch == 1 and "type the stage" in status(w).lower()
    qtbot.keyClick(w, Qt.Key.Key_1)  # the scorer types the stage: advances
    assert d.stages()[1] == Stage.N1 and w.viewer.cursor_epoch == 2
    assert "you N1" not in hdr.text()  # the header follows the cursor epoch
    qtbot.keyClick(w, Qt.Key.Key_Return)  # accepts and advances
    assert d.stages()[2] == Stage.N3 and w.viewer.cursor_epoch == 3
    w.viewer.go_to_epoch(1)
    assert "you N1" in hdr.text() and "Epoch 2/120" in hdr.text()
    qtbot.keyClick(w, Qt.Key.Key_Backspace)  # clears, stays
    assert d.stages()[1] == Stage.UNSCORED and w.viewer.cursor_epoch == 1
    labels = journal_labels(w)
    assert "Accept suggestion at epoch 1" in labels and "Reject suggestion at epoch 2" in labels
    assert "Stage N1 at epoch 2" in labels  # 1-based, as on screen
    qtbot.keyClick(w, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert "Undid: Stage ? at epoch 2" in status(w) and d.stages()[1] == Stage.N1


def test_review_keys_configurable_and_listed_in_help(scored, qtbot):
    w = scored
    d = doc(w)
    suggest_stages(d, 0, [2, 2, 2])
    w.scoring.set_stage_keys("accept", "Q")
    qtbot.keyClick(w, Qt.Key.Key_Q)
    assert d.stages()[0] == Stage.N2
    qtbot.keyClick(w, Qt.Key.Key_A)  # no longer bound
    assert d.stages()[1] == Stage.UNSCORED
    html = w.keys_html()
    assert "&amp;" not in html and "&Open" not in html
    assert "Q" in html and "accept" in html.lower() and "advance" in html.lower()


def test_hypnogram_wheel_zooms_around_the_current_epoch(scored, qtbot):
    w = scored
    w.viewer.go_to_epoch(80)
    h = w.scoring.hypnogram
    x0, x1 = h.vb.viewRange()[0]
    assert x1 - x0 >= 3600 - 1
    vp = h.viewport()
    pos = QPointF(vp.width() / 2, vp.height() / 2)
    for _ in range(3):
        ev = QWheelEvent(pos, QPointF(vp.mapToGlobal(pos.toPoint())), QPoint(0, 0), QPoint(0, 120),
                         Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier,
                         Qt.ScrollPhase.NoScrollPhase, False)
        QApplication.sendEvent(vp, ev)
    a, b = h.vb.viewRange()[0]
    assert b - a < 0.6 * (x1 - x0)
    assert a <= 80 * 30 + 15 <= b
    w.viewer.go_to_epoch(5)  # the zoomed view follows the cursor
    a, b = h.vb.viewRange()[0]
    assert a <= 5 * 30 + 15 <= b


def test_queue_lines_show_scorer_stage_and_why(scored, qtbot):
    from engine.api import ReviewState

    w = scored
    d = doc(w)
    suggest_stages(d, 0, [2] * 10, conf=0.4)
    d.set_stage(3, Stage.N3)
    p = w.assistant.panel
    p.show_review(ReviewState.compute(d), d, outlier=None)
    texts = [p.review.list.item(i).text() for i in range(p.review.list.count())]
    assert texts, "low-confidence epochs are flagged"
    assert all("you" in t and ("uncertain" in t or "differ" in t or "unusual" in t) for t in texts)
    assert p.review.list.wordWrap()
    # each row's tooltip is its text (looked up when asked, not stored per item)
    from PySide6.QtCore import QEvent
    from PySide6.QtGui import QHelpEvent
    from PySide6.QtWidgets import QApplication, QToolTip

    w.assistant.dock.raise_()
    lst = p.review.list
    p.setCurrentWidget(p.review.parentWidget())
    qtbot.waitUntil(lambda: lst.viewport().isVisible() and lst.visualItemRect(lst.item(0)).height() > 0)
    centre = lst.visualItemRect(lst.item(0)).center()
    QApplication.sendEvent(lst.viewport(), QHelpEvent(QEvent.Type.ToolTip, centre, lst.viewport().mapToGlobal(centre)))
    assert QToolTip.text() == texts[0]
    QToolTip.hideText()


# --- 3. no accidental events ----------------------------------------------------------
def test_nothing_armed_drag_selects_span_and_short_event_asks(scored, qtbot):
    w = scored
    d = doc(w)
    sv = w.viewer.signal_view
    ov = w.scoring.overlay
    assert ov.armed_type is None
    y = row_y(w, "EEG C3-M2")
    drag(sv.plot, sv.vb, 5.0, y, 7.0, y)  # a 2-s drag with nothing armed
    assert d.events() == []
    a, b, row = ov.span
    assert a == pytest.approx(5.0, abs=0.2) and b == pytest.approx(7.0, abs=0.2)
    assert "Arousal" in " ".join(act.text() for act in w.scoring.span_menu_actions())
    # score the span as an arousal: 2 s < the 3-s minimum, so it asks; No creates nothing
    w.scoring.score_span_as("Arousal")
    box = w.scoring.confirm_box
    assert box is not None and "3" in box.text()
    box.done(QMessageBox.StandardButton.No)
    assert d.events() == [] and "not" in status(w).lower()
    w.scoring.score_span_as("Arousal")
    w.scoring.confirm_box.done(QMessageBox.StandardButton.Yes)
    [ev] = d.events()
    assert ev.type == "Arousal" and ev.channels == ("EEG C3-M2",) and ev.provenance == Provenance.HUMAN
    assert journal_labels(w)[-1] == "Add Arousal"
    # armed hypopnea, 5-s drag (< 10 s): asks; with the setting off it does not
    assert ov.selected == ev.id  # the new event is selected: a type key would retype it
    qtbot.keyClick(w, Qt.Key.Key_Escape)
    qtbot.keyClick(w, Qt.Key.Key_H, Qt.KeyboardModifier.ShiftModifier)
    assert ov.armed_type == "Hypopnea" and d.events()[0].type == "Arousal"
    yf = row_y(w, "C-FLOW")
    drag(sv.plot, sv.vb, 12.0, yf, 17.0, yf)
    assert w.scoring.confirm_box is not None and len(d.events()) == 1
    w.scoring.confirm_box.done(QMessageBox.StandardButton.No)
    w.scoring.set_confirm_short(False)
    drag(sv.plot, sv.vb, 20.0, yf, 25.0, yf)  # elsewhere: a second press on the same spot is a double-click
    assert [e.type for e in d.events()] == ["Arousal", "Hypopnea"]


def test_minimum_duration_table_is_in_the_engine():
    from engine.api import event_min_duration_s

    assert event_min_duration_s("Arousal") == 3.0
    assert event_min_duration_s("Obstructive apnea") == 10.0
    assert event_min_duration_s("Hypopnea") == 10.0
    assert event_min_duration_s("Arousal", pediatric=True) == 3.0
    assert event_min_duration_s("Obstructive apnea", pediatric=True) is None  # two breaths
    assert event_min_duration_s("Something else") is None


# --- 4. never losing one's place ------------------------------------------------------
def test_jumps_centre_the_target_and_window_changes_keep_the_epoch(scored, qtbot):
    w = scored
    v = w.viewer
    eid = w.scoring.ctl.add_event(1000.0, 14.0, "Obstructive apnea", ("C-FLOW",))
    for win in (120.0, 600.0):
        w.set_window(win)
        w.scoring._jump_to_event(1000.0, eid)
        centre = v.start_s + v.effective_window() / 2
        assert abs(1007.0 - centre) <= 15.0, win
    w.set_window(30.0)
    v.go_to_epoch(159 - 120 if v.n_epochs() < 160 else 159)
    ep = v.cursor_epoch
    w.set_window(math.inf)
    w.set_window(30.0)
    assert v.cursor_epoch == ep and v.start_s == ep * 30.0
    w.set_window(600.0)
    assert v.start_s <= ep * 30 < v.start_s + 600 and v.cursor_epoch == ep
    w.set_window(30.0)
    assert v.start_s == ep * 30.0


# --- 5. clutter and explanations ------------------------------------------------------
def test_event_labels_never_overlap(scored, qtbot):
    w = scored
    for k in range(5):
        w.scoring.ctl.add_event(3.0 + 0.3 * k, 8.0, "Obstructive apnea", ("C-FLOW",))
    w.scoring.ctl.add_event(4.0, 8.0, "Arousal", ("C-FLOW",))
    ov = w.scoring.overlay
    texts = [it._text for it, _ in ov._shown if it._text.isVisible() and it._text.text()]
    assert len(texts) >= 2  # stacked, not all hidden
    vt = w.viewer.signal_view.plot.viewportTransform()
    rects = [t.deviceTransform(vt).mapRect(t.boundingRect()) for t in texts]
    for i in range(len(rects)):
        for j in range(i + 1, len(rects)):
            assert not rects[i].intersects(rects[j]), (texts[i].text(), texts[j].text())
    w.set_window(math.inf)  # the whole night: no labels at all, one thin mark per event and row
    assert not any(it.isVisible() for it in ov._pool) and ov.n_marks == 6


def test_event_list_separates_sources_dedups_and_fits(scored, qtbot):
    w = scored
    d = doc(w)
    ctl = w.scoring.ctl
    ctl.add_event(100.0, 12.0, "Obstructive apnea", ("C-FLOW",))
    ctl.add_event(100.0, 12.0, "Obstructive apnea", ("RESP THORACIC",))  # same event, 2 channels
    ids = d.suggest_events([
        {"onset_s": 300.0, "duration_s": 10.0, "type": "Hypopnea", "confidence": 0.6},
        {"onset_s": 400.0, "duration_s": 10.0, "type": "Central apnea", "confidence": 0.7}])
    d.reject_event(ids[1])
    el = w.scoring.events
    assert el.row_count() == 1  # scored only, by default; one row for the duplicate
    assert "C-FLOW" in el.cell(0, 2) and "RESP THORACIC" in el.cell(0, 2)
    assert "1 scored" in el.count.text() and "1 suggested" in el.count.text()
    assert "1 rejected" in el.count.text()
    el.source.setCurrentText("Suggested")
    assert el.row_count() == 1 and el.cell(0, 1) == "Hypopnea"
    el.source.setCurrentText("Rejected")
    assert el.row_count() == 1 and el.cell(0, 1) == "Central apnea"
    el.source.setCurrentText("All sources")
    assert el.row_count() == 3
    w.scoring.events_dock.raise_()
    qtbot.waitUntil(lambda: el.table.viewport().width() > 50)
    hh = el.table.horizontalHeader()
    assert hh.length() <= el.table.viewport().width() + 2  # every column in view


def test_overlays_have_tooltips_and_a_legend(scored, qtbot):
    w = scored
    d = doc(w)
    [sid] = d.suggest_events([{"onset_s": 5.0, "duration_s": 10.0, "type": "Hypopnea",
                               "confidence": 0.6, "channels": ("C-FLOW",)}])
    ov = w.scoring.overlay
    box = next(it for it, eid in ov._shown if eid == sid)
    assert "suggest" in box.toolTip().lower() and "60 %" in box.toolTip()
    h = w.scoring.hypnogram
    assert "outlier" in h.outliers.toolTip().lower() or "unusual" in h.outliers.toolTip().lower()
    assert w.assistant.density.toolTip()
    legend = w.scoring.legend.text().lower()
    assert "suggest" in legend and "unusual" in legend and "dashed" in legend


# --- 6. smaller defects ---------------------------------------------------------------
def test_report_has_no_empty_hypnogram_heading(scored, qtbot):
    w = scored
    qtbot.keyClick(w, Qt.Key.Key_2)
    dlg = w.scoring.show_report()
    from PySide6.QtGui import QTextDocument

    shown = dlg.text.toHtml()
    assert "Hypnogram" in dlg.text.toPlainText() and dlg.HYPNOGRAM_URL.toString() in shown
    img = dlg.text.document().resource(QTextDocument.ResourceType.ImageResource, dlg.HYPNOGRAM_URL)
    assert img is not None and not img.isNull() and img.width() > 200  # the picture under the heading
    dlg.close()


def test_agreement_matrix_shows_all_columns(scored, qtbot):
    w = scored
    p = w.assistant.panel
    w.assistant.dock.raise_()
    p.setCurrentIndex(1)
    qtbot.waitUntil(lambda: p.confusion.viewport().width() > 50)
    hh = p.confusion.horizontalHeader()
    assert hh.length() <= p.confusion.viewport().width() + 2


def test_exports_use_the_users_permissions(scored, tmp_path, qtbot):
    w = scored
    qtbot.keyClick(w, Qt.Key.Key_2)
    old = os.umask(0o022)
    try:
        assert w.scoring.export_csv(str(tmp_path / "h.csv"))
        assert w.scoring.export_tsv(str(tmp_path / "e.tsv"))
    finally:
        os.umask(old)
    for name in ("h.csv", "e.tsv"):
        assert stat.S_IMODE(os.stat(tmp_path / name).st_mode) == 0o644


def test_no_study_shows_no_stage_panels_or_labels(window, night_edf):
    def bare():
        h = window.scoring.hypnogram
        return (not h.active and h.left._tickLevels == [[]] and not h.window.isVisible()
                and not h.cursor.isVisible()
                and not window.viewer.signal_view.cursor.isVisible()
                and not window.viewer.overview.window.isVisible() and window.scoring.header.text() == "")

    assert bare()  # no beige panels, no stray "N3"
    assert window.open_path(str(night_edf))
    assert not bare() and window.scoring.hypnogram.window.isVisible()
    window.close_study()
    assert bare()


def test_error_dialog_never_shows_raw_bytes(window):
    window.report_error("Cannot open recording", "x.edf: not an EDF (starts with b'# PedSle')")
    box = window._message_boxes[-1]
    assert "b'" not in box.text() and "# PedSle" in box.text()
    close_boxes(window)


def test_whole_night_draws_a_readable_envelope_per_channel(scored, qtbot):
    from tests.gui.conftest import wait_pyramids

    w = scored
    wait_pyramids(qtbot, w)
    w.set_window(math.inf)
    sv = w.viewer.signal_view
    n = len(sv.rows)
    for r, row in enumerate(sv.rows):
        if row.kind not in ("eeg", "eog", "emg", "flow", "resp"):
            continue
        _x, yd = sv.items[r].getData()
        dev = np.abs(yd - (n - r - 0.5))
        p99 = float(np.percentile(dev, 99))
        assert 0.15 <= p99 <= 0.46, (row.label, p99)  # fills its row, not clipped to a wall
        assert float(np.mean(dev >= 0.499)) < 0.01, row.label
    # channel-less scored events sit on the rows they are scored from, as thin marks
    eid = w.scoring.ctl.add_event(600.0, 15.0, "Obstructive apnea")
    kinds = {sv.rows[i].kind for i in w.scoring.overlay._rows_of(doc(w).event(eid))}
    assert kinds and kinds <= {"flow", "resp"}


def test_real_recording_keys_header_window_and_whole_night(window, qtbot, shared_data):
    """The same rules on a real DREAMS excerpt (one EEG channel, 60 epochs)."""
    w = window
    assert w.open_path(str(shared_data / "dreams-dev" / "excerpt1.edf"))
    d = doc(w)
    v = w.viewer
    v.go_to_epoch(41)
    qtbot.keyClick(w, Qt.Key.Key_2)
    assert d.stages()[41] == Stage.N2 and v.cursor_epoch == 42
    assert "Epoch 43/60" in w.scoring.header.text() and "Epoch 42: N2" in status(w)
    assert journal_labels(w)[-1] == "Stage N2 at epoch 42"
    w.set_window(math.inf)
    w.set_window(30.0)
    assert v.cursor_epoch == 42 and v.start_s == 42 * 30.0
    w.scoring.hypnogram.jump_requested.emit(20 * 30.0 + 5)  # a click on the hypnogram
    assert v.cursor_epoch == 20 and "Epoch 21/60" in w.scoring.header.text()
    w.set_window(math.inf)
    sv = v.signal_view
    _x, yd = sv.items[0].getData()
    dev = np.abs(yd - (len(sv.rows) - 0.5))
    assert 0.15 <= float(np.percentile(dev, 99)) <= 0.46  # a readable envelope, not a clipped wall


def test_label_of_an_event_begun_before_the_window_stays_in_view(scored, qtbot):
    w = scored
    eid = w.scoring.ctl.add_event(50.0, 20.0, "Hypopnea", ("C-FLOW",))  # 50-70 s
    w.viewer.go_to_epoch(2)  # 60-90 s
    ov = w.scoring.overlay
    [txt] = [it._text for it, e in ov._shown if e == eid]
    assert txt.isVisible() and 60.0 <= txt.pos().x() < 70.0


def test_right_click_on_a_span_offers_score_as(scored, qtbot):
    from PySide6.QtCore import QPoint as _QPoint

    w = scored
    d = doc(w)
    sv = w.viewer.signal_view
    y = row_y(w, "C-FLOW")
    drag(sv.plot, sv.vb, 3.0, y, 15.0, y)
    assert w.scoring.overlay.span is not None
    w.assistant._context_menu(8.0, [r.label for r in sv.rows].index("C-FLOW"), _QPoint(10, 10))
    menu = w.assistant._menu
    acts = {a.text(): a for a in menu.actions()}
    assert "Score as Obstructive apnea" in acts
    acts["Score as Obstructive apnea"].trigger()  # 12 s >= 10 s: no question
    menu.close()
    [ev] = d.events()
    assert ev.type == "Obstructive apnea" and ev.channels == ("C-FLOW",) and w.scoring.overlay.span is None
    assert journal_labels(w)[-1] == "Add Obstructive apnea"


def test_pediatric_rules_do_not_ask_for_breath_based_minimums(scored, qtbot):
    w = scored
    d = doc(w)
    sv = w.viewer.signal_view
    w.scoring.set_pediatric_rules(True)
    qtbot.keyClick(w, Qt.Key.Key_O, Qt.KeyboardModifier.ShiftModifier)
    y = row_y(w, "C-FLOW")
    drag(sv.plot, sv.vb, 3.0, y, 8.0, y)  # 5 s: two breaths of a child, not checked in seconds
    assert w.scoring.confirm_box is None and [e.type for e in d.events()] == ["Obstructive apnea"]
    qtbot.keyClick(w, Qt.Key.Key_Escape)
    qtbot.keyClick(w, Qt.Key.Key_C, Qt.KeyboardModifier.ShiftModifier)
    drag(sv.plot, sv.vb, 12.0, y, 24.0, y)  # a 12-s central apnea: the pediatric minimum is 20 s
    assert w.scoring.confirm_box is not None and "20" in w.scoring.confirm_box.text()
    w.scoring.confirm_box.done(QMessageBox.StandardButton.No)
    assert len(d.events()) == 1


def test_undo_brings_what_it_changed_into_view(scored, qtbot):
    w = scored
    d = doc(w)
    suggest_stages(d, 0, [2] * 6)
    w.viewer.go_to_epoch(3)
    qtbot.keyClick(w, Qt.Key.Key_A)  # accepts epoch 4 and advances to 5
    assert w.viewer.cursor_epoch == 4
    qtbot.keyClick(w, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert d.stages()[3] == Stage.UNSCORED and w.viewer.cursor_epoch == 3  # back where it happened
    assert "Undid: Accept suggestion at epoch 4" in status(w)
    eid = w.scoring.ctl.add_event(2000.0, 12.0, "Central apnea", ("C-FLOW",))
    w.viewer.go_to_epoch(0)
    qtbot.keyClick(w, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)  # removes it, far away
    v = w.viewer
    assert v.start_s <= 2006.0 < v.start_s + v.effective_window()
    with pytest.raises(KeyError):
        d.event(eid)
