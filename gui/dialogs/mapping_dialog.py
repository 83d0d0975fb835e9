"""Channel mapping dialog: see and fix which signal feeds each canonical model channel,
optionally as a difference of two referential signals, and save it as a lab profile."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QVBoxLayout,
)

from engine.api import CANONICAL_NAMES, ChannelMap, ChannelSource, UserError, canonical_scale

NONE = "— missing —"


class MappingDialog(QDialog):
    def __init__(self, study, chmap: ChannelMap, profiles, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Channel mapping")
        self.study, self.profiles = study, profiles
        self.labels = [s.display_label for s in study.signals]
        self.units = {s.display_label: s.unit for s in study.signals}
        self.saved_profile: str | None = None
        lay = QVBoxLayout(self)
        lay.addWidget(QLabel("Which signal feeds each model channel. A channel left missing is "
                             "masked by the model (and can be reconstructed)."))
        self.table = QTableWidget(len(CANONICAL_NAMES), 4, self)
        self.table.setHorizontalHeaderLabels(["Model channel", "Signal", "minus (reference)", "How"])
        self.how: list[QLabel] = []
        self.plus: list[QComboBox] = []
        self.minus: list[QComboBox] = []
        for i, src in enumerate(chmap.sources):
            self.table.setCellWidget(i, 0, QLabel(src.canonical))
            p, m = QComboBox(), QComboBox()
            p.addItems([NONE] + self.labels)
            m.addItems([NONE] + self.labels)
            if src.plus in self.labels:
                p.setCurrentText(src.plus)
            if src.minus in self.labels:
                m.setCurrentText(src.minus)
            self.table.setCellWidget(i, 1, p)
            self.table.setCellWidget(i, 2, m)
            how = QLabel(self._how_text(src))
            self.table.setCellWidget(i, 3, how)
            self.plus.append(p)
            self.minus.append(m)
            self.how.append(how)
            p.currentTextChanged.connect(lambda _t, i=i: self._refresh_how(i))
            m.currentTextChanged.connect(lambda _t, i=i: self._refresh_how(i))
        self.table.resizeColumnsToContents()
        self.table.setMinimumWidth(820)
        self.table.setMinimumHeight(420)
        lay.addWidget(self.table)
        row = QHBoxLayout()
        self.profile_name = QLineEdit(chmap.profile or "")
        self.profile_name.setPlaceholderText("lab profile name, e.g. 'Sleep lab A — Nox A1'")
        save = QPushButton("Save as lab profile")
        save.clicked.connect(self.save_profile)
        row.addWidget(self.profile_name, 1)
        row.addWidget(save)
        lay.addLayout(row)
        bb = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        bb.accepted.connect(self.accept)
        bb.rejected.connect(self.reject)
        lay.addWidget(bb)
        self._original = chmap

    @staticmethod
    def _how_text(src: ChannelSource) -> str:
        """What the mapping did, e.g. "C3-M2 ← CZ-A1, nearest central derivation"."""
        if not src.present:
            return "missing (masked)"
        kind = {"exact": "", "derived": " (referential difference)", "manual": " (set by hand)",
                "approximate": " ≈"}.get(src.how, "")
        return src.explain() + kind

    def _refresh_how(self, i: int) -> None:
        if hasattr(self, "_original"):
            self.how[i].setText(self._how_text(self.mapping().sources[i]))

    def set_source(self, canonical: str, plus: str | None, minus: str | None = None) -> None:
        i = CANONICAL_NAMES.index(canonical)
        self.plus[i].setCurrentText(plus or NONE)
        self.minus[i].setCurrentText(minus or NONE)

    def mapping(self) -> ChannelMap:
        srcs = []
        for i, name in enumerate(CANONICAL_NAMES):
            p = self.plus[i].currentText()
            m = self.minus[i].currentText()
            p = None if p == NONE else p
            m = None if (m == NONE or p is None) else m
            old = self._original.sources[i]
            if p is None:
                srcs.append(ChannelSource(name, None))
            elif p == old.plus and m == old.minus:
                srcs.append(old)
            else:
                srcs.append(ChannelSource(name, p, m, "manual", canonical_scale(name, self.units.get(p, ""))))
        return ChannelMap(tuple(srcs), profile=self.saved_profile)

    def save_profile(self) -> bool:
        try:
            self.profiles.save(self.profile_name.text(), self.labels, self.mapping())
        except UserError as exc:
            QMessageBox.warning(self, "Mapping profile", str(exc))
            return False
        self.saved_profile = self.profile_name.text().strip()
        return True
