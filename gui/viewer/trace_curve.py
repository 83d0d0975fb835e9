"""A trace curve whose bounding box costs nothing per frame.

pyqtgraph's ``PlotCurveItem`` forgets its bounds whenever the view moves (every page
flip) and recomputes them from the data with ``nanmin``/``nanmax`` and the pixel
vectors, several times per repaint: ~40 % of the Python time of a 30-s flip on a
16-channel page. A trace's x is time, in order, and its data change only with
``setData``: its data bounds are computed once per ``setData`` (the ends of x, one
min/max of y) and kept when the view moves; only the pixel padding follows the view,
and the signal view hands every trace the padding of a page at once
(``set_pixel_size``: one ``viewPixelSize`` per flip instead of a ``pixelVectors`` per
trace, ~1–2 ms a flip on 16 rows).
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF


class TraceCurve(pg.PlotCurveItem):
    """``PlotCurveItem`` for time-ordered data (x ascending)."""

    def __init__(self, *args, **kwargs):
        self._data_bounds: tuple[float, float, float, float] | None = None
        self._rect: QRectF | None = None
        self._pixel: tuple[float, float] | None = None  # data units per pixel (x, y), when known
        super().__init__(*args, **kwargs)

    def updateData(self, *args, **kwargs):  # noqa: N802 — pyqtgraph's name
        self._data_bounds = None
        self._rect = None
        super().updateData(*args, **kwargs)

    def viewTransformChanged(self):  # noqa: N802 — the data did not change: keep its bounds
        self.prepareGeometryChange()  # Qt takes the rect as it was (cached: no pixelVectors)
        self._rect = None
        self._pixel = None  # until the owner says (set_pixel_size), ask pyqtgraph

    def set_pixel_size(self, px: float, py: float) -> None:
        """The view's data units per pixel (``ViewBox.viewPixelSize()``), after it moved."""
        self._pixel = (px, py)
        self._rect = None

    def data_bounds(self) -> tuple[float, float, float, float] | None:
        """(x0, x1, y0, y1) of the finite data, or None when there is none."""
        if self._data_bounds is None:
            x, y = self.xData, self.yData
            if x is None or y is None or len(x) == 0:
                return None
            y0, y1 = float(np.fmin.reduce(y)), float(np.fmax.reduce(y))  # NaN only if all are
            if not (np.isfinite(y0) and np.isfinite(y1)):
                return None
            self._data_bounds = (float(x[0]), float(x[-1]), y0, y1)
        return self._data_bounds

    def boundingRect(self):  # noqa: N802 — Qt's name
        if self._rect is None:
            b = self.data_bounds() if self.xData is not None and len(self.xData) else None
            if b is None:
                return QRectF()
            x0, x1, y0, y1 = b
            px = py = 0.0
            pad = self.pixelPadding()
            if pad > 0 and self._pixel is not None:
                px, py = self._pixel[0] * pad, self._pixel[1] * pad
            elif pad > 0:
                vx, vy = self.pixelVectors()
                px = 0.0 if vx is None else vx.length() * pad
                py = 0.0 if vy is None else vy.length() * pad
            self._rect = QRectF(x0 - px, y0 - py, (x1 - x0) + 2 * px, (y1 - y0) + 2 * py)
        return self._rect
