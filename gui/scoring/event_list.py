"""Event list panel: scored events apart from the model's pending suggestions and the
suggestions the scorer rejected (a source filter, scored by default), filter by type,
one row for the same event marked on several channels; time, type, channel, duration
and source (with the model's confidence) fit the dock; double-click jumps there."""

from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QSize, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from engine.api import Provenance, same_event_key
from gui.viewer.time_axis import clock_text

ALL = "All types"
SCORED, SUGGESTED, REJECTED, ALL_SOURCES = "Scored", "Suggested", "Rejected", "All sources"
SOURCE_TEXT = {Provenance.HUMAN: "you", Provenance.IMPORTED: "imported", Provenance.MODEL: "model?",
               Provenance.MODEL_ACCEPTED: "model ✓", Provenance.MODEL_REJECTED: "model ✗"}


def source_of(ev) -> str:
    """Which list an event belongs to: Scored (decided), Suggested (pending) or Rejected."""
    if ev.provenance == Provenance.MODEL:
        return SUGGESTED
    if ev.provenance == Provenance.MODEL_REJECTED:
        return REJECTED
    return SCORED


def group_duplicates(events) -> list[list]:
    """Events of one type at the same time (to 0.1 s) and from the same source: one group
    (the same event marked on several channels, or imported twice)."""
    groups: dict[tuple, list] = {}
    for e in events:
        key = (*same_event_key(e), source_of(e))
        groups.setdefault(key, []).append(e)
    return sorted(groups.values(), key=lambda g: (g[0].onset_s, g[0].id))


COLUMNS = ("Time", "Type", "Channel", "s", "Source")
COLUMN_TIPS = {3: "Duration in seconds",
               4: "you · imported · model? (pending, with confidence) · model ✓ accepted · model ✗ rejected"}


class EventRows(QAbstractTableModel):
    """The list's rows as a Qt model: one reset per refresh, and the view asks only for the
    cells it shows. (A QTableWidget took one Qt call per cell: with the model's worker
    holding the GIL between calls, a refresh of a few hundred rows froze the GUI ~0.9 s.)"""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.rows: list[tuple[list[str], str, float]] = []  # (cells, tooltip, onset_s)

    def set_rows(self, rows) -> None:
        self.beginResetModel()
        self.rows = rows
        self.endResetModel()

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: N802, B008 — Qt's names
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(COLUMNS)

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or index.row() >= len(self.rows):
            return None
        cells, tip, onset_s = self.rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return cells[index.column()]
        if role == Qt.ItemDataRole.ToolTipRole:
            return tip
        if role == Qt.ItemDataRole.UserRole:
            return onset_s
        return None

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if orientation != Qt.Orientation.Horizontal:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        if role == Qt.ItemDataRole.ToolTipRole:
            return COLUMN_TIPS.get(section)
        return None


class EventList(QWidget):
    jump_requested = Signal(float, int)  # onset_s, event id

    def __init__(self, parent=None):
        super().__init__(parent)
        self.source = QComboBox()
        self.source.addItems([SCORED, SUGGESTED, REJECTED, ALL_SOURCES])
        self.source.setToolTip("Scored: your events, imported ones and accepted suggestions; "
                               "Suggested: the model's, pending review; Rejected: suggestions you rejected")
        self.filter = QComboBox()
        self.filter.addItem(ALL)
        self.count = QLabel("")
        self.count.setWordWrap(True)
        self.rows = EventRows(self)
        self.table = QTableView()
        self.table.setModel(self.rows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().setVisible(False)
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.table.setWordWrap(False)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        hh = self.table.horizontalHeader()
        hh.setMinimumSectionSize(28)
        # columns sized to their contents from the rows in view and 100 more, not 1000 (Qt's
        # default): the widths hardly vary, and each row measured is Python called back
        # (1,200 events: 130 -> 41 ms a refresh)
        hh.setResizeContentsPrecision(100)
        for c, mode in enumerate((QHeaderView.ResizeMode.ResizeToContents, QHeaderView.ResizeMode.Stretch,
                                  QHeaderView.ResizeMode.Stretch, QHeaderView.ResizeMode.ResizeToContents,
                                  QHeaderView.ResizeMode.ResizeToContents)):
            hh.setSectionResizeMode(c, mode)
        self.table.doubleClicked.connect(lambda index: self._double_clicked(index.row(), index.column()))
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        top = QHBoxLayout()
        top.addWidget(self.source)
        top.addWidget(self.filter, 1)
        lay.addLayout(top)
        lay.addWidget(self.table, 1)
        lay.addWidget(self.count)
        self.filter.currentTextChanged.connect(lambda *_: self.refresh())
        self.source.currentTextChanged.connect(lambda *_: self.refresh())
        self.doc = None
        self.start = None
        self._ids: list[int] = []

    def sizeHint(self) -> QSize:  # noqa: N802 — wide enough for every column (not a minimum)
        return QSize(420, 400)

    def set_document(self, doc, start_datetime) -> None:
        self.doc, self.start = doc, start_datetime
        self.refresh()

    def refresh(self) -> None:
        doc = self.doc
        events = doc.events(include_rejected=True) if doc is not None else []
        src = self.source.currentText()
        in_source = [e for e in events if src == ALL_SOURCES or source_of(e) == src]
        types = sorted({e.type for e in in_source})
        cur = self.filter.currentText()
        self.filter.blockSignals(True)
        self.filter.clear()
        self.filter.addItems([ALL] + types)
        self.filter.setCurrentText(cur if cur in types else ALL)
        self.filter.blockSignals(False)
        chosen = self.filter.currentText()
        groups = group_duplicates([e for e in in_source if chosen == ALL or e.type == chosen])
        self._ids = [g[0].id for g in groups]
        rows = []
        for g in groups:
            e = g[0]
            when = clock_text(self.start, e.onset_s) if self.start else f"{e.onset_s:.1f}"
            chans = ", ".join(dict.fromkeys(c for x in g for c in x.channels))
            source = SOURCE_TEXT.get(e.provenance, e.provenance.value)
            if e.confidence is not None and e.provenance != Provenance.HUMAN:
                source += f" {e.confidence * 100:.0f} %"
            tip = f"{e.type} at {when}, {e.duration_s:.1f} s on {chans or 'no channel'} — {source}"
            if len(g) > 1:
                tip += f" ({len(g)} marks at the same time, shown once)"
            rows.append(([when, e.type, chans, f"{e.duration_s:.1f}", source], tip, e.onset_s))
        self.rows.set_rows(rows)
        counts = {k: len(group_duplicates([e for e in events if source_of(e) == k]))
                  for k in (SCORED, SUGGESTED, REJECTED)}
        self.count.setText(f"{len(groups)} shown · {counts[SCORED]} scored · {counts[SUGGESTED]} suggested · "
                           f"{counts[REJECTED]} rejected")

    def row_count(self) -> int:
        return self.rows.rowCount()

    def cell(self, row: int, column: int) -> str:
        """The text shown in a cell (column: 0 time, 1 type, 2 channel, 3 s, 4 source)."""
        return self.rows.rows[row][0][column]

    def _double_clicked(self, row: int, _col: int) -> None:
        if not 0 <= row < len(self._ids):
            return
        onset = self.rows.rows[row][2]
        self.jump_requested.emit(float(onset), self._ids[row])
