"""Inter-scorer comparison: Cohen's kappa, per-stage agreement, confusion matrix."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)


def _pct(v) -> str:
    return "—" if v is None else f"{v:.1f} %"


class CompareDialog(QDialog):
    def __init__(self, agreement, name_a: str, name_b: str, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Inter-scorer agreement")
        a = self.agreement = agreement
        lay = QVBoxLayout(self)
        kappa = "—" if a.kappa is None else f"{a.kappa:.3f}"
        self.summary = QLabel(
            f"<b>A</b> = {name_a}<br><b>B</b> = {name_b}<br>"
            f"Epochs scored by both: <b>{a.n_epochs}</b> (A only {a.n_only_a}, B only {a.n_only_b})<br>"
            f"Agreement: <b>{_pct(a.accuracy_pct)}</b> &nbsp; Cohen's κ: <b>{kappa}</b>")
        lay.addWidget(self.summary)
        labels = list(a.labels)
        self.confusion = QTableWidget(len(labels), len(labels))
        self.confusion.setHorizontalHeaderLabels([f"B: {s}" for s in labels])
        self.confusion.setVerticalHeaderLabels([f"A: {s}" for s in labels])
        for i in range(len(labels)):
            for j in range(len(labels)):
                self.confusion.setItem(i, j, QTableWidgetItem(str(int(a.confusion[i, j]))))
        for t in (self.confusion,):
            t.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
            t.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        lay.addWidget(QLabel("Confusion matrix (rows A, columns B)"))
        lay.addWidget(self.confusion)
        self.per_stage = QTableWidget(len(labels), 4)
        self.per_stage.setHorizontalHeaderLabels(["Stage", "Agreement (of A)", "F1", "κ"])
        for i, s in enumerate(labels):
            st = a.per_stage[s]
            vals = [s, _pct(st.agreement_pct), "—" if st.f1 is None else f"{st.f1:.2f}",
                    "—" if st.kappa is None else f"{st.kappa:.2f}"]
            for j, v in enumerate(vals):
                self.per_stage.setItem(i, j, QTableWidgetItem(v))
        self.per_stage.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.per_stage.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        lay.addWidget(QLabel("Per stage"))
        lay.addWidget(self.per_stage)
        bb = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        bb.rejected.connect(self.reject)
        lay.addWidget(bb)
        self.resize(620, 560)
