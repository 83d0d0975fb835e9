"""The next page drawn ahead (gui/viewer/trace_layer.py): a flip to it copies an image
made while the scorer read the page before. What the scorer sees must be the live
drawing to the pixel, on real files and with reconstructed (ghost) rows; anything that
changes the page (gain, rows, clipping, data, size) draws it live instead."""

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication

from tests.gui.test_assistant import model_path, night_missing_spo2, wait_done  # noqa: F401  (fixtures)


def _settle(qtbot, sv):
    """Events until the page has been painted and the next one prepared (or given up)."""
    qtbot.waitUntil(lambda: sv._after_paint is None, timeout=5000)
    QApplication.processEvents()


def _pixels(sv) -> np.ndarray:
    """The trace area as the window paints it: the whole window rendered (the viewport at
    its offset in the window, as on screen), cropped to the viewport."""
    win = sv.window()
    img = win.grab().toImage().convertToFormat(QImage.Format.Format_ARGB32)
    a = np.frombuffer(img.constBits(), np.uint8, img.sizeInBytes()).reshape(img.height(), img.bytesPerLine() // 4, 4)
    vp = sv.plot.viewport()
    o = vp.mapTo(win, QPoint(0, 0))
    return a[o.y():o.y() + vp.height(), o.x():o.x() + vp.width()].copy()


def _live_pixels(sv) -> np.ndarray:
    """The same page drawn live: the layer without its image."""
    layer = sv.layer
    image, world = layer.image, layer.image_world
    layer.image = layer.image_world = None
    try:
        return _pixels(sv)
    finally:
        layer.image, layer.image_world = image, world


def _flip_compare(window, qtbot, n_flips: int = 4):
    sv = window.viewer.signal_view
    _settle(qtbot, sv)
    for _ in range(n_flips):
        assert sv._prepared is not None, "the next page was not prepared"
        copies = sv.layer.copies
        qtbot.keyClick(window, Qt.Key.Key_PageDown)
        shown = _pixels(sv)
        assert sv.layer.copies > copies, "the flip did not use the prepared page"
        assert sv.layer.image is not None
        live = _live_pixels(sv)
        diff = np.argwhere(shown != live)
        assert diff.size == 0, f"{len(diff)} bytes differ from the live drawing, first at {diff[:3]}"
        # and the traces are there: the area is not blank
        assert (live != live[0, 0]).any()
        _settle(qtbot, sv)


@pytest.mark.parametrize("rel", ["dreams-dev/excerpt3.edf", "nox/nox-a1-120s.edf"])
def test_prepared_page_is_the_live_page_on_real_files(window, shared_data, qtbot, rel):
    assert window.open_path(str(shared_data / rel)), window.last_error
    if rel.startswith("nox"):
        window.viewer.set_window(10.0)  # a 120-s file: 10-s pages, several of them
    _flip_compare(window, qtbot)


def test_prepared_page_with_gains_and_no_page_ahead_without_clipping(window, shared_data, qtbot):
    assert window.open_path(str(shared_data / "dreams-dev/excerpt3.edf")), window.last_error
    v, sv = window.viewer, window.viewer.signal_view
    for _ in range(3):  # traces three steps larger: clipped to their rows more often
        v.change_gain(True, all_rows=True)
    _flip_compare(window, qtbot, 3)
    # unclipped traces overrun the view box, and Qt's line clipping at the paint device's
    # edge (the window's, or an image's) would move their pixels: such pages are drawn live
    v.set_clip(False)
    _settle(qtbot, sv)
    assert sv._prepared is None
    draws = sv.layer.draws
    qtbot.keyClick(window, Qt.Key.Key_PageDown)
    _pixels(sv)
    assert sv.layer.image is None and sv.layer.draws > draws


@pytest.mark.assistant
def test_prepared_page_with_reconstructed_rows(window, model_path, night_missing_spo2, qtbot):  # noqa: F811
    """A generated night whose SpO2 is flat: the model's reconstruction is a dashed grey
    row with its band; its data arrive while pages are shown."""
    w = window
    w.assistant.ctl.model_path = model_path
    assert w.open_path(str(night_missing_spo2)), w.last_error
    wait_done(qtbot, w)
    w.request_reconstruction(8)
    wait_done(qtbot, w)
    ghosts = [r for r in w.viewer.visible_rows() if r.sig < 0]
    assert ghosts
    # the ghost row has data on these pages
    row = w.viewer.visible_rows().index(ghosts[0])
    assert np.isfinite(w.viewer.signal_view.items[row].getData()[1]).any()
    _flip_compare(window, qtbot, 3)


def test_what_changes_the_page_draws_it_live(window, night_edf, qtbot):
    window.open_path(str(night_edf))
    v, sv = window.viewer, window.viewer.signal_view
    _settle(qtbot, sv)
    qtbot.keyClick(window, Qt.Key.Key_PageDown)
    assert sv.layer.image is not None
    # gain: the prepared next page has the old scale, so the flip after it is drawn live
    _settle(qtbot, sv)
    v.change_gain(True, all_rows=True)
    assert sv.layer.image is None  # same page, new scale: drawn live
    _settle(qtbot, sv)
    assert sv._prepared is not None  # and the next page prepared again, at the new scale
    _, y_before = sv._prepared.items[0].getData()
    qtbot.keyClick(window, Qt.Key.Key_PageDown)
    assert sv.layer.image is not None
    _, y_now = sv.items[0].getData()
    assert np.array_equal(y_before, y_now)
    # data that changed after the page was prepared: drawn live from the new data
    _settle(qtbot, sv)
    sv._prepared.traces[0] = (sv._prepared.traces[0][0], sv._prepared.traces[0][1] + 1.0)
    qtbot.keyClick(window, Qt.Key.Key_PageDown)
    assert sv.layer.image is None
    # a resized window: the prepared image no longer fits; the page is drawn live
    _settle(qtbot, sv)
    qtbot.keyClick(window, Qt.Key.Key_PageDown)
    assert sv.layer.image is not None
    window.resize(1400, 800)
    QApplication.processEvents()
    draws = sv.layer.draws
    live = _pixels(sv)
    assert sv.layer.draws > draws
    assert (live != live[0, 0]).any()
    # the last page has no next page; going back is drawn live
    v.go_to(1e9)
    _settle(qtbot, sv)
    assert sv._prepared is None


def test_a_render_outside_the_view_draws_the_traces(window, shared_data, qtbot):
    """Rendering the scene onto another device (pyqtgraph's exporters, printing) has no
    view to copy into: the layer draws the traces with that painter's transform."""
    from PySide6.QtGui import QPainter

    assert window.open_path(str(shared_data / "dreams-dev/excerpt3.edf")), window.last_error
    sv = window.viewer.signal_view
    _settle(qtbot, sv)
    qtbot.keyClick(window, Qt.Key.Key_PageDown)
    live = _live_pixels(sv)
    vp = sv.plot.viewport()
    img = QImage(vp.size(), QImage.Format.Format_ARGB32)
    img.fill(Qt.GlobalColor.white)
    p = QPainter(img)
    draws = sv.layer.draws
    sv.plot.scene().render(p, img.rect().toRectF(), sv.plot.mapToScene(vp.rect()).boundingRect())
    p.end()
    assert sv.layer.draws > draws
    a = np.frombuffer(img.constBits(), np.uint8, img.sizeInBytes()).reshape(img.height(), img.bytesPerLine() // 4, 4)
    r = sv.vb.sceneBoundingRect().toAlignedRect()
    inside = (slice(r.top() + 1, r.bottom() - 1), slice(r.left() + 1, r.right() - 1))
    same = (a[inside] == live[inside]).all(axis=-1)
    assert same.mean() > 0.995, f"{(~same).sum()} pixels differ"
    assert (a[inside] != a[inside][0, 0]).any()


def test_the_next_page_is_drawn_after_this_one_is_painted(window, night_edf, qtbot):
    """Idle work waits for the page the scorer asked for: a flip is painted first, the
    next page read and drawn ahead after it, never the other way round."""
    window.open_path(str(night_edf))
    sv = window.viewer.signal_view
    _settle(qtbot, sv)
    order = []
    real_prepare, real_painted = sv.prepare, sv.layer.painted
    sv.prepare = lambda *a, **k: order.append("prepare") or real_prepare(*a, **k)

    def painted():
        order.append("paint")
        real_painted()

    sv.layer.painted = painted
    for _ in range(3):
        order.append("flip")
        qtbot.keyClick(window, Qt.Key.Key_PageDown)
        _settle(qtbot, sv)
    flips = [i for i, e in enumerate(order) if e == "flip"] + [len(order)]
    for a, b in zip(flips, flips[1:]):
        events = order[a + 1:b]
        assert events.count("prepare") == 1, order
        assert "paint" in events[:events.index("prepare")], order
