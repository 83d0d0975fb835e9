"""The scorer's input pauses the background for the moment of a frame (engine.pause_gate).

One event filter on the application sees every key press, wheel turn and mouse press (or
drag) before any widget: it holds the gate at once and lets it go ``RESUME_MS`` after the
last such input. The frame a key press asks for (~13 ms for a 30-s page on the reference
machine) and the next page's prefetch that follows it run while the model's thread waits
at its next block and the YASA stager's process is stopped; at a scorer's pace (a page
every 0.3 s or slower) the background keeps more than half of the time, and a key held
down pauses it until the key is let go (at most ``MAX_WAIT_S`` per step for threads).
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication

from engine.api import GATE, PauseGate

RESUME_MS = 150
# a key bound to an action arrives as ShortcutOverride (and Shortcut), never as KeyPress
_INPUT = frozenset({QEvent.Type.KeyPress, QEvent.Type.ShortcutOverride, QEvent.Type.Shortcut, QEvent.Type.Wheel, QEvent.Type.MouseButtonPress,
                    QEvent.Type.MouseButtonDblClick, QEvent.Type.TouchBegin, QEvent.Type.TouchUpdate})


class InputPause(QObject):
    """Holds ``gate`` from each input event until ``resume_ms`` after the last one."""

    def __init__(self, parent: QObject | None = None, gate: PauseGate = GATE, resume_ms: int = RESUME_MS):
        super().__init__(parent)
        self.gate = gate
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(resume_ms)
        self.timer.timeout.connect(gate.release)

    def eventFilter(self, obj, ev):  # noqa: N802 — Qt's name
        t = ev.type()
        if t in _INPUT or (t == QEvent.Type.MouseMove and ev.buttons()):
            self.gate.hold()
            self.timer.start()  # restarted by every input: let go after the last one
        return False

    def release_now(self) -> None:
        self.timer.stop()
        self.gate.release()


def install_input_pause(app: QApplication | None = None) -> InputPause:
    """The application's one InputPause (installed on first call)."""
    app = app or QApplication.instance()
    existing = app.findChild(InputPause)
    if existing is not None:
        return existing
    pause = InputPause(app)
    app.installEventFilter(pause)
    app.aboutToQuit.connect(pause.release_now)  # never leave a child stopped
    return pause
