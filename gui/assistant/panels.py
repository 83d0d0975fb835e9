"""The assistant dock: review queue, live agreement, similar epochs, what a re-fit changed."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QLabel,
    QListWidget,
    QListWidgetItem,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from engine.api import STAGE_NAMES
from gui.viewer.time_axis import clock_text

EPOCH_S = 30.0


def _epoch_text(start, epoch: int) -> str:
    return f"Epoch {epoch + 1} · {clock_text(start, epoch * EPOCH_S)}" if start else f"Epoch {epoch + 1}"


class _EpochList(QWidget):
    """A titled list of epochs; clicking one asks to jump there."""

    jump_requested = Signal(int)

    def __init__(self, title: str, parent=None):
        super().__init__(parent)
        self.header = QLabel(title)
        self.header.setWordWrap(True)
        self.list = QListWidget()
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addWidget(self.header)
        lay.addWidget(self.list, 1)
        self.list.itemClicked.connect(lambda it: self.jump_requested.emit(int(it.data(Qt.ItemDataRole.UserRole))))

    def set_items(self, rows: list[tuple[int, str]]) -> None:
        self.list.clear()
        for epoch, text in rows:
            it = QListWidgetItem(text)
            it.setData(Qt.ItemDataRole.UserRole, int(epoch))
            self.list.addItem(it)


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
        self.confusion.setHorizontalHeaderLabels([f"model {s}" for s in STAGE_NAMES])
        self.confusion.setVerticalHeaderLabels([f"you {s}" for s in STAGE_NAMES])
        la = QVBoxLayout(agr)
        la.setContentsMargins(2, 2, 2, 2)
        la.addWidget(self.agreement_label)
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

    def show_review(self, state, doc) -> None:
        if state is None:
            self.review.set_items([])
            return
        sugg = doc.suggested_stages()
        conf = doc.suggestion_confidence()
        rows = []
        for e in state.order[:300]:
            s = STAGE_NAMES[int(sugg[e])] if sugg[e] >= 0 else "?"
            rows.append((int(e), f"{_epoch_text(self.start, int(e))} · model {s} "
                                 f"{conf[e]:.0%} · priority {state.priority[e]:.2f}"))
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
