"""Hypnogram panel: one coloured block per scored epoch at its stage's level, unscored
epochs on their own "?" row (never drawn as Wake), the current window marked; click to
jump; the mouse wheel zooms around the current epoch (an 8-h night gives ~2 px per
epoch otherwise). Model suggestions draw as translucent blocks on the same levels."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Signal

from engine.api import EPOCH_S, Stage
from gui.viewer.plot_setup import GestureViewBox, make_static
from gui.viewer.render_cache import cache_axes, cache_static
from gui.viewer.time_axis import ClockAxis

# level of each stage on the y axis (top to bottom: W, R, N1, N2, N3, then unscored)
LEVEL = {Stage.W: 5, Stage.R: 4, Stage.N1: 3, Stage.N2: 2, Stage.N3: 1, Stage.UNSCORED: 0}
STAGE_COLOURS = {
    Stage.W: (240, 200, 40), Stage.R: (220, 70, 70), Stage.N1: (130, 200, 230),
    Stage.N2: (60, 120, 200), Stage.N3: (30, 40, 130), Stage.UNSCORED: (190, 190, 190),
}
_BRUSHES = {int(s): pg.mkBrush(c) for s, c in STAGE_COLOURS.items()}
_SUGGESTION_BRUSHES = {int(s): pg.mkBrush(*c, 80) for s, c in STAGE_COLOURS.items()}
ZOOM_STEP = 0.7  # one wheel notch shows 70 % of the span
MIN_SPAN_S = 20 * EPOCH_S
LEVEL_TICKS = [[(5, "W"), (4, "R"), (3, "N1"), (2, "N2"), (1, "N3"), (0, "?")]]


def _swatch(rgb, alpha=255, dashed=False) -> str:
    border = "1px dashed #555" if dashed else "none"
    return (f"<span style='background-color:rgba({rgb[0]},{rgb[1]},{rgb[2]},{alpha});"
            f"border:{border}'>&nbsp;&nbsp;&nbsp;</span>")


# what every overlay means, under the hypnogram
LEGEND_HTML = (
    "Stages: " + " ".join(f"{_swatch(STAGE_COLOURS[s])} {s.short if int(s) >= 0 else '? unscored'}"
                          for s in (Stage.W, Stage.R, Stage.N1, Stage.N2, Stage.N3, Stage.UNSCORED))
    + " &nbsp;·&nbsp; pale block: the model's suggested stage, pending your review"
    + " &nbsp;·&nbsp; <span style='color:#d00'>▮</span> red mark: unusual epoch (outlier score ≥ 0.99)"
    + " &nbsp;·&nbsp; hypnodensity strip: the model's five stage probabilities, same colours"
    + " &nbsp;·&nbsp; on the traces, dashed box: event suggested by the model (A accepts, X rejects);"
    " solid box: scored · wheel zooms the hypnogram"
)


def stage_levels(stages: np.ndarray) -> np.ndarray:
    lut = np.zeros(6, float)
    for st, lv in LEVEL.items():
        lut[int(st) + 1] = lv
    return lut[np.asarray(stages, int) + 1]


class HypnogramPanel(pg.PlotWidget):
    jump_requested = Signal(float)  # time_s

    def __init__(self, parent=None):
        self.axis = ClockAxis(orientation="bottom")
        super().__init__(parent, axisItems={"bottom": self.axis}, background="w",
                         viewBox=GestureViewBox(enableMenu=False))
        self.setMinimumHeight(110)
        self.setMaximumHeight(180)
        pi = self.getPlotItem()
        left = pi.getAxis("left")
        left.setTicks(LEVEL_TICKS)
        left.setWidth(34)
        self.left = left
        self.vb = make_static(pi, hide_left=False)
        self.blocks = pg.BarGraphItem(x0=[], width=[], y0=[], height=[])
        self.line = pg.PlotCurveItem(pen=pg.mkPen((40, 40, 40), width=1))
        self.suggested = pg.BarGraphItem(x0=[], width=[], y0=[], height=[])
        self.window = pg.LinearRegionItem(movable=False, brush=(255, 170, 0, 70),
                                          pen=pg.mkPen((230, 120, 0), width=1))
        self.cursor = pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen((230, 90, 0), width=2))
        self.outliers = pg.BarGraphItem(x0=[], width=[], y0=[], height=[], brush=(220, 0, 0), pen=None)
        self.outliers.setToolTip("Red marks: epochs the model finds unusual (outlier score ≥ 0.99 against "
                                 "its reference nights) — worth a look")
        self.suggested.setToolTip("Pale blocks: the model's suggested stage, pending your review "
                                  "(A or Enter accepts, X rejects)")
        self.setToolTip("Hypnogram: your stages (solid), the model's pending suggestions (pale), "
                        "unusual epochs (red marks). Click to jump; the wheel zooms around the current epoch.")
        for it in (self.suggested, self.blocks, self.line, self.outliers, self.window, self.cursor):
            pi.addItem(it)
        cache_static(self.suggested, self.blocks, self.line, self.outliers)  # a page flip moves only the marks
        cache_axes(pi)
        self.duration_s = 1.0
        self.span_s: float | None = None  # zoomed span; None = the whole night
        self.active = True  # a study is open
        self.cursor_s = 0.0
        self.scene().sigMouseClicked.connect(self._clicked)
        self.vb.claim("dragged", self._drag)
        self.vb.claim("wheeled", self._wheel)

    def set_active(self, on: bool) -> None:
        """Without a study: an empty panel (no stage labels, no window marks)."""
        self.active = bool(on)
        self.left.setTicks(LEVEL_TICKS if on else [[]])
        self.window.setVisible(on)
        self.cursor.setVisible(on)
        if not on:
            self.span_s = None
            self.set_outliers([])
            self.set_suggestions(np.zeros(0, int), np.zeros(0, bool))

    def set_duration(self, duration_s: float, start) -> None:
        self.duration_s = max(duration_s, 1.0)
        self.axis.start = start
        self.span_s = None
        self.vb.setRange(xRange=(0, self.duration_s), yRange=(-0.6, 5.6), padding=0.0)

    def _apply_zoom(self) -> None:
        if self.span_s is None or self.span_s >= self.duration_s:
            self.span_s = None
            x0, x1 = 0.0, self.duration_s
        else:
            x0 = min(max(self.cursor_s - self.span_s / 2, 0.0), self.duration_s - self.span_s)
            x1 = x0 + self.span_s
        self.vb.setRange(xRange=(x0, x1), yRange=(-0.6, 5.6), padding=0.0)

    def zoom(self, notches: float) -> None:
        """Zoom in (notches > 0) or out around the current epoch."""
        span = self.span_s if self.span_s is not None else self.duration_s
        span *= ZOOM_STEP ** notches
        self.span_s = max(min(span, self.duration_s), min(MIN_SPAN_S, self.duration_s))
        self._apply_zoom()

    def _wheel(self, ev, axis=None):
        ev.accept()
        d = ev.delta() if hasattr(ev, "delta") else ev.angleDelta().y()
        if d:
            self.zoom(d / 120.0)

    def set_stages(self, stages: np.ndarray) -> None:
        """Redraw the human/decided layer (stages: int per epoch, -1 unscored)."""
        stages = np.asarray(stages, int)
        n = len(stages)
        x0 = np.arange(n) * EPOCH_S
        lv = stage_levels(stages)
        brushes = [_BRUSHES[int(s)] for s in stages]
        self.blocks.setOpts(x0=x0, width=np.full(n, EPOCH_S), y0=lv - 0.35, height=np.full(n, 0.7),
                            brushes=brushes, pen=None)
        # connecting line through scored epochs only (gaps at unscored ones)
        scored = stages >= 0
        xs = np.repeat(x0, 2)
        xs[1::2] += EPOCH_S
        ys = np.repeat(np.where(scored, lv, np.nan), 2)
        self.line.setData(xs, ys, connect="finite")

    def set_suggestions(self, suggested: np.ndarray, pending: np.ndarray) -> None:
        """Outlined blocks where the model suggests a stage still pending review."""
        idx = np.flatnonzero(pending & (np.asarray(suggested) >= 0))
        sugg = np.asarray(suggested)[idx]
        lv = stage_levels(sugg)
        # translucent fill in the stage colour: visibly "proposed", not decided
        brushes = [_SUGGESTION_BRUSHES[int(s)] for s in sugg]
        self.suggested.setOpts(x0=idx * EPOCH_S, width=np.full(len(idx), EPOCH_S), y0=lv - 0.45,
                               height=np.full(len(idx), 0.9), brushes=brushes, pen=None)

    def set_outliers(self, epochs) -> None:
        """Red ticks above the W row for epochs the model finds unusual."""
        e = np.asarray(epochs, float)
        self.outliers.setOpts(x0=e * EPOCH_S, width=np.full(len(e), EPOCH_S), y0=np.full(len(e), 5.45),
                              height=np.full(len(e), 0.15), brush=(220, 0, 0), pen=None)

    def set_window(self, start_s: float, stop_s: float, cursor_s: float | None = None) -> None:
        self.window.setRegion((start_s, stop_s))
        # a band over most of the night hides the stages: then the cursor line alone marks the place
        self.window.setVisible(self.active and stop_s - start_s < 0.5 * self.duration_s)
        self.cursor_s = (cursor_s if cursor_s is not None else start_s) + EPOCH_S / 2
        self.cursor.setPos(cursor_s if cursor_s is not None else start_s)
        if self.span_s is not None:
            self._apply_zoom()

    def _time_at(self, scene_pos) -> float:
        return float(np.clip(self.vb.mapSceneToView(scene_pos).x(), 0, self.duration_s))

    def _clicked(self, ev):
        if self.vb.sceneBoundingRect().contains(ev.scenePos()):
            self.jump_requested.emit(self._time_at(ev.scenePos()))
            ev.accept()

    def _drag(self, ev, axis=None):
        ev.accept()
        self.jump_requested.emit(self._time_at(ev.scenePos()))
