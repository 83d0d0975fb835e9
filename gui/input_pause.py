"""The scorer's input pauses the background (engine.pause_gate).

One event filter on the application sees every key press, wheel turn and mouse press (or
drag) before any widget: it holds the gate at once and lets it go ``RESUME_MS`` after the
last such input. While it is held the model's thread waits at its next pause point and
the YASA stager's process is stopped, so the frames a scorer pages through never share
the machine with them.

Why half a second, measured from outside on the 2-core reference box (a CPU-bound process
stopped at each key press and continued N ms later, pages every ~0.43 s): N = 150 ms gave
17-21 ms flips, 600 or 1000 ms gave 13-14 ms, the same as with nothing in the background
— work that ran in the fraction of a second before a key press still slowed its frame. So
while the scorer pages faster than about twice a second the background waits; it goes on
half a second after the last key (at most ``MAX_WAIT_S`` per step for a thread if a key is
held down).
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication

from engine.api import GATE, PauseGate

RESUME_MS = 500
# a key bound to an action arrives as ShortcutOverride (and Shortcut), never as KeyPress
_INPUT = frozenset({
    QEvent.Type.KeyPress, QEvent.Type.ShortcutOverride, QEvent.Type.Shortcut, QEvent.Type.Wheel,
    QEvent.Type.MouseButtonPress, QEvent.Type.MouseButtonDblClick, QEvent.Type.TouchBegin,
    QEvent.Type.TouchUpdate,
})


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
