"""While the model's pass runs, its document changes reach the panels at most twice a
second instead of once per batch.

Each batch of suggestions changes the document (stage suggestions, suggested events),
and every change redraws whole-night panels: the hypnogram's blocks, the hypnodensity
image, the event list, the overlay. Once per batch (every ~0.15 s of model time) that
steals frames from the scorer's page flips. Held, the model's own changes (labelled
"Model …" by the document) are merged and passed on every ``INTERVAL_MS``; anything else
(the scorer's edits, undo) passes at once, after whatever is pending.
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import QObject, QTimer

INTERVAL_MS = 500


def is_model_change(change) -> bool:
    return change.reason == "edit" and change.label.startswith("Model ")


def _union(a, b):
    if a is None:
        return b
    if b is None:
        return a
    return (min(a[0], b[0]), max(a[1], b[1]))


def merge_changes(a, b):
    """One change covering both (epoch ranges joined, event ids united)."""
    if a is None:
        return b
    return replace(a, label="Model suggestions", epochs=_union(a.epochs, b.epochs),
                   suggestion_epochs=_union(a.suggestion_epochs, b.suggestion_epochs),
                   event_ids=a.event_ids | b.event_ids, lights=a.lights or b.lights)


class ModelChangeThrottle(QObject):
    """Sits between a document's subscription and ``emit`` (a Qt signal's emit)."""

    def __init__(self, emit, parent=None, interval_ms: int = INTERVAL_MS):
        super().__init__(parent)
        self._emit = emit
        self.held = False
        self._pending = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.flush)

    def push(self, change) -> None:
        if self.held and is_model_change(change):
            self._pending = merge_changes(self._pending, change)
            if not self._timer.isActive():
                self._timer.start()
            return
        self.flush()
        self._emit(change)

    def flush(self) -> None:
        self._timer.stop()
        pending, self._pending = self._pending, None
        if pending is not None:
            self._emit(pending)

    def hold(self, on: bool) -> None:
        """Hold the model's changes (a pass begins) or pass everything pending on."""
        self.held = bool(on)
        if not on:
            self.flush()

    def drop(self) -> None:
        """Forget what is pending (the document is closing)."""
        self._timer.stop()
        self._pending = None
