"""The column left of the traces: each visible channel's label, scale and state.
Click selects a channel (gain keys then act on it); right-click opens its menu."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QPainter
from PySide6.QtWidgets import QToolTip, QWidget

from engine.api import KIND_NAMES

LABEL_WIDTH = 190


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

    def tooltip_text(self, r: int) -> str:
        """What a hover over row ``r``'s label says: the type as recognised, scale, filter,
        rate, any correction made on opening, and whether the row is a reconstruction."""
        row = self.rows[r]
        kind = KIND_NAMES.get(row.kind, row.kind) + (f" ({row.detail})" if row.detail else "")
        lines = [f"{row.label} — {kind}", f"{row.scale_text()} · {row.filter.label()}"
                 + (f" · {row.sfreq_hz:g} Hz" if row.sfreq_hz else "")]
        if row.mapped_to:
            lines.append(f"model channel: {row.mapped_to}")
        if row.note:
            lines.append(row.note)
        if row.sig < 0:
            lines.append("reconstructed by the model from the other channels — not recorded here"
                         if row.reconstruction != "flat" else
                         "reconstructed by the model where the recorded channel is flat (lead off)")
        return "\n".join(lines)

    def event(self, ev):  # noqa: D401 — hover help
        if ev.type() == QEvent.Type.ToolTip:
            r = self.row_at(ev.pos().y())
            if r is None:
                QToolTip.hideText()
            else:
                QToolTip.showText(ev.globalPos(), self.tooltip_text(r), self)
            return True
        return super().event(ev)

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
            recon = row.sig < 0
            if i == self.selected:
                p.fillRect(rect, QColor(255, 236, 179))
            elif recon:  # a reconstructed row is never mistaken for a recorded one
                p.fillRect(rect, QColor(226, 232, 240))
                p.fillRect(QRectF(0, top, 3, h), QColor(120, 120, 120))
            p.setPen(QColor(90, 90, 90) if recon else QColor(30, 30, 30))
            big.setItalic(recon)
            p.setFont(big)
            name = row.label + ("  ⇅" if row.inverted else "")
            self._draw_steps(p, row, top, h, small)
            if h >= 28:
                p.drawText(rect.adjusted(0, 0, 0, -h / 2), Qt.AlignmentFlag.AlignLeft |
                           Qt.AlignmentFlag.AlignBottom, name)
                p.setFont(small)
                p.setPen(QColor(90, 90, 90))
                mark = "*" if row.note else ""  # a correction made on opening: the tooltip says which
                extra = f"{row.scale_text()}{mark}  {row.filter.label()}"
                if recon:
                    extra = f"{row.scale_text()}  " + ("lead off: model estimate" if row.reconstruction == "flat"
                                                       else "not recorded: model estimate")
                p.drawText(rect.adjusted(0, h / 2, 0, 0), Qt.AlignmentFlag.AlignLeft |
                           Qt.AlignmentFlag.AlignTop, extra)
            else:  # one line: the name left, the scale right in small type, both elided to fit
                p.setFont(small)
                fm_small = p.fontMetrics()
                scale = row.scale_text() + ("*" if row.note else "")
                sw = min(fm_small.horizontalAdvance(scale) + 4, int(rect.width() * 0.6))
                p.setPen(QColor(90, 90, 90))
                p.drawText(rect, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                           fm_small.elidedText(scale, Qt.TextElideMode.ElideLeft, sw))
                p.setFont(big)
                p.setPen(QColor(90, 90, 90) if recon else QColor(30, 30, 30))
                room = int(rect.width() - sw - 6)
                p.drawText(rect.adjusted(0, 0, -sw - 6, 0), Qt.AlignmentFlag.AlignLeft |
                           Qt.AlignmentFlag.AlignVCenter, p.fontMetrics().elidedText(name, Qt.TextElideMode.ElideRight,
                                                                                    room))

    def _draw_steps(self, p: QPainter, row, top: float, h: float, font) -> None:
        """Body position: its labelled levels at the right edge, at their heights."""
        if not getattr(row, "steps", ()) or h < 28:
            return
        p.save()
        p.setFont(font)
        p.setPen(QColor(110, 110, 110))
        sign = -1.0 if row.inverted else 1.0
        for v, text in row.steps:
            y = top + h * (0.5 - sign * (v - row.center) / row.scale)
            if top + 4 <= y <= top + h - 2:
                p.drawText(QRectF(0, y - 7, self.width() - 4, 14),
                           Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, text)
        p.restore()

    def mousePressEvent(self, ev):  # noqa: N802
        r = self.row_at(ev.position().y())
        if r is None:
            return
        if ev.button() == Qt.MouseButton.RightButton:
            self.context_requested.emit(r, ev.globalPosition().toPoint())
        else:
            self.clicked.emit(r)
