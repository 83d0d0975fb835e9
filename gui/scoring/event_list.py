"""Event list panel: every event with time, type, channel, duration, provenance and
confidence; filter by type; double-click jumps there."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from gui.viewer.time_axis import clock_text

ALL = "All types"


class EventList(QWidget):
    jump_requested = Signal(float, int)  # onset_s, event id

    def __init__(self, parent=None):
        super().__init__(parent)
        self.filter = QComboBox()
        self.filter.addItem(ALL)
        self.count = QLabel("")
        self.table = QTableWidget(0, 6)
        self.table.setHorizontalHeaderLabels(["Time", "Type", "Channel", "Dur (s)", "Source", "Conf."])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().setVisible(False)
        self.table.cellDoubleClicked.connect(self._double_clicked)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addWidget(self.filter)
        lay.addWidget(self.table, 1)
        lay.addWidget(self.count)
        self.filter.currentTextChanged.connect(lambda *_: self.refresh())
        self.doc = None
        self.start = None
        self._ids: list[int] = []

    def set_document(self, doc, start_datetime) -> None:
        self.doc, self.start = doc, start_datetime
        self.refresh()

    def refresh(self) -> None:
        doc = self.doc
        events = doc.events() if doc is not None else []
        types = sorted({e.type for e in events})
        cur = self.filter.currentText()
        self.filter.blockSignals(True)
        self.filter.clear()
        self.filter.addItems([ALL] + types)
        self.filter.setCurrentText(cur if cur in types else ALL)
        self.filter.blockSignals(False)
        chosen = self.filter.currentText()
        shown = [e for e in events if chosen == ALL or e.type == chosen]
        self.table.setRowCount(len(shown))
        self._ids = [e.id for e in shown]
        for r, e in enumerate(shown):
            when = clock_text(self.start, e.onset_s) if self.start else f"{e.onset_s:.1f}"
            vals = [when, e.type, ", ".join(e.channels), f"{e.duration_s:.1f}", e.provenance.value,
                    "" if e.confidence is None else f"{e.confidence:.2f}"]
            for c, v in enumerate(vals):
                item = QTableWidgetItem(v)
                if c == 0:
                    item.setData(Qt.ItemDataRole.UserRole, e.onset_s)
                self.table.setItem(r, c, item)
        self.count.setText(f"{len(shown)} of {len(events)} events")

    def _double_clicked(self, row: int, _col: int) -> None:
        onset = self.table.item(row, 0).data(Qt.ItemDataRole.UserRole)
        self.jump_requested.emit(float(onset), self._ids[row])
