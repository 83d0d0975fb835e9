"""The column left of the traces: each visible channel's label, scale and state.
Click selects a channel (gain keys then act on it); right-click opens its menu."""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QPainter
from PySide6.QtWidgets import QWidget

LABEL_WIDTH = 170


class ChannelLabels(QWidget):
    clicked = Signal(int)  # row index among visible channels
    context_requested = Signal(int, object)  # row, global QPoint

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setFixedWidth(LABEL_WIDTH)
        self.rows: list = []  # ChannelDisplay of the visible channels, top to bottom
        self.selected: int | None = None
        self.top_px = 0.0  # where the plot's data area starts/ends inside this widget
        self.height_px = 1.0
        self.setMouseTracking(False)

    def set_rows(self, rows, selected: int | None) -> None:
        self.rows = list(rows)
        self.selected = selected
        self.update()

    def set_geometry_of_plot(self, top_px: float, height_px: float) -> None:
        self.top_px, self.height_px = top_px, max(1.0, height_px)
        self.update()

    def row_at(self, y_px: float) -> int | None:
        if not self.rows:
            return None
        h = self.height_px / len(self.rows)
        r = int((y_px - self.top_px) // h)
        return r if 0 <= r < len(self.rows) else None

    def paintEvent(self, ev):  # noqa: N802
        p = QPainter(self)
        p.fillRect(self.rect(), QColor(250, 250, 250))
        if not self.rows:
            return
        h = self.height_px / len(self.rows)
        big, small = QFont(self.font()), QFont(self.font())
        big.setBold(True)
        small.setPointSizeF(max(6.0, self.font().pointSizeF() * 0.85))
        for i, row in enumerate(self.rows):
            top = self.top_px + i * h
            rect = QRectF(4, top, self.width() - 8, h)
            if i == self.selected:
                p.fillRect(rect, QColor(255, 236, 179))
            p.setPen(QColor(30, 30, 30))
            p.setFont(big)
            name = row.label + ("  ⇅" if row.inverted else "")
            if h >= 28:
                p.drawText(rect.adjusted(0, 0, 0, -h / 2), Qt.AlignmentFlag.AlignLeft |
                           Qt.AlignmentFlag.AlignBottom, name)
                p.setFont(small)
                p.setPen(QColor(90, 90, 90))
                extra = f"{row.scale_text()}  {row.filter.label()}"
                p.drawText(rect.adjusted(0, h / 2, 0, 0), Qt.AlignmentFlag.AlignLeft |
                           Qt.AlignmentFlag.AlignTop, extra)
            else:
                p.drawText(rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                           f"{name}  {row.scale_text()}")

    def mousePressEvent(self, ev):  # noqa: N802
        r = self.row_at(ev.position().y())
        if r is None:
            return
        if ev.button() == Qt.MouseButton.RightButton:
            self.context_requested.emit(r, ev.globalPosition().toPoint())
        else:
            self.clicked.emit(r)
