"""Common set-up of the app's plots: no pyqtgraph buttons or context menu, no mouse
pan/zoom, no auto-range (the app sets every view range itself); and ``GestureViewBox``,
whose mouse gestures are Qt signals an owner connects to (instead of assigning handlers
over a ViewBox instance's methods)."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Signal


class GestureViewBox(pg.ViewBox):
    """A ViewBox that reports wheel, drag and click gestures as signals.

    The app's plots pass ``enableMenu=False``: pyqtgraph's context menu (a dozen widgets,
    ~5 ms per plot at start-up) is never shown in them (``make_static``).

    A gesture with at least one handler ``claim``-ed is the owner's alone (pyqtgraph's own
    pan/zoom for it is not run); an unclaimed gesture keeps pyqtgraph's behaviour. Handlers
    receive pyqtgraph's event and may ``accept()`` / ``ignore()`` it as usual.
    """

    wheeled = Signal(object)  # QGraphicsSceneWheelEvent
    dragged = Signal(object)  # pyqtgraph MouseDragEvent
    clicked = Signal(object)  # pyqtgraph MouseClickEvent

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._claimed: set[str] = set()

    def claim(self, gesture: str, handler) -> None:
        """Connect ``handler`` to ``gesture`` ("wheeled", "dragged" or "clicked") and take
        that gesture over from pyqtgraph."""
        if gesture not in ("wheeled", "dragged", "clicked"):
            raise ValueError(f"unknown gesture {gesture!r}")
        getattr(self, gesture).connect(handler)
        self._claimed.add(gesture)

    def wheelEvent(self, ev, axis=None):  # noqa: N802 (Qt's name)
        if "wheeled" in self._claimed:
            self.wheeled.emit(ev)
        else:
            super().wheelEvent(ev, axis)

    def mouseDragEvent(self, ev, axis=None):  # noqa: N802
        if "dragged" in self._claimed:
            self.dragged.emit(ev)
        else:
            super().mouseDragEvent(ev, axis)

    def mouseClickEvent(self, ev):  # noqa: N802
        if "clicked" in self._claimed:
            self.clicked.emit(ev)
        else:
            super().mouseClickEvent(ev)


def make_static(plot_item, hide_left: bool = True):
    """Configure a PlotItem; returns its ViewBox."""
    if hide_left:
        plot_item.hideAxis("left")
    # no axis here shows units: without this, every range change (each page flip) rewrote
    # each axis's label as HTML and re-measured it, hidden axes included (~0.35 ms a flip)
    for name in ("left", "bottom", "right", "top"):
        plot_item.getAxis(name).enableAutoSIPrefix(False)
    plot_item.hideButtons()
    plot_item.setMenuEnabled(False)
    vb = plot_item.getViewBox()
    vb.setMouseEnabled(False, False)
    vb.disableAutoRange()
    return vb
