"""The montage editor (Channels › Montage…, Ctrl+Shift+M): every signal of the study in one
list — show/hide with its checkbox (Space), a search box that filters the list as you
type, reorder by dragging or Alt+↑/↓, colour, per-channel gain and filter, derivations
A − B from any two of the file's signals, and missing model channels to reconstruct on
request. Save as a named montage (applied automatically to files with the same labels),
Apply to the open study. Non-modal; the viewer keeps working behind it."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QColor, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QColorDialog,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from engine.api import FILTER_CHOICES, KIND_NAMES, Montage, MontageRow, UserError
from gui.viewer import display_state as ds

ROLE_ROW = Qt.ItemDataRole.UserRole  # MontageRow
ROLE_KIND = Qt.ItemDataRole.UserRole + 1


def filter_text(d: dict | None) -> str:
    f = ds.filter_from_dict(d)
    return "default" if f is None else f.label()


class MontageDialog(QDialog):
    """Edits a montage for ``viewer``'s study; ``store`` saves it."""

    applied = Signal(object)  # Montage
    reconstruct_requested = Signal(int)  # canonical channel index

    def __init__(self, viewer, store, parent=None, missing: list[tuple[int, str]] = ()):
        super().__init__(parent)
        self.setWindowTitle("Montage")
        self.setModal(False)
        self.viewer, self.store = viewer, store
        self.kinds = {r.label: r.kind for r in viewer.rows if r.sig >= 0}
        self.file_labels = [s.display_label for s in viewer.study.signals]

        self.search = QLineEdit()
        self.search.setPlaceholderText("Search channels (Ctrl+F)…")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self.filter_list)
        QShortcut(QKeySequence("Ctrl+F"), self, activated=self.search.setFocus)

        self.list = QListWidget()
        self.list.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.list.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.currentItemChanged.connect(self._show_current)
        self.list.installEventFilter(self)  # Alt+↑/↓ move the row, Delete removes a derivation

        show_all, hide_all = QPushButton("Show all listed"), QPushButton("Hide all listed")
        show_all.clicked.connect(lambda: self.set_listed_visible(True))
        hide_all.clicked.connect(lambda: self.set_listed_visible(False))

        # the selected row's settings
        self.colour_btn = QPushButton("Colour…")
        self.colour_btn.clicked.connect(self.choose_colour)
        self.gain = QDoubleSpinBox()
        self.gain.setRange(0.05, 50.0)
        self.gain.setSingleStep(0.25)
        self.gain.setDecimals(2)
        self.gain.setSuffix(" ×")
        self.gain.valueChanged.connect(self._gain_changed)
        self.filter = QComboBox()
        self.filter.activated.connect(self._filter_changed)
        row_box = QGroupBox("Selected channel")
        rf = QFormLayout(row_box)
        rf.addRow("Gain", self.gain)
        rf.addRow("Filter", self.filter)
        rf.addRow("", self.colour_btn)

        # derivation A − B
        self.plus, self.minus = QComboBox(), QComboBox()
        for cb in (self.plus, self.minus):
            cb.addItems(self.file_labels)
            cb.setEditable(True)
            cb.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        add = QPushButton("Add A − B")
        add.clicked.connect(self._add_clicked)
        der_box = QGroupBox("Derivation")
        dl = QHBoxLayout(der_box)
        dl.addWidget(self.plus, 1)
        dl.addWidget(QLabel("−"))
        dl.addWidget(self.minus, 1)
        dl.addWidget(add)

        # missing model channels: reconstructed only when asked
        self.missing = QListWidget()
        for c, name in missing:
            it = QListWidgetItem(f"⟲ {name}")
            it.setData(ROLE_ROW, c)
            self.missing.addItem(it)
        rec_btn = QPushButton("Reconstruct selected")
        rec_btn.clicked.connect(self._reconstruct_clicked)
        rec_box = QGroupBox("Not recorded: reconstruct on request")
        rl = QVBoxLayout(rec_box)
        rl.addWidget(self.missing)
        rl.addWidget(rec_btn)
        rec_box.setVisible(bool(missing))

        self.name = QLineEdit(viewer.montage_name if viewer.montage_name and
                              viewer.montage_name != "Built-in PSG" else "")
        self.name.setPlaceholderText("Montage name (e.g. Lab A PSG)")
        self.message = QLabel("")
        self.message.setWordWrap(True)
        buttons = QDialogButtonBox()
        self.save_btn = buttons.addButton("Save montage", QDialogButtonBox.ButtonRole.ActionRole)
        self.apply_btn = buttons.addButton("Apply", QDialogButtonBox.ButtonRole.ApplyRole)
        close = buttons.addButton(QDialogButtonBox.StandardButton.Close)
        self.save_btn.clicked.connect(self.save)
        self.apply_btn.clicked.connect(self.apply)
        close.clicked.connect(self.reject)

        left = QVBoxLayout()
        left.addWidget(self.search)
        left.addWidget(self.list, 1)
        lh = QHBoxLayout()
        lh.addWidget(show_all)
        lh.addWidget(hide_all)
        left.addLayout(lh)
        right = QVBoxLayout()
        right.addWidget(row_box)
        right.addWidget(der_box)
        right.addWidget(rec_box, 1)
        right.addStretch(0)
        top = QHBoxLayout()
        top.addLayout(left, 3)
        rw = QWidget()
        rw.setLayout(right)
        top.addWidget(rw, 2)
        lay = QVBoxLayout(self)
        lay.addLayout(top, 1)
        form = QFormLayout()
        form.addRow("Name", self.name)
        lay.addLayout(form)
        lay.addWidget(self.message)
        lay.addWidget(buttons)
        self.resize(820, 620)

        for mr in viewer.montage_rows():
            self._add_item(mr)
        if self.list.count():
            self.list.setCurrentRow(0)
        self.search.setFocus()

    def eventFilter(self, obj, ev):  # noqa: N802
        if obj is self.list and ev.type() == QEvent.Type.KeyPress:
            alt = bool(ev.modifiers() & Qt.KeyboardModifier.AltModifier)
            if alt and ev.key() in (Qt.Key.Key_Up, Qt.Key.Key_Down):
                self.move_current(-1 if ev.key() == Qt.Key.Key_Up else 1)
                return True
            if ev.key() == Qt.Key.Key_Delete:
                self.remove_current_derivation()
                return True
        return super().eventFilter(obj, ev)

    # --- the list ------------------------------------------------------------------------
    def _kind_of(self, mr: MontageRow) -> str:
        return self.kinds.get(mr.plus, "other")

    def _add_item(self, mr: MontageRow, at: int | None = None) -> QListWidgetItem:
        it = QListWidgetItem()
        it.setFlags(it.flags() | Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsDragEnabled)
        it.setFlags(it.flags() & ~Qt.ItemFlag.ItemIsDropEnabled)
        it.setData(ROLE_ROW, mr)
        it.setData(ROLE_KIND, self._kind_of(mr))
        it.setCheckState(Qt.CheckState.Checked if mr.visible else Qt.CheckState.Unchecked)
        self._render(it)
        if at is None:
            self.list.addItem(it)
        else:
            self.list.insertItem(at, it)
        return it

    def _render(self, it: QListWidgetItem) -> None:
        mr: MontageRow = it.data(ROLE_ROW)
        kind = KIND_NAMES.get(it.data(ROLE_KIND), "")
        extra = []
        if abs(mr.gain - 1.0) > 1e-6:
            extra.append(f"gain {mr.gain:g}×")
        if mr.filter is not None:
            extra.append(filter_text(mr.filter))
        it.setText(f"{mr.label}    · {kind}" + (f"  · {', '.join(extra)}" if extra else ""))
        if mr.colour:
            it.setForeground(QColor(mr.colour))

    def item_row(self, it: QListWidgetItem) -> MontageRow:
        mr: MontageRow = it.data(ROLE_ROW)
        return replace(mr, visible=it.checkState() == Qt.CheckState.Checked)

    def rows(self) -> tuple[MontageRow, ...]:
        return tuple(self.item_row(self.list.item(i)) for i in range(self.list.count()))

    def labels_in_order(self) -> list[str]:
        return [r.label for r in self.rows()]

    def find_item(self, label: str) -> QListWidgetItem | None:
        for i in range(self.list.count()):
            if self.list.item(i).data(ROLE_ROW).label == label:
                return self.list.item(i)
        return None

    def filter_list(self, text: str) -> None:
        """Only rows whose label or type contains ``text`` (case-insensitive)."""
        t = text.strip().lower()
        first = None
        for i in range(self.list.count()):
            it = self.list.item(i)
            mr = it.data(ROLE_ROW)
            hit = not t or t in mr.label.lower() or t in KIND_NAMES.get(it.data(ROLE_KIND), "").lower()
            it.setHidden(not hit)
            if hit and first is None:
                first = it
        if first is not None and (self.list.currentItem() is None or self.list.currentItem().isHidden()):
            self.list.setCurrentItem(first)

    def set_visible(self, label: str, on: bool) -> None:
        it = self.find_item(label)
        if it is not None:
            it.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)

    def set_listed_visible(self, on: bool) -> None:
        for i in range(self.list.count()):
            it = self.list.item(i)
            if not it.isHidden():
                it.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)

    def move(self, label: str, to_index: int) -> None:
        it = self.find_item(label)
        if it is None:
            return
        row = self.list.row(it)
        it = self.list.takeItem(row)
        self.list.insertItem(max(0, min(to_index, self.list.count())), it)
        self.list.setCurrentItem(it)

    def move_current(self, delta: int) -> None:
        it = self.list.currentItem()
        if it is not None:
            self.move(it.data(ROLE_ROW).label, self.list.row(it) + delta)

    def _update_current(self, **changes) -> None:
        it = self.list.currentItem()
        if it is None:
            return
        it.setData(ROLE_ROW, replace(it.data(ROLE_ROW), **changes))
        self._render(it)

    def _show_current(self, it, _prev=None) -> None:
        if it is None:
            return
        mr: MontageRow = it.data(ROLE_ROW)
        self.gain.blockSignals(True)
        self.gain.setValue(mr.gain)
        self.gain.blockSignals(False)
        self.filter.clear()
        self.filter.addItem("default", None)
        for f in FILTER_CHOICES.get(it.data(ROLE_KIND), ()):
            self.filter.addItem(f.label(), ds.filter_to_dict(f))
        if mr.filter is not None:
            k = self.filter.findText(filter_text(mr.filter))
            if k < 0:
                self.filter.addItem(filter_text(mr.filter), mr.filter)
                k = self.filter.count() - 1
            self.filter.setCurrentIndex(k)

    def set_gain(self, label: str, gain: float) -> None:
        it = self.find_item(label)
        if it is not None:
            self.list.setCurrentItem(it)
            self.gain.setValue(gain)

    def _gain_changed(self, v: float) -> None:
        self._update_current(gain=float(v))

    def set_filter(self, label: str, filt) -> None:
        it = self.find_item(label)
        if it is not None:
            self.list.setCurrentItem(it)
            self._update_current(filter=ds.filter_to_dict(filt))

    def _filter_changed(self, k: int) -> None:
        self._update_current(filter=self.filter.itemData(k))

    def set_colour(self, label: str, colour: str | None) -> None:
        it = self.find_item(label)
        if it is not None:
            self.list.setCurrentItem(it)
            self._update_current(colour=colour)

    def choose_colour(self) -> None:
        it = self.list.currentItem()
        if it is None:
            return
        cur = it.data(ROLE_ROW).colour
        c = QColorDialog.getColor(QColor(cur) if cur else QColor(20, 20, 90), self, "Trace colour")
        if c.isValid():
            self._update_current(colour=c.name())

    # --- derivations ---------------------------------------------------------------------
    def add_derivation(self, plus: str, minus: str) -> bool:
        plus, minus = plus.strip(), minus.strip()
        if plus not in self.file_labels or minus not in self.file_labels:
            self.message.setText(f"<span style='color:#b00'>Both signals must be in this study "
                                 f"(got '{plus}' and '{minus}').</span>")
            return False
        if plus == minus:
            self.message.setText("<span style='color:#b00'>A signal minus itself is zero.</span>")
            return False
        a = self.viewer.study.signals[self.file_labels.index(plus)]
        b = self.viewer.study.signals[self.file_labels.index(minus)]
        if a.sfreq_hz != b.sfreq_hz:
            self.message.setText(f"<span style='color:#b00'>{plus} ({a.sfreq_hz:g} Hz) and {minus} "
                                 f"({b.sfreq_hz:g} Hz) have different rates.</span>")
            return False
        mr = MontageRow(plus, minus)
        if self.find_item(mr.label) is not None:
            self.list.setCurrentItem(self.find_item(mr.label))
            return True
        self.kinds.setdefault(plus, self.kinds.get(plus, "other"))
        cur = self.list.currentRow()
        it = self._add_item(mr, at=cur + 1 if cur >= 0 else None)
        self.list.setCurrentItem(it)
        self.message.setText(f"Added {mr.label}.")
        return True

    def _add_clicked(self) -> None:
        self.add_derivation(self.plus.currentText(), self.minus.currentText())

    def remove_current_derivation(self) -> None:
        it = self.list.currentItem()
        if it is not None and it.data(ROLE_ROW).minus:
            self.list.takeItem(self.list.row(it))

    def _reconstruct_clicked(self) -> None:
        it = self.missing.currentItem()
        if it is not None:
            self.reconstruct_requested.emit(int(it.data(ROLE_ROW)))
            self.message.setText(f"Reconstruction of {it.text()[2:]} requested: it appears as a marked "
                                 "⟲ row when the model has rebuilt it.")

    # --- result --------------------------------------------------------------------------
    def montage(self, name: str | None = None) -> Montage:
        nm = (name if name is not None else self.name.text()).strip() or "Unsaved montage"
        chmap = self.viewer.chmap
        return Montage(nm, tuple(self.file_labels), self.rows(),
                       chmap.to_dict() if chmap is not None and chmap.profile else None)

    def apply(self) -> bool:
        try:
            self.viewer.apply_montage(self.montage())
        except UserError as exc:
            self.message.setText(f"<span style='color:#b00'>{exc}</span>")
            return False
        self.applied.emit(self.montage())
        self.message.setText("Applied.")
        return True

    def save(self) -> bool:
        if not self.name.text().strip():
            self.message.setText("<span style='color:#b00'>Give the montage a name first.</span>")
            self.name.setFocus()
            return False
        try:
            path = self.store.save_montage(self.montage())
        except UserError as exc:
            self.message.setText(f"<span style='color:#b00'>{exc}</span>")
            return False
        ok = self.apply()
        if ok:
            self.message.setText(f"Saved '{self.name.text().strip()}' ({path.name}); it opens "
                                 "automatically with files that have these signals.")
        return ok
