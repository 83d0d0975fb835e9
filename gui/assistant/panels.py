"""The assistant dock: review queue, live agreement, similar epochs, what a re-fit changed."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QListWidget,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from engine.api import EPOCH_S, STAGE_NAMES
from gui.viewer.time_axis import clock_text

OUTLIER_THRESHOLD = 0.99  # red marks and "unusual": the top 1 % against the reference set


def _epoch_text(start, epoch: int) -> str:
    return f"Epoch {epoch + 1} · {clock_text(start, epoch * EPOCH_S)}" if start else f"Epoch {epoch + 1}"


def flag_reasons(conf: float, outlier: float | None, you: int, model: int) -> list[str]:
    """Why an epoch is in the review queue, in the scorer's words (the terms of
    engine.assistant.review.review_priority that raise it)."""
    out = []
    if you >= 0 and model >= 0 and you != model:
        out.append(f"you differ ({STAGE_NAMES[you]} vs {STAGE_NAMES[model]})")
    if outlier is not None and np.isfinite(outlier) and outlier >= OUTLIER_THRESHOLD:
        out.append(f"unusual (outlier {outlier:.3f})")
    if np.isfinite(conf) and (conf < 0.8 or not out):
        out.append(f"uncertain ({conf:.0%})")
    return out


class _EpochList(QWidget):
    """A titled list of epochs; clicking one asks to jump there."""

    jump_requested = Signal(int)

    def __init__(self, title: str, parent=None):
        super().__init__(parent)
        self.header = QLabel(title)
        self.header.setWordWrap(True)
        self.list = QListWidget()
        self.list.setWordWrap(True)  # whole lines, never cut off
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setResizeMode(QListWidget.ResizeMode.Adjust)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addWidget(self.header)
        lay.addWidget(self.list, 1)
        self.list.itemClicked.connect(self._clicked)
        self.list.viewport().installEventFilter(self)  # tooltips: the row's text, looked up when asked
        self._rows: list[tuple[int, str]] = []

    def set_items(self, rows: list[tuple[int, str]]) -> None:
        """Two Qt calls for the whole list, none when it is unchanged: with the model's
        worker running, every Qt call can wait for the GIL, and a list of 300 built item by
        item (4 calls each) on every batch of suggestions stole frames from the scorer."""
        rows = [(int(e), t) for e, t in rows]
        if rows == self._rows:
            return
        self._rows = rows
        self.list.clear()
        self.list.addItems([t for _, t in rows])

    def epoch_at(self, row: int) -> int:
        return self._rows[row][0]

    def eventFilter(self, obj, ev):  # noqa: N802 — Qt's name
        if ev.type() == QEvent.Type.ToolTip and obj is self.list.viewport():
            row = self.list.row(self.list.itemAt(ev.pos())) if self.list.itemAt(ev.pos()) else -1
            if 0 <= row < len(self._rows):
                QToolTip.showText(ev.globalPos(), self._rows[row][1], self.list)
            else:
                QToolTip.hideText()
            return True
        return super().eventFilter(obj, ev)

    def _clicked(self, item) -> None:
        row = self.list.row(item)
        if 0 <= row < len(self._rows):
            self.jump_requested.emit(self._rows[row][0])


class AssistantPanel(QTabWidget):
    jump_to_epoch = Signal(int)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.status = QLabel("No model running")
        self.status.setWordWrap(True)
        self.review = _EpochList("Review queue")
        self.similar = _EpochList("Right-click an epoch › Similar epochs")
        self.changes = _EpochList("Re-fits from your corrections appear here")
        agr = QWidget()
        self.agreement_label = QLabel("Review some epochs to see how you and the model agree.")
        self.agreement_label.setWordWrap(True)
        self.confusion = QTableWidget(5, 5)
        # short headers and stretched columns: all five columns fit the dock
        self.confusion.setHorizontalHeaderLabels(list(STAGE_NAMES))
        self.confusion.setVerticalHeaderLabels(list(STAGE_NAMES))
        self.confusion.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.confusion.horizontalHeader().setMinimumSectionSize(24)
        self.confusion.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.confusion.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.confusion.setToolTip("Rows: your stage; columns: the model's suggestion, on the epochs you reviewed")
        self.confusion_caption = QLabel("Rows: you · columns: the model")
        la = QVBoxLayout(agr)
        la.setContentsMargins(2, 2, 2, 2)
        la.addWidget(self.agreement_label)
        la.addWidget(self.confusion_caption)
        la.addWidget(self.confusion, 1)
        first = QWidget()
        lf = QVBoxLayout(first)
        lf.setContentsMargins(0, 0, 0, 0)
        lf.addWidget(self.status)
        lf.addWidget(self.review, 1)
        self.addTab(first, "Review")
        self.addTab(agr, "Agreement")
        self.addTab(self.similar, "Similar")
        self.addTab(self.changes, "Changes")
        for w in (self.review, self.similar, self.changes):
            w.jump_requested.connect(self.jump_to_epoch)
        self.start = None

    def show_review(self, state, doc, outlier=None) -> None:
        if state is None:
            self.review.set_items([])
            return
        sugg = doc.suggested_stages()
        conf = doc.suggestion_confidence()
        stages = doc.stages()
        out = None if outlier is None or len(outlier) == 0 else np.asarray(outlier, float)
        rows = []
        for e in state.order[:300]:
            e = int(e)
            s = STAGE_NAMES[int(sugg[e])] if sugg[e] >= 0 else "?"
            you = STAGE_NAMES[int(stages[e])] if stages[e] >= 0 else "—"
            o = float(out[e]) if out is not None and e < len(out) else None
            why = ", ".join(flag_reasons(float(conf[e]), o, int(stages[e]), int(sugg[e]))) or "flagged"
            rows.append((e, f"{_epoch_text(self.start, e)} · you {you} · model {s} {conf[e]:.0%} · {why}"))
        self.review.set_items(rows)
        self.review.header.setText(f"<b>{state.n_flagged_remaining}</b> flagged epochs remain · "
                                   f"{state.n_reviewed} reviewed · ] next, [ previous")

    def show_agreement(self, agr) -> None:
        if agr is None:
            self.agreement_label.setText("Review some epochs to see how you and the model agree.")
            for i in range(5):
                for j in range(5):
                    self.confusion.setItem(i, j, QTableWidgetItem(""))
            return
        k = "—" if agr.kappa is None else f"{agr.kappa:.2f}"
        acc = "—" if agr.accuracy_pct is None else f"{agr.accuracy_pct:.0f} %"
        self.agreement_label.setText(f"On <b>{agr.n_epochs}</b> reviewed epochs: agreement "
                                     f"<b>{acc}</b>, Cohen's κ <b>{k}</b>")
        for i in range(5):
            for j in range(5):
                self.confusion.setItem(i, j, QTableWidgetItem(str(int(agr.confusion[i, j]))))

    def show_similar(self, epoch: int, similar) -> None:
        self.similar.header.setText(f"Epochs most like {_epoch_text(self.start, epoch)}:")
        self.similar.set_items([(s.epoch, f"{_epoch_text(self.start, s.epoch)} · similarity "
                                          f"{s.similarity:.2f}") for s in similar])
        self.setCurrentWidget(self.similar)

    def show_changes(self, res) -> None:
        self.changes.header.setText(
            f"Re-fitted on {res.n_reviewed} reviewed epochs: {len(res.changed)} suggestions changed")
        rows = [(int(e), f"{_epoch_text(self.start, int(e))}: {STAGE_NAMES[int(b)]} → {STAGE_NAMES[int(a)]}")
                for e, b, a in zip(res.changed[:500], res.before[:500], res.after[:500])]
        self.changes.set_items(rows)

    def outlier_epochs(self, outlier: np.ndarray, threshold: float = 0.95) -> np.ndarray:
        return np.flatnonzero(np.nan_to_num(outlier, nan=0.0) >= threshold)
