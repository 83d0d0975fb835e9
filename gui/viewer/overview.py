"""Whole-night strip under the traces: an activity envelope of one channel, the
current window marked; click or drag on it to jump."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Signal

from gui.viewer.plot_setup import GestureViewBox, make_static
from gui.viewer.render_cache import cache_axes, cache_static
from gui.viewer.time_axis import ClockAxis


class OverviewStrip(pg.PlotWidget):
    jump_requested = Signal(float)  # time_s to centre on

    def __init__(self, parent=None):
        self.axis = ClockAxis(orientation="bottom")
        super().__init__(parent, axisItems={"bottom": self.axis}, background=(245, 245, 245),
                         viewBox=GestureViewBox(enableMenu=False))
        self.setFixedHeight(78)
        pi = self.getPlotItem()
        self.vb = make_static(pi)
        self.activity = pg.PlotDataItem(pen=pg.mkPen((110, 110, 140), width=1))
        self.window = pg.LinearRegionItem(movable=False, brush=(255, 170, 0, 90),
                                          pen=pg.mkPen((230, 120, 0), width=1))
        self.marks = pg.ScatterPlotItem(size=7, symbol="t", brush=(220, 0, 0), pen=None)
        pi.addItem(self.activity)
        pi.addItem(self.marks)
        pi.addItem(self.window)
        cache_static(self.activity, self.marks)  # a page flip moves only the window marker
        cache_axes(pi)
        self.duration_s = 1.0
        self.scene().sigMouseClicked.connect(self._clicked)
        self.vb.claim("dragged", self._drag)

    def set_duration(self, duration_s: float) -> None:
        self.duration_s = max(duration_s, 1.0)
        self.vb.setRange(xRange=(0, self.duration_s), yRange=(0, 1), padding=0.0)

    def set_activity(self, x_s: np.ndarray, level: np.ndarray) -> None:
        """Plot a per-bin activity level normalised to [0.05, 0.95]."""
        if len(level) == 0:
            self.activity.setData([], [])
            return
        lv = np.asarray(level, float)
        finite = np.isfinite(lv)
        if finite.any():
            lo, hi = np.percentile(lv[finite], [2, 98])
            lv = np.clip((lv - lo) / max(hi - lo, 1e-12), 0, 1) * 0.9 + 0.05
        self.activity.setData(x_s, np.nan_to_num(lv, nan=0.05))

    def set_marks(self, times_s) -> None:
        """Red markers (e.g. outlier epochs) along the top of the strip."""
        t = np.asarray(times_s, float)
        self.marks.setData(t, np.full(len(t), 0.93))

    def set_window(self, start_s: float, stop_s: float) -> None:
        self.window.setRegion((start_s, stop_s))

    def time_at_scene(self, scene_pos) -> float:
        return float(np.clip(self.vb.mapSceneToView(scene_pos).x(), 0, self.duration_s))

    def _clicked(self, ev):
        if self.vb.sceneBoundingRect().contains(ev.scenePos()):
            self.jump_requested.emit(self.time_at_scene(ev.scenePos()))
            ev.accept()

    def _drag(self, ev, axis=None):
        ev.accept()
        self.jump_requested.emit(self.time_at_scene(ev.scenePos()))
