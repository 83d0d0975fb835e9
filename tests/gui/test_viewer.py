"""Every viewer action through qtbot (keys, clicks, menus), asserting on the viewer state."""

import math

import numpy as np
import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QApplication

from tests.gui.conftest import wait_pyramids


def test_open_shows_first_page(window, night_edf, qtbot):
    assert window.open_path(str(night_edf))
    v = window.viewer
    assert v.study is not None and v.start_s == 0.0 and v.effective_window() == 30.0
    assert len(v.signal_view.rows) == 16
    assert "Epoch 1 / 120" in v.position.text()
    assert v.signal_view.n_drawn_points > 0
    wait_pyramids(qtbot, window)


def test_page_forward_and_back_with_keys(window, night_edf, qtbot):
    window.open_path(str(night_edf))
    v = window.viewer
    qtbot.keyClick(window, Qt.Key.Key_Right)
    assert v.start_s == 30.0 and "Epoch 2 /" in v.position.text()
    qtbot.keyClick(window, Qt.Key.Key_PageDown)
    assert v.start_s == 60.0
    qtbot.keyClick(window, Qt.Key.Key_PageUp)
    assert v.start_s == 30.0
    qtbot.keyClick(window, Qt.Key.Key_Left)
    qtbot.keyClick(window, Qt.Key.Key_Left)  # clamps at the start
    assert v.start_s == 0.0
    qtbot.keyClick(window, Qt.Key.Key_End)
    assert v.start_s == 3600.0 - 30.0
    qtbot.keyClick(window, Qt.Key.Key_Right)
    assert v.start_s == 3600.0 - 30.0
    qtbot.keyClick(window, Qt.Key.Key_Home)
    assert v.start_s == 0.0


def test_traces_match_the_file(window, night_edf):
    window.open_path(str(night_edf))
    v = window.viewer
    v.go_to(120.0)
    row = v.visible_rows()[0]
    item = v.signal_view.items[0]
    x, y = item.getData()
    assert x[0] >= 120.0 and x[-1] < 150.0
    # drawn = centre + (filtered value - centre) / scale, with the row's filter
    from engine.signal.filters import apply_filter
    raw = v.study.read(row.sig, 120.0 - 10, 150.0 + 10)
    filt = apply_filter(raw, 256.0, row.filter)[2560:2560 + 7680]
    n = len(v.signal_view.rows)
    expected_first = (n - 0.5) + filt[0] / row.scale
    assert len(y) <= 2 * v.signal_view.plot_width_px()
    if len(y) == 7680:
        assert y[0] == pytest.approx(expected_first, rel=1e-4)


def test_window_choices_and_zoom(window, night_edf, qtbot):
    window.open_path(str(night_edf))
    v = window.viewer
    window.window_actions[300.0].trigger()
    assert v.effective_window() == 300.0
    qtbot.keyClick(window, Qt.Key.Key_Right)
    assert v.start_s == 300.0
    qtbot.keyClick(window, Qt.Key.Key_Equal, Qt.KeyboardModifier.ControlModifier)  # zoom in
    assert v.window_s == 120.0
    qtbot.keyClick(window, Qt.Key.Key_Minus, Qt.KeyboardModifier.ControlModifier)  # zoom out
    assert v.window_s == 300.0
    window.window_actions[5.0].trigger()
    assert v.effective_window() == 5.0
    window.window_actions[math.inf].trigger()
    assert v.effective_window() == 3600.0 and v.start_s == 0.0
    for it in v.signal_view.items[:16]:
        assert len(it.getData()[0]) <= 2 * v.signal_view.plot_width_px() * 1.5
    assert window.settings.value("window_s") == "inf"


def test_gain_keys_on_selected_channel(window, night_edf, qtbot):
    window.open_path(str(night_edf))
    v = window.viewer
    before = [r.scale for r in v.visible_rows()]
    qtbot.keyClick(window, Qt.Key.Key_Down)  # select the first channel
    assert v.selected == 0
    qtbot.keyClick(window, Qt.Key.Key_Plus)
    after = [r.scale for r in v.visible_rows()]
    assert after[0] == pytest.approx(before[0] / 1.5) and after[1:] == before[1:]
    qtbot.keyClick(window, Qt.Key.Key_Minus)
    qtbot.keyClick(window, Qt.Key.Key_Minus)
    assert v.visible_rows()[0].scale == pytest.approx(before[0] * 1.5)
    qtbot.keyClick(window, Qt.Key.Key_Up, Qt.KeyboardModifier.ShiftModifier)  # all channels
    assert v.visible_rows()[5].scale == pytest.approx(before[5] / 1.5)


def test_click_label_selects_and_invert(window, night_edf, qtbot):
    window.open_path(str(night_edf))
    v = window.viewer
    labels = v.signal_view.labels
    h = labels.height_px / len(labels.rows)
    qtbot.mouseClick(labels, Qt.MouseButton.LeftButton, pos=QPoint(20, int(labels.top_px + 2.5 * h)))
    assert v.selected == 2
    _, y0 = v.signal_view.items[2].getData()
    qtbot.keyClick(window, Qt.Key.Key_I, Qt.KeyboardModifier.ControlModifier)
    assert v.visible_rows()[2].inverted and not v.visible_rows()[1].inverted
    _, y1 = v.signal_view.items[2].getData()
    centre = len(v.signal_view.rows) - 2.5
    np.testing.assert_allclose(y1 - centre, -(y0 - centre), rtol=1e-4, atol=1e-5)


def test_filter_menu_and_notch(window, night_edf):
    window.open_path(str(night_edf))
    v = window.viewer
    eeg = [r for r in v.rows if r.kind == "eeg"]
    assert all(r.filter.highpass_hz == 0.3 and r.filter.lowpass_hz == 35.0 for r in eeg)
    eeg_menu = [m for m in window.filter_menu.actions() if m.text() == "EEG"][0].menu()
    off = [a for a in eeg_menu.actions() if a.text() == "no filter"][0]
    off.trigger()
    assert all(not r.filter.enabled for r in v.rows if r.kind == "eeg")
    assert all(r.filter.enabled for r in v.rows if r.kind == "emg")
    window.notch_actions[50.0].trigger()
    assert all(r.filter.notch_hz == 50.0 for r in v.rows if r.kind in ("eeg", "emg", "eog"))
    assert all(not r.filter.notch_hz for r in v.rows if r.kind == "spo2")
    window.notch_actions[None].trigger()
    assert all(not r.filter.notch_hz for r in v.rows)


def test_overview_click_jumps(window, night_edf, qtbot):
    window.open_path(str(night_edf))
    v = window.viewer
    ov = v.overview
    wait_pyramids(qtbot, window)
    vb = ov.vb
    scene_pt = vb.mapViewToScene(QPointF(1800.0, 0.5))
    widget_pt = ov.mapFromScene(scene_pt)
    qtbot.mouseClick(ov.viewport(), Qt.MouseButton.LeftButton, pos=widget_pt)
    assert abs(v.start_s - 1800.0) <= 30.0
    assert v.start_s % 30.0 == 0.0
    lo, hi = ov.window.getRegion()
    assert lo == pytest.approx(v.start_s) and hi == pytest.approx(v.start_s + 30.0)


def test_hide_channel_in_montage_editor(window, night_edf):
    """The montage editor replaced the show/hide menu (a 90-item menu closing on every click)."""
    window.open_path(str(night_edf))
    v = window.viewer
    window.edit_montage()
    dlg = window._montage_dialog
    first = dlg.list.item(0)
    first.setCheckState(Qt.CheckState.Unchecked)
    assert dlg.apply()
    assert len(v.visible_rows()) == 15 and len(v.signal_view.rows) == 15
    first.setCheckState(Qt.CheckState.Checked)
    assert dlg.apply()
    assert len(v.visible_rows()) == 16
    dlg.close()


def test_recent_files_and_reopen(window, night_edf, tmp_path):
    window.open_path(str(night_edf))
    acts = window.recent_menu.actions()
    assert acts and acts[0].text() == str(night_edf)
    window.close_study()
    assert window.viewer.study is None
    acts[0].trigger()
    assert window.viewer.study is not None


def test_drag_and_drop_opens(window, night_edf, qtbot):
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(night_edf))])
    ev = QDropEvent(QPointF(50, 50), Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton,
                    Qt.KeyboardModifier.NoModifier)
    window.dropEvent(ev)
    assert window.viewer.study is not None and window.viewer.study.path == str(night_edf)


def test_bad_file_shows_message_and_keeps_working(window, night_edf, tmp_path, qtbot):
    window.open_path(str(night_edf))
    bad = tmp_path / "bad.edf"
    bad.write_bytes(b"not an edf" * 50)
    assert not window.open_path(str(bad))
    assert "not an EDF" in window.last_error
    assert window.viewer.study is not None  # the open study is untouched
    box = window._message_boxes[-1]
    assert box.isVisible() and "not an EDF" in box.text()
    box.accept()
    qtbot.keyClick(window, Qt.Key.Key_Right)
    assert window.viewer.start_s == 30.0


def test_truncated_file_offers_repair(window, night_edf, qtbot):
    data = night_edf.read_bytes()
    night_edf.write_bytes(data[: len(data) - 5000])
    assert not window.open_path(str(night_edf))
    assert "truncated" in window.last_error
    from PySide6.QtWidgets import QMessageBox

    box = window._message_boxes[-1]
    box.button(QMessageBox.StandardButton.Open).click()
    qtbot.waitUntil(lambda: window.viewer.study is not None, timeout=5000)
    assert window.viewer.study.n_records < 3600


def test_layout_and_window_length_remembered(qtbot, night_edf, tmp_path):
    from engine.channels.profiles import ProfileStore
    from gui.main_window import MainWindow

    w = MainWindow(profiles=ProfileStore(tmp_path / "p"))
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    w.resize(700, 500)  # the offscreen screen is 800x600
    qtbot.waitUntil(lambda: w.width() == 700)
    w.set_window(120.0)
    w.close()
    w2 = MainWindow(profiles=ProfileStore(tmp_path / "p"))
    qtbot.addWidget(w2)
    w2.show()
    qtbot.waitExposed(w2)
    assert w2.viewer.window_s == 120.0
    assert abs(w2.width() - 700) <= 2 and abs(w2.height() - 500) <= 2


def test_mapping_dialog_fix_and_profile(window, tmp_path, qtbot):
    from tests.helpers.edf_factory import Sig, write_edf

    p = tmp_path / "odd.edf"
    write_edf(p, [Sig("Kanal 1", 256), Sig("Kanal 2", 256), Sig("Sauerstoff", 1, "%", 0, 100)],
              n_records=120)
    window.open_path(str(p))
    assert len(window.viewer.chmap.missing) == 16
    window.edit_mapping()
    dlg = window._mapping_dialog
    dlg.set_source("EEG C3-M2", "Kanal 1", "Kanal 2")
    dlg.set_source("SPO2", "Sauerstoff")
    dlg.profile_name.setText("Lab B")
    assert dlg.save_profile()
    dlg.accept()
    m = window.viewer.chmap
    assert m["EEG C3-M2"].plus == "Kanal 1" and m["EEG C3-M2"].minus == "Kanal 2"
    assert m["SPO2"].plus == "Sauerstoff"
    spo2_row = [r for r in window.viewer.rows if r.label == "Sauerstoff"][0]
    assert spo2_row.kind == "spo2"
    # a second file with the same labels gets the lab profile automatically
    p2 = tmp_path / "odd2.edf"
    write_edf(p2, [Sig("Kanal 1", 256), Sig("Kanal 2", 256), Sig("Sauerstoff", 1, "%", 0, 100)],
              n_records=60, seed=3)
    window.open_path(str(p2))
    assert window.viewer.chmap.profile == "Lab B"
    assert window.viewer.chmap["SPO2"].plus == "Sauerstoff"


def test_real_files_open_in_the_viewer(window, shared_data, qtbot):
    for rel in ("nox/nox-a1-120s.edf", "sleep-edf/SC4001E0-PSG-first300s.bdf",
                "resmed/20260111_220919_BRP.edf"):
        assert window.open_path(str(shared_data / rel)), window.last_error
        qtbot.keyClick(window, Qt.Key.Key_Right)
    # Nox: 89 signals, impedances hidden by default, clinical channels shown
    window.open_path(str(shared_data / "nox/nox-a1-120s.edf"))
    vis = [r.label for r in window.viewer.visible_rows()]
    assert "C3-M2" in vis and not any("Imp" in lb for lb in vis)


def test_page_100_times_with_painting(window, night_edf, qtbot):
    """Guards against the PySide6 6.12 + pyqtgraph 0.14 crash while scrolling."""
    window.open_path(str(night_edf))
    for i in range(100):
        qtbot.keyClick(window, Qt.Key.Key_Right if i < 60 else Qt.Key.Key_Left)
        window.viewer.signal_view.plot.repaint()
        window.viewer.overview.repaint()
        QApplication.processEvents()
    assert window.viewer.start_s == 20 * 30.0


def test_volts_are_shown_in_microvolts(window, shared_data):
    window.open_path(str(shared_data / "nox/nox-a1-120s.edf"))
    row = [r for r in window.viewer.rows if r.label == "C3-M2"][0]
    assert row.unit == "V" and row.display_unit == "µV"
    # the scale follows the signal's robust amplitude, printed in engineering units
    assert row.scale_text().endswith(" µV/row") and "e-" not in row.scale_text()
    assert 30e-6 < row.scale < 300e-6
    assert row.scale_text() == f"{row.scale * 1e6:.3g} µV/row"


def test_a_page_flip_paints_the_trace_area_once(scored, qtbot):
    """pyqtgraph applies a new view range at the start of the next paint, and the items it
    moves then ask for a second full repaint; the view applies it at once instead."""
    from PySide6.QtCore import QEvent, QObject
    from PySide6.QtWidgets import QApplication

    from tests.gui.conftest import wait_pyramids

    class PaintCounter(QObject):
        n = 0

        def eventFilter(self, obj, ev):  # noqa: N802 — Qt's name
            if ev.type() == QEvent.Type.Paint:
                self.n += 1
            return False

    w = scored
    wait_pyramids(qtbot, w)
    vp = w.viewer.signal_view.plot.viewport()
    counter = PaintCounter()
    vp.installEventFilter(counter)
    QApplication.processEvents()
    counter.n = 0
    for _ in range(10):
        w.viewer.next_page()
        QApplication.processEvents()
    vp.removeEventFilter(counter)
    assert 10 <= counter.n <= 11  # was 20: two paints per flip


def test_traces_land_where_the_view_maps_them(scored, qtbot):
    """The trace layer maps data with its own page transform (gui/viewer/trace_layer.py),
    pyqtgraph's view box maps the grid, the epoch cursor and the events: the two agree to
    a millionth of a pixel on every page and window."""
    from PySide6.QtCore import QPointF

    w = scored
    sv = w.viewer.signal_view
    for step in ("page", "page", "zoom", "page"):
        if step == "zoom":
            w.viewer.zoom(finer=False)
        else:
            w.viewer.next_page()
        QApplication.processEvents()
        start, width, n = sv.layer.page
        assert (start, width, n) == (w.viewer.start_s, w.viewer.effective_window(), len(sv.rows))
        mine = sv.layer.world_for(sv.plot, start, width, n)
        theirs = sv.layer.deviceTransform(sv.plot.viewportTransform())
        for x, y in ((start, 0.0), (start + width, n), (start + width / 3, n / 2 + 0.25)):
            a, b = mine.map(QPointF(x, y)), theirs.map(QPointF(x, y))
            assert abs(a.x() - b.x()) < 1e-6 and abs(a.y() - b.y()) < 1e-6


def test_first_whole_night_view_is_ready_once_the_pyramids_are(window, night_edf, qtbot, monkeypatch):
    """Once the pyramids are built, the whole night's traces and its rows' envelope
    scales are made in idle time: the first whole-night view reads and scales nothing,
    even after more flips than the pages' cache holds."""
    import gui.viewer.signal_view as svm

    window.open_path(str(night_edf))
    v = window.viewer
    wait_pyramids(qtbot, window)
    qtbot.waitUntil(lambda: len(v._long_views) == 1, timeout=5000)
    for _ in range(60):  # 60 pages x 16 rows: past the source's 768-trace cache
        v.next_page()
    reads, scales = [], []
    real_page = v.source.page
    monkeypatch.setattr(v.source, "page", lambda *a, **k: reads.append(a) or real_page(*a, **k))
    real_scale = svm.envelope_scale
    monkeypatch.setattr(svm, "envelope_scale", lambda *a, **k: scales.append(1) or real_scale(*a, **k))
    v.set_window(math.inf)
    assert v.start_s == 0.0 and v.effective_window() == v.study.duration_s
    assert reads == [] and scales == []
    assert any(r.scale != r0.scale for r, r0 in zip(v.signal_view.rows, v.visible_rows()))  # scaled rows
    # a filter change is another view: read anew
    v.set_notch(50.0)
    assert len(reads) == 1
