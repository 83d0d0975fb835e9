"""The trace area's clock axis keeps its layout across page flips (gui/viewer/time_axis.py):
what it draws must be what pyqtgraph would lay out afresh, on every page and zoom."""

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QPainter, QPicture

from tests.gui.conftest import wait_pyramids


def _specs(axis, fresh: bool):
    picture = QPicture()
    painter = QPainter(picture)
    try:
        if axis.style["tickFont"]:
            painter.setFont(axis.style["tickFont"])
        gen = pg.AxisItem.generateDrawSpecs if fresh else type(axis).generateDrawSpecs
        axis_spec, ticks, texts = gen(axis, painter)
    finally:
        painter.end()
    return ([(round(a.x(), 3), round(a.y(), 3), round(b.x(), 3), round(b.y(), 3)) for _, a, b in ticks],
            [(round(r.center().x(), 3), round(r.top(), 3), s) for r, _, s in texts])


def _drawn(window, qtbot):
    """The trace area painted now (the axis lays itself out in its paint)."""
    window.viewer.signal_view.plot.viewport().repaint()
    return window.viewer.signal_view.axis


def test_the_axis_reuses_its_layout_across_flips_with_pyqtgraph_s_ticks_and_new_times(window, night_edf, qtbot):
    window.open_path(str(night_edf))
    axis = _drawn(window, qtbot)
    made = axis.layouts_made
    seen = set()
    for _ in range(6):
        qtbot.keyClick(window, Qt.Key.Key_PageDown)
        _drawn(window, qtbot)
        ours, fresh = _specs(axis, fresh=False), _specs(axis, fresh=True)
        assert ours == fresh  # the same ticks, the same label places, this page's times
        assert ours[1], "the page has labelled ticks"
        seen.add(tuple(s for *_, s in ours[1]))
    assert len(seen) == 6  # each page its own times
    assert axis.layouts_made - made <= 1  # laid out once for the window, not per flip


def test_a_zoom_lays_the_axis_out_again_and_it_stays_right(window, night_edf, qtbot):
    window.open_path(str(night_edf))
    axis = _drawn(window, qtbot)
    before = axis.layouts_made
    qtbot.keyClick(window, Qt.Key.Key_Minus, Qt.KeyboardModifier.ControlModifier)  # 30 s -> 1 min
    _drawn(window, qtbot)
    assert window.viewer.effective_window() == 60.0
    assert axis.layouts_made > before
    for _ in range(3):
        qtbot.keyClick(window, Qt.Key.Key_PageDown)
        _drawn(window, qtbot)
        assert _specs(axis, fresh=False) == _specs(axis, fresh=True)
    window.viewer.go_to(95.0)  # a start between two minor ticks: another layout, still right
    _drawn(window, qtbot)
    assert _specs(axis, fresh=False) == _specs(axis, fresh=True)
    wait_pyramids(qtbot, window)


def test_a_flip_rewrites_no_axis_label(window, night_edf, qtbot, monkeypatch):
    """pyqtgraph's SI-prefix bookkeeping set every axis's label as HTML and re-measured it on
    each range change, hidden axes too; no axis of ours shows units (plot_setup.make_static)."""
    window.open_path(str(night_edf))
    _drawn(window, qtbot)
    rewrites = []
    monkeypatch.setattr(pg.AxisItem, "_updateLabel", lambda self: rewrites.append(self))
    for _ in range(5):
        qtbot.keyClick(window, Qt.Key.Key_PageDown)
        _drawn(window, qtbot)
    assert window.viewer.start_s == 150.0
    assert rewrites == []


def test_another_study_at_the_same_page_shows_its_own_clock(window, tmp_path, qtbot):
    """Opening a study whose first page spans the same seconds as the one before (every
    study starts at 0 s) keeps the axis's range: its labels must still be the new
    recording's clock, in the trace area, the overview and the hypnogram."""
    from tests.helpers.edf_factory import psg_signals, write_edf

    a, b = tmp_path / "a.edf", tmp_path / "b.edf"
    write_edf(a, psg_signals(128.0), n_records=600, starttime="22.00.00")
    write_edf(b, psg_signals(128.0), n_records=600, starttime="03.27.00")
    places = ((window.viewer.signal_view.axis, window.viewer.signal_view.plot.viewport()),
              (window.viewer.overview.axis, window.viewer.overview),
              (window.scoring.hypnogram.axis, window.scoring.hypnogram))
    for path, clock in ((a, "22:0"), (b, "03:2")):
        made = []  # the labels each axis laid out since the study opened
        for axis, _ in places:
            real = axis.tickStrings
            axis.tickStrings = lambda *args, real=real, out=made, axis=axis: out.append((axis, real(*args))) or out[-1][1]
        try:
            assert window.open_path(str(path)), window.last_error
            qtbot.wait(20)
            for _, widget in places:
                widget.repaint()
        finally:
            for axis, _ in places:
                del axis.tickStrings
        for axis, widget in places:
            texts = [t for ax, t in made if ax is axis]
            assert texts and texts[-1] and texts[-1][0].startswith(clock), (path.name, type(widget).__name__, texts[-1:])
