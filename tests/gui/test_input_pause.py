"""The scorer's input pauses background work for the moment of a frame (gui/input_pause.py,
engine.pause_gate): a key press, a wheel turn or a mouse press holds the gate, it is let
go after the last input, and jobs wait at their next step meanwhile."""

from __future__ import annotations

import threading

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication

from engine.pause_gate import GATE
from gui.input_pause import RESUME_MS, install_input_pause
from gui.workers import GeneratorWorker


def test_a_page_key_holds_the_gate_and_it_is_let_go_after_the_last_input(window, night_edf, qtbot):
    assert window.open_path(str(night_edf))
    qtbot.waitUntil(lambda: not GATE.held, timeout=5000)
    n0 = GATE.n_holds
    qtbot.keyClick(window, Qt.Key.Key_PageDown)  # a key bound to an action (ShortcutOverride)
    assert window.viewer.start_s == 30.0
    assert GATE.held and GATE.n_holds == n0 + 1
    qtbot.keyClick(window, Qt.Key.Key_PageDown)  # the next key restarts the same hold
    assert window.viewer.start_s == 60.0 and GATE.n_holds == n0 + 1
    qtbot.waitUntil(lambda: not GATE.held, timeout=5000)
    assert GATE.n_holds == n0 + 1
    assert window.input_pause is install_input_pause()  # one per application
    assert window.input_pause.timer.interval() == RESUME_MS


def _wheel(widget, pos: QPoint, delta: int) -> None:
    ev = QWheelEvent(QPointF(pos), QPointF(widget.mapToGlobal(pos)), QPoint(0, 0), QPoint(0, delta),
                     Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(widget, ev)


def test_a_wheel_turn_and_a_mouse_press_hold_it_too(window, night_edf, qtbot):
    assert window.open_path(str(night_edf))
    vp = window.viewer.signal_view.plot.viewport()
    qtbot.waitUntil(lambda: not GATE.held, timeout=5000)
    _wheel(vp, QPoint(200, 200), -120)
    assert GATE.held and window.viewer.start_s == 30.0
    qtbot.waitUntil(lambda: not GATE.held, timeout=5000)
    qtbot.mousePress(vp, Qt.MouseButton.LeftButton, pos=QPoint(300, 200))
    assert GATE.held
    qtbot.mouseRelease(vp, Qt.MouseButton.LeftButton, pos=QPoint(300, 200))
    qtbot.waitUntil(lambda: not GATE.held, timeout=5000)


def test_a_job_waits_at_its_next_item_while_the_gate_is_held(qtbot):
    steps = []

    def job(cancel):
        for i in range(3):
            if cancel.is_set():  # every cancel check is a pause point too
                return
            steps.append(i)
            yield i

    got, done = [], threading.Event()
    install_input_pause().timer.stop()  # no pending let-go from an earlier key: this test holds the gate
    GATE.hold()
    w = GeneratorWorker(job)
    w.item.connect(lambda rid, x: got.append(x))
    w.finished.connect(lambda rid: done.set())
    w.start()
    qtbot.wait(300)
    assert steps == [] and got == []  # held: the job has not begun its first step
    GATE.release()
    qtbot.waitUntil(done.is_set, timeout=10_000)
    assert got == [0, 1, 2]


def test_cancelling_a_job_that_waits_for_the_gate_ends_it_at_once(qtbot):
    def job(cancel):
        while not cancel.is_set():
            yield 1

    install_input_pause().timer.stop()
    GATE.hold()
    w = GeneratorWorker(job)
    w.start()
    qtbot.wait(50)
    w.cancel(wait_ms=10_000)  # the wait sees the job's own flag, not only the gate
    assert not w.is_running() and GATE.held
    GATE.release()


def test_a_hurried_job_goes_on_while_the_gate_is_held_and_skips_its_start_delay(qtbot):
    def job(cancel):
        for i in range(3):
            if cancel.is_set():
                return
            yield i

    got, done = [], threading.Event()
    install_input_pause().timer.stop()
    GATE.hold()
    try:
        w = GeneratorWorker(job, delay_s=60.0)  # a start delay far longer than the test
        w.item.connect(lambda rid, x: got.append(x))
        w.finished.connect(lambda rid: done.set())
        w.start()
        qtbot.wait(200)
        assert got == [] and not w.hurried
        w.hurry()
        qtbot.waitUntil(done.is_set, timeout=10_000)
        assert got == [0, 1, 2] and GATE.held and w.hurried
    finally:
        GATE.release()


def test_zooming_out_past_two_minutes_builds_the_pyramids_while_the_scorer_acts(window, night_edf, qtbot):
    """The envelope pyramids' build waits while the scorer pages; once the window is
    long, views need them, and it goes on though the gate is held."""
    from gui.viewer.viewer_widget import HURRY_PYRAMIDS_WINDOW_S

    install_input_pause().timer.stop()
    GATE.hold()
    try:
        window.open_path(str(night_edf))
        v = window.viewer
        worker = v.pyramid_worker
        assert worker is not None and not worker.hurried
        v.set_window(60.0)  # a minute: still paging, the build keeps waiting
        assert not worker.hurried
        v.set_window(HURRY_PYRAMIDS_WINDOW_S * 2.5)
        assert worker.hurried
        qtbot.waitUntil(lambda: v.source.pyramids.get(0) is not None, timeout=30_000)
        assert GATE.held  # built while the gate was held all along
    finally:
        GATE.release()
