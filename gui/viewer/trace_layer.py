"""All of a page's traces in one graphics item, and the next page drawn ahead of time.

A 30-s flip used to cost ~10 ms of the GUI thread's CPU, of which ~3 ms went to
rasterising the 16 trace paths and ~1 ms to handing them their data; the rest is
pyqtgraph and Qt moving what a flip moves. The scorer reads a page for seconds, and
the next page is prefetched in that time anyway. So the viewer also *draws* it then
(``prepare``): the next page's curves get their data and are rendered into an image,
and when the scorer flips, that image is copied to the screen instead of drawing the
traces again.

What the scorer sees must not depend on whether the page was drawn ahead or live, to
the pixel. Three things make that exact, and a test compares the two on real files:

- The layer maps data to pixels with its own transform, ``page_transform`` (a function
  of the page's start, width, row count and the view's size only), not with the view
  box's transform, which pyqtgraph derives from the range with a float history of its
  own. The image and the live drawing are made with the same transform, bit for bit.
- The image covers the viewport from its top-left corner to the view box's far
  corner: it is drawn with exactly the live transform, no offset, and copied at (0, 0).
- It is clipped as the view clips it: to the view box's shape, set the way Qt sets a
  parent's clip for its children (``ItemClipsChildrenToShape``).

The pens are opaque and unantialiased, so a trace's pixel is either the pen's colour
or untouched: the copy composes exactly like the drawing. Traces not clipped to their
rows are never drawn ahead: Qt clips a line that leaves the paint device at that
device's edge (the window's on screen, the image's here), and such lines' pixels differ.
When anything differs (the page, its rows, the data, the size, the device), the layer
draws live.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRect, QRectF
from PySide6.QtGui import QImage, QPainter, QTransform
from PySide6.QtWidgets import QGraphicsItem, QGraphicsView, QStyleOptionGraphicsItem


def page_transform(start_s: float, window_s: float, n_rows: int, width: float,
                   height: float) -> QTransform:
    """View-box pixels from (time, row units): ``start_s`` at the left edge, ``window_s``
    across ``width``, rows 0..n from the bottom to the top (as the view range is set)."""
    sx = width / window_s
    sy = -height / max(n_rows, 1)
    return QTransform(sx, 0.0, 0.0, sy, -start_s * sx, height)


def same_traces(a, b) -> bool:
    """The same (x, y) arrays, value for value (NaN equal to NaN)."""
    if len(a) != len(b):
        return False
    for (xa, ya), (xb, yb) in zip(a, b):
        if xa is xb and ya is yb:
            continue
        if len(xa) != len(xb) or not np.array_equal(xa, xb) \
                or not np.array_equal(ya, yb, equal_nan=True):
            return False
    return True


@dataclass
class PreparedPage:
    """The next page, drawn ahead: its curves (data set) and its image."""

    key: tuple  # (start_s, window_s, rows, clip_rows): what show_page must ask for
    traces: list  # the (x, y) it was made from: show_page's data must equal them
    items: list  # PlotCurveItem with the page's data and pens
    image: QImage
    world: QTransform  # the device transform it was drawn with


class TraceLayer(QGraphicsItem):
    """Paints the signal view's trace curves (``items[:n]``, not in the scene) in one go,
    or copies a prepared image of them."""

    def __init__(self, vb):
        super().__init__()
        self.vb = vb
        self.items: list[pg.PlotCurveItem] = []
        self.n = 0
        self.page = (0.0, 30.0, 1)  # start_s, window_s, rows
        self._rect = QRectF(0.0, 0.0, 30.0, 1.0)  # the view range, in the view box's data coords
        self.image: QImage | None = None
        self.image_world: QTransform | None = None
        self.copies = 0  # paints that copied the prepared image
        self.draws = 0  # paints that drew the traces
        self.painted = None  # called after each paint (the signal view's idle work waits for it)

    # --- state ---------------------------------------------------------------------------
    def set_page(self, items, n: int, start_s: float, window_s: float,
                 image: QImage | None = None, world: QTransform | None = None) -> None:
        """The curves to paint now (``items[:n]``, one row each), and the image of them
        when one was prepared."""
        self.items, self.n = items, n
        self.page = (float(start_s), float(window_s), n)
        rect = QRectF(start_s, 0.0, window_s, float(max(n, 1)))
        if rect != self._rect:
            self.prepareGeometryChange()
            self._rect = rect
        self.image, self.image_world = image, world
        self.update()

    def view_of(self, widget) -> QGraphicsView | None:
        view = widget.parent() if widget is not None else None
        return view if isinstance(view, QGraphicsView) else None

    def base_transform(self, view: QGraphicsView) -> QTransform:
        """The view box's own device transform on ``view``'s viewport."""
        return self.vb.deviceTransform(view.viewportTransform())

    def world_for(self, view: QGraphicsView, start_s: float, window_s: float,
                  n_rows: int) -> QTransform:
        r = self.vb.rect()
        return page_transform(start_s, window_s, n_rows, r.width(), r.height()) \
            * self.base_transform(view)

    def image_rect(self, view: QGraphicsView) -> QRect:
        """The viewport area an image covers: from (0, 0) to the view box's far corner."""
        far = self.base_transform(view).map(QPointF(self.vb.rect().bottomRight()))
        return QRect(0, 0, int(np.ceil(far.x())) + 1, int(np.ceil(far.y())) + 1)

    # --- drawing ahead -------------------------------------------------------------------
    def render(self, view: QGraphicsView, items, n: int, start_s: float, window_s: float,
               reuse: QImage | None = None) -> tuple[QImage, QTransform] | None:
        """``items[:n]`` drawn into an image exactly as ``paint`` would draw them on
        ``view`` for that page; None when the view cannot take a copy (high-DPI screens).
        ``reuse``: an image no longer shown, drawn over when it has the right size (a new
        one's ~8 MB would be page-faulted in on every flip)."""
        if view.viewport().devicePixelRatioF() != 1.0:
            return None
        area = self.image_rect(view)
        if area.width() <= 1 or area.height() <= 1:
            return None
        img = reuse if reuse is not None and reuse.size() == area.size() \
            else QImage(area.size(), QImage.Format.Format_ARGB32_Premultiplied)
        img.fill(0)
        world = self.world_for(view, start_s, window_s, n)
        p = QPainter(img)
        try:
            p.setWorldTransform(self.base_transform(view))  # the view box clips its children
            p.setClipPath(self.vb.shape())
            self._draw(p, world, items, n, QStyleOptionGraphicsItem(), None)
        finally:
            p.end()
        return img, world

    # --- QGraphicsItem -------------------------------------------------------------------
    def boundingRect(self):  # noqa: N802 — Qt's name
        return self._rect

    def paint(self, p, option, widget=None):
        try:
            self._paint(p, option, widget)
        finally:
            if self.painted is not None:
                self.painted()

    def _paint(self, p, option, widget) -> None:
        view = self.view_of(widget)
        if view is None or p.device().devicePixelRatioF() != 1.0:
            # an export or another device: the painter's own (the view box's) transform
            self._draw(p, None, self.items, self.n, option, widget)
            self.draws += 1
            return
        world = self.world_for(view, *self.page)
        if self.image is not None and world == self.image_world:
            p.save()
            p.resetTransform()
            p.drawImage(0, 0, self.image)
            p.restore()
            self.copies += 1
            return
        self._draw(p, world, self.items, self.n, option, widget)
        self.draws += 1

    @staticmethod
    def _draw(p: QPainter, world: QTransform | None, items, n: int, option, widget) -> None:
        """``items[:n]`` in row order; ``world``: the device transform, None for the
        painter's own."""
        for it in items[:n]:
            p.save()
            if world is not None:
                p.setWorldTransform(world)
            it.paint(p, option, widget)
            p.restore()
