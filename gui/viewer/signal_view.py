"""The trace area: one curve per visible channel, created once and updated with ``setData``
on every page, all painted by one ``TraceLayer`` (docs/architecture.md, speed rules: fixed
view range, no auto-range, pen width 1, no antialias, never more than ~2 points per pixel).
The next page is drawn ahead while the scorer reads (``prepare``); a flip to it copies that
image (gui/viewer/trace_layer.py)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor, QImage, QPen
from PySide6.QtWidgets import QGraphicsRectItem, QHBoxLayout, QWidget

from engine.api import EPOCH_S
from gui.viewer.channel_labels import ChannelLabels
from gui.viewer.plot_setup import GestureViewBox, make_static
from gui.viewer.time_axis import ClockAxis
from gui.viewer.trace_layer import PreparedPage, TraceLayer, same_traces

# idle work after a page runs once the trace area has painted it (the next turn of the
# event loop: the paint has been handed to the display server by then), or after this
# long when it does not paint (a hidden window)
PREPARE_FALLBACK_MS = 100

# windows longer than this draw each AC channel's min/max envelope scaled to its row (the
# label shows that scale): a readable outline of the night, not a clipped wall of colour
ENVELOPE_WINDOW_S = 900.0
ENVELOPE_KINDS = ("eeg", "eog", "emg", "ecg", "flow", "resp", "snore", "other")
KIND_COLOURS = {
    "eeg": (20, 20, 90), "eog": (0, 90, 140), "emg": (120, 40, 40), "ecg": (150, 0, 0),
    "flow": (0, 110, 60), "resp": (0, 110, 60), "snore": (100, 80, 0), "spo2": (170, 0, 120),
    "capno": (90, 60, 0), "other": (70, 70, 70), "leg": (140, 60, 20), "cpap": (0, 90, 110),
    "pulse": (170, 40, 80), "position": (60, 60, 60), "event": (120, 120, 120),
}


def envelope_scale(y: np.ndarray, center: float, fill: float = 0.45) -> float | None:
    """Units per row so that the 99th percentile of the envelope reaches ``fill`` of a
    row from its centre, rounded up to 1-2-5; None when there is nothing to scale."""
    a = np.abs(np.asarray(y, float) - center)
    a = a[np.isfinite(a)]
    if a.size == 0:
        return None
    p = float(np.percentile(a, 99))
    if not p > 0:
        return None
    raw = p / fill  # a row spans +-0.5, i.e. ``scale`` units top to bottom
    mag = 10.0 ** np.floor(np.log10(raw))
    return float(next(m * mag for m in (1, 2, 5, 10) if m * mag >= raw))


class SignalView(QWidget):
    """Draws ``rows`` (visible ChannelDisplay, top to bottom) for [start_s, start_s+window_s)."""

    row_clicked = Signal(int)
    row_context = Signal(int, object)
    plot_clicked = Signal(float, int, object)  # time_s, row (-1 none), Qt button
    wheel_pages = Signal(int)  # +1 forward / -1 back

    def __init__(self, parent=None):
        super().__init__(parent)
        self.labels = ChannelLabels(self)
        self.axis = ClockAxis(orientation="bottom")
        self.plot = pg.PlotWidget(axisItems={"bottom": self.axis}, background="w",
                                  viewBox=GestureViewBox(enableMenu=False))
        pi = self.plot.getPlotItem()
        self.vb = make_static(pi)
        self.vb.setDefaultPadding(0.0)
        self.vb.claim("wheeled", self._wheel)  # page with the wheel instead of zooming
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(0)
        lay.addWidget(self.labels)
        lay.addWidget(self.plot, 1)
        # the page's curves: painted by ``layer``, not scene items of their own; ``_spare``
        # is the pool the next page is prepared in (the two swap on a flip to it)
        self.items: list[pg.PlotCurveItem] = []
        self._spare: list[pg.PlotCurveItem] = []
        self.layer = TraceLayer(self.vb)
        self.layer.painted = self._layer_painted
        self.vb.addItem(self.layer, ignoreBounds=True)
        self._prepared: PreparedPage | None = None
        self._free_image: QImage | None = None  # a shown page's image, reused for the next
        self._after_paint = None  # what runs once the trace area has painted its page
        self._after_painted = False  # ... and it has
        self._after_timer = QTimer(self)
        self._after_timer.setSingleShot(True)
        self._after_timer.timeout.connect(self._run_after_paint)
        self._bands: list[tuple] = []  # pool of (low curve, high curve, fill)
        self.grid = pg.PlotCurveItem(pen=pg.mkPen((200, 200, 200), width=1), connect="pairs")
        self.grid.setZValue(-10)
        self.sep = pg.PlotCurveItem(pen=pg.mkPen((235, 235, 235), width=1), connect="pairs")
        self.sep.setZValue(-11)
        self._grid_key: tuple | None = None  # the grid's page-relative layout (_draw_grid)
        # a plain rectangle in view coordinates: pyqtgraph's LinearRegionItem re-derives its
        # bounds from the view on every paint and, the x range having moved on each page,
        # asks for a second repaint of the whole trace area per flip
        self.cursor = QGraphicsRectItem()
        self.cursor.setPen(QPen(Qt.PenStyle.NoPen))
        self.cursor.setBrush(QBrush(QColor(255, 200, 0, 35)))
        self.cursor.setVisible(False)
        self.cursor.setZValue(-12)
        pi.addItem(self.grid)
        pi.addItem(self.sep)
        pi.addItem(self.cursor, ignoreBounds=True)
        self.rows: list = []
        self.selected: int | None = None
        self.start_s = 0.0
        self.window_s = 30.0
        self.n_drawn_points = 0
        self.clip_rows = True  # each trace kept inside its row
        self._envelope_rows: dict = {}  # long windows: (page, row) -> row with its envelope scale
        self.labels.clicked.connect(self.row_clicked)
        self.labels.context_requested.connect(self.row_context)
        self.plot.scene().sigMouseClicked.connect(self._scene_clicked)
        self.vb.sigResized.connect(self._sync_labels)

    # --- layout --------------------------------------------------------------------------
    def _sync_labels(self, *_):
        r = self.vb.sceneBoundingRect()
        top = self.plot.mapToParent(self.plot.mapFromScene(r.topLeft())).y() - self.labels.y()
        self.labels.set_geometry_of_plot(top, r.height())

    def plot_width_px(self) -> int:
        return max(100, int(self.vb.sceneBoundingRect().width()) or self.plot.width())

    @staticmethod
    def _ensure_items(pool: list, n: int) -> None:
        while len(pool) < n:
            # PlotCurveItem, not PlotDataItem: no symbols; not in the scene (the layer paints it)
            pool.append(pg.PlotCurveItem(pen=pg.mkPen((20, 20, 90), width=1), antialias=False))
        for i, it in enumerate(pool):
            it.setVisible(i < n)

    # --- drawing -------------------------------------------------------------------------
    def envelope_rows(self, traces, rows, start_s: float, window_s: float) -> list:
        """The rows as drawn: past ``ENVELOPE_WINDOW_S``, AC rows scaled to their envelope."""
        rows = list(rows)
        if window_s > ENVELOPE_WINDOW_S:
            for r, ((_x, y), row) in enumerate(zip(traces, rows)):
                if row.kind not in ENVELOPE_KINDS or row.sig < 0:
                    continue
                key = (start_s, window_s, len(y), row)  # same page, same row: same scale (redraws)
                if key not in self._envelope_rows:
                    sc = envelope_scale(y, row.center)
                    if len(self._envelope_rows) > 256:
                        self._envelope_rows.clear()
                    self._envelope_rows[key] = row if sc is None else replace(row, scale=sc)
                rows[r] = self._envelope_rows[key]
        return rows

    def _fill(self, pool: list, traces, rows) -> None:
        """Each row's trace into its curve of ``pool``: row-centred, scaled, clipped."""
        n = len(rows)
        self._ensure_items(pool, n)
        for r, ((x, y), row) in enumerate(zip(traces, rows)):
            yc = n - r - 0.5
            k = (-1.0 if row.inverted else 1.0) / row.scale
            yd = yc + (y - row.center) * k
            if self.clip_rows and len(yd):
                yd = np.clip(yd, yc - 0.5, yc + 0.5)
            has_nan = bool(np.isnan(yd).any()) if len(yd) else False
            item = pool[r]
            colour = getattr(row, "colour", None) or KIND_COLOURS.get(row.kind, (50, 50, 50))
            ghost = row.sig < 0
            if getattr(item, "_colour", None) != (colour, ghost):
                pen = pg.mkPen(colour, width=1)
                if ghost:  # reconstructed: a grey dashed "ghost" of the channel colour
                    pen = pg.mkPen((150, 150, 150), width=1, style=Qt.PenStyle.DashLine)
                item.setPen(pen)
                item._colour = (colour, ghost)
            item.setData(x, yd, connect="finite" if has_nan else "all", skipFiniteCheck=not has_nan)

    def show_page(self, traces, rows, start_s: float, window_s: float, selected: int | None,
                  bands=()) -> None:
        """``traces``: per row (x_s, y physical). Draws them in the fixed view range.
        ``bands``: (row, x_s, low, high) uncertainty bands drawn under a row's trace."""
        rows = self.envelope_rows(traces, rows, start_s, window_s)
        self.rows, self.start_s, self.window_s, self.selected = rows, start_s, window_s, selected
        n = len(rows)
        prep, self._prepared = self._prepared, None
        image = world = None
        if prep is not None and prep.key == (start_s, window_s, rows, self.clip_rows) \
                and same_traces(prep.traces, traces):
            # the page drawn ahead: its curves (their data already set) and its image
            self._spare, self.items = self.items, prep.items
            image, world = prep.image, prep.world
            self._recycle(self.layer.image)
        else:
            self._fill(self.items, traces, rows)
            self._recycle(self.layer.image if prep is None else prep.image)
        self.n_drawn_points = sum(len(x) for x, _y in traces)
        self._draw_bands(bands, rows)
        t1 = start_s + window_s
        self.vb.setRange(xRange=(start_s, t1), yRange=(0, max(n, 1)), padding=0.0)
        # apply the new range now: pyqtgraph defers it to the start of the next paint, where
        # the items it moves ask for a second full repaint of the trace area (2 paints/flip)
        self.vb.updateMatrix()
        self.layer.set_page(self.items, n, start_s, window_s, image, world)
        self._draw_grid(start_s, t1, n)
        if rows != self.labels.rows or selected != self.labels.selected:
            self.labels.set_rows(rows, selected)
            self._sync_labels()

    # --- the next page, drawn ahead ------------------------------------------------------
    def prepare(self, traces, rows, start_s: float, window_s: float) -> bool:
        """Draw the page ``show_page`` would draw for these arguments into an image, now
        (idle time); ``show_page`` with the same page, rows and data then copies it.
        False when it cannot be prepared: long windows; traces not clipped to their rows,
        whose lines Qt clips at the paint device's edge (the window's on screen, the
        image's here: not the same pixels); high-DPI screens."""
        if self._prepared is not None:
            self._recycle(self._prepared.image)
            self._prepared = None
        if window_s > ENVELOPE_WINDOW_S or not self.clip_rows:
            return False
        rows = list(rows)
        n = len(rows)
        self._fill(self._spare, traces, rows)
        made = self.layer.render(self.plot, self._spare, n, start_s, window_s,
                                 reuse=self._free_image)
        if made is None:
            return False
        image, world = made
        if image is self._free_image:
            self._free_image = None
        self._prepared = PreparedPage(key=(start_s, window_s, rows, self.clip_rows),
                                      traces=list(traces), items=self._spare, image=image,
                                      world=world)
        return True

    def _recycle(self, image: QImage | None) -> None:
        """Keep an image no longer shown nor prepared, to draw the next page into."""
        if image is not None:
            self._free_image = image

    def drop_prepared(self) -> None:
        """Forget the page drawn ahead and the spare image (a study closed)."""
        self._prepared = None
        self._free_image = None
        self._after_paint = None
        self._after_timer.stop()

    def call_after_paint(self, fn) -> None:
        """Run ``fn`` once, as soon as the trace area has painted the page shown (or after
        ``PREPARE_FALLBACK_MS`` when it does not paint): idle work must not come before
        the page the scorer asked for."""
        self._after_paint = fn
        self._after_painted = False
        self._after_timer.start(PREPARE_FALLBACK_MS)

    def _layer_painted(self) -> None:
        if self._after_paint is not None and not self._after_painted:
            self._after_painted = True  # later paints (overlays) do not put it off again
            self._after_timer.start(0)

    def _run_after_paint(self) -> None:
        fn, self._after_paint = self._after_paint, None
        if fn is not None:
            fn()

    def _draw_bands(self, bands, rows) -> None:
        pi = self.plot.getPlotItem()
        n = len(rows)
        while len(self._bands) < len(bands):
            lo, hi = pg.PlotCurveItem(pen=None), pg.PlotCurveItem(pen=None)
            fill = pg.FillBetweenItem(lo, hi, brush=(120, 120, 120, 60))
            fill.setZValue(-5)
            pi.addItem(fill)
            self._bands.append((lo, hi, fill))
        for k, (lo_c, hi_c, fill) in enumerate(self._bands):
            if k < len(bands):
                r, x, lo, hi = bands[k]
                row = rows[r]
                yc = n - r - 0.5
                kk = (-1.0 if row.inverted else 1.0) / row.scale
                lo_c.setData(x, yc + (np.asarray(lo) - row.center) * kk)
                hi_c.setData(x, yc + (np.asarray(hi) - row.center) * kk)
                fill.setVisible(True)
            else:
                fill.setVisible(False)

    def show_cursor_epoch(self, onset_s: float, epoch_s: float) -> None:
        """Shade the epoch staging keys act on, when the window shows more than one."""
        show = self.window_s > epoch_s + 1e-6
        self.cursor.setVisible(show)
        if show:
            self.cursor.setRect(QRectF(onset_s, 0.0, epoch_s, max(len(self.rows), 1)))

    def _draw_grid(self, t0: float, t1: float, n: int) -> None:
        """Epoch (or second) lines and row separators, in page-relative x: moving to another
        page of the same layout only moves the two items (``setPos``), without new data,
        paths or bounds (each ``setData`` costs pyqtgraph both)."""
        step = EPOCH_S if (t1 - t0) / EPOCH_S <= 60 else None
        if step is None:
            lines = np.zeros(0)
        else:
            lines = np.arange(np.ceil(t0 / step) * step, t1 + 1e-9, step)
            if (t1 - t0) <= 30.0:  # one epoch on screen: also mark seconds lightly
                lines = np.arange(np.ceil(t0), t1 + 1e-9, 1.0 if t1 - t0 <= 10 else 5.0)
        rel = lines - t0
        key = (n, round(t1 - t0, 9), tuple(np.round(rel, 9)))
        if key != self._grid_key:
            self._grid_key = key
            if len(rel):
                self.grid.setData(np.repeat(rel, 2), np.tile([0.0, float(n)], len(rel)), connect="pairs")
            else:
                self.grid.setData(np.zeros(0), np.zeros(0))
            ys = np.repeat(np.arange(1, n, dtype=float), 2)
            xs = np.tile([0.0, t1 - t0], max(n - 1, 0))
            self.sep.setData(xs.astype(float), ys, connect="pairs")
        self.grid.setPos(t0, 0.0)
        self.sep.setPos(t0, 0.0)

    # --- input ---------------------------------------------------------------------------
    def row_at_y(self, y_view: float) -> int:
        n = len(self.rows)
        r = int(n - y_view)
        return r if 0 <= r < n else -1

    def _scene_clicked(self, ev):
        pos = ev.scenePos()
        if not self.vb.sceneBoundingRect().contains(pos):
            return
        p = self.vb.mapSceneToView(pos)
        self.plot_clicked.emit(float(p.x()), self.row_at_y(p.y()), ev.button())

    def _wheel(self, ev, axis=None):
        delta = ev.delta() if hasattr(ev, "delta") else ev.angleDelta().y()
        self.wheel_pages.emit(-1 if delta > 0 else 1)
        ev.accept()

    def keyPressEvent(self, ev):  # noqa: N802 — keys are handled by the window's actions
        ev.ignore()


