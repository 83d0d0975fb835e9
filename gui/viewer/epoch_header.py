"""The line above the traces that says where the scorer is and what is decided there:
epoch n/N, its clock time, the scorer's stage and the model's suggestion with its
confidence and source (e.g. "yasa" or "model")."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from engine.api import EPOCH_S
from gui.viewer.time_axis import clock_text

STATE_TEXT = {"model": "pending", "model-accepted": "accepted", "model-rejected": "rejected"}


def suggestion_source(suggestion) -> str:
    """What made a suggestion ("yasa", "pedsleepmae", ...) when the document records it;
    else "model"."""
    return str(getattr(suggestion, "source", "") or "") or "model"


def header_text(doc, epoch: int, n_epochs: int, start_datetime) -> str:
    """Plain text of the header for ``epoch`` (0-based; shown 1-based)."""
    if doc is None or n_epochs <= 0:
        return ""
    epoch = min(max(int(epoch), 0), n_epochs - 1)
    clock = clock_text(start_datetime, epoch * EPOCH_S) if start_datetime else f"{epoch * EPOCH_S:.0f} s"
    info = doc.epoch(epoch)
    you = info.stage.short if int(info.stage) >= 0 else "—"
    parts = [f"Epoch {epoch + 1}/{n_epochs}", clock, f"you {you}"]
    s = info.suggestion
    if s is None:
        parts.append("no model suggestion")
    else:
        state = STATE_TEXT.get(s.state.value, s.state.value)
        parts.append(f"model {s.stage.short} {s.confidence * 100:.0f} % ({suggestion_source(s)}, {state})")
    return "   ·   ".join(parts)


class EpochHeader(QLabel):
    """One bold line; empty while no study is open."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setStyleSheet("QLabel { font-weight: bold; padding: 1px 4px; }")
        self.setToolTip("The epoch the staging keys act on: your stage and the model's suggestion "
                        "(confidence, source, and whether you accepted or rejected it).\n"
                        "A or Enter accepts and advances, X rejects and stays, then type the stage.")

    def show_epoch(self, doc, epoch: int, n_epochs: int, start_datetime) -> None:
        self.setText(header_text(doc, epoch, n_epochs, start_datetime))
