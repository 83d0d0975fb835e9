"""Mouse gestures for pyqtgraph views: explicit press / move-with-button / release
events (QTest's mouseMove does not carry the pressed button).

pyqtgraph drops a mouse move that comes sooner than ``1000 / mouseRateLimit`` ms after
the last one it took (10 ms by default). Moves sent back to back can all fall inside that
gap on a fast machine, and a drag whose moves were all dropped is a click. So each move
here waits out the gap first: the gesture means the same thing on any machine.
"""

import time

import pyqtgraph as pg
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication


def _send(widget, kind, pos: QPointF, buttons, button=Qt.MouseButton.NoButton):
    ev = QMouseEvent(kind, pos, widget.mapToGlobal(pos.toPoint()), button, buttons,
                     Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, ev)


def _wait_out_move_rate_limit() -> None:
    limit = pg.getConfigOption("mouseRateLimit")
    if limit and limit > 0:
        time.sleep(1.0 / limit + 0.002)


def view_to_widget(plot_widget, vb, x: float, y: float) -> QPointF:
    scene = vb.mapViewToScene(QPointF(x, y))
    return QPointF(plot_widget.mapFromScene(scene))


def drag(plot_widget, vb, x0, y0, x1, y1, steps: int = 6) -> None:
    vp = plot_widget.viewport()
    a, b = view_to_widget(plot_widget, vb, x0, y0), view_to_widget(plot_widget, vb, x1, y1)
    left = Qt.MouseButton.LeftButton
    _send(vp, QEvent.Type.MouseButtonPress, a, left, left)
    for i in range(1, steps + 1):
        p = a + (b - a) * (i / steps)
        _wait_out_move_rate_limit()
        _send(vp, QEvent.Type.MouseMove, p, left)
        QApplication.processEvents()
    _send(vp, QEvent.Type.MouseButtonRelease, b, Qt.MouseButton.NoButton, left)
    QApplication.processEvents()


def click(plot_widget, vb, x, y) -> None:
    vp = plot_widget.viewport()
    a = view_to_widget(plot_widget, vb, x, y)
    left = Qt.MouseButton.LeftButton
    _send(vp, QEvent.Type.MouseButtonPress, a, left, left)
    _send(vp, QEvent.Type.MouseButtonRelease, a, Qt.MouseButton.NoButton, left)
    QApplication.processEvents()


__all__ = ["drag", "click", "view_to_widget", "QPoint"]
