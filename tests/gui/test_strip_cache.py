"""The overview's and hypnogram's axes are cached (gui/viewer/render_cache.py): a flip
moves only the window marks, and a zoom must still redraw the axis."""

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGraphicsItem


def _axis_pixels(panel, axis) -> np.ndarray:
    """The axis's labels: its area below the plot's view (where the window marks are not)."""
    panel.repaint()
    img = panel.grab().toImage()
    r = panel.mapFromScene(axis.sceneBoundingRect()).boundingRect().intersected(img.rect())
    below = panel.mapFromScene(panel.getPlotItem().getViewBox().sceneBoundingRect()).boundingRect().bottom() + 3
    r.setTop(max(r.top(), below))
    assert r.height() > 5 and r.width() > 100
    sub = img.copy(r).convertToFormat(img.Format.Format_RGB32)
    return np.frombuffer(sub.constBits(), np.uint32, sub.width() * sub.height()).copy()


def test_strip_axes_are_cached_and_a_zoom_redraws_them(window, night_edf, qtbot):
    window.open_path(str(night_edf))
    hyp = window.scoring.hypnogram
    ov = window.viewer.overview
    cached = QGraphicsItem.CacheMode.DeviceCoordinateCache
    assert hyp.getPlotItem().getAxis("bottom").cacheMode() == cached
    assert hyp.getPlotItem().getAxis("left").cacheMode() == cached
    assert ov.getPlotItem().getAxis("bottom").cacheMode() == cached
    axis = hyp.getPlotItem().getAxis("bottom")
    before = _axis_pixels(hyp, axis)
    for _ in range(3):  # a flip leaves the hypnogram's axis as it was
        qtbot.keyClick(window, Qt.Key.Key_PageDown)
    assert np.array_equal(_axis_pixels(hyp, axis), before)
    hyp.zoom(4)  # the hypnogram zoomed in around the epoch: other times under the axis
    after = _axis_pixels(hyp, axis)
    assert not np.array_equal(after, before)
    hyp.zoom(-4)  # and back out: the first drawing again
    assert np.array_equal(_axis_pixels(hyp, axis), before)
