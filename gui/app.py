"""Application start-up: Qt application, pyqtgraph options, main window, optional study."""

from __future__ import annotations

import os
import sys
import time

import pyqtgraph as pg
from PySide6.QtCore import QEvent, QEventLoop, QObject, QTimer
from PySide6.QtWidgets import QApplication

from gui.gc_pauses import end_startup_gc


def configure_pyqtgraph() -> None:
    pg.setConfigOptions(antialias=False, useOpenGL=False, background="w", foreground="k")


def create_app(argv: list[str] | None = None) -> QApplication:
    app = QApplication.instance() or QApplication(argv or sys.argv)
    app.setApplicationName("PedSleep Assist")
    app.setOrganizationName("PedSleep")
    configure_pyqtgraph()
    return app


def main(argv: list[str] | None = None) -> int:
    import argparse

    from gui.main_window import MainWindow

    argv = list(sys.argv if argv is None else argv)
    parser = argparse.ArgumentParser(prog="main.py", description="PedSleep Assist viewer")
    parser.add_argument("study", nargs="?", help="EDF/BDF recording to open")
    parser.add_argument("--model", help="model file (.safetensors); default: the shipped starter model")
    parser.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"),
                        help="where the model runs (auto: CUDA when present)")
    parser.add_argument("--no-assistant", action="store_true", help="open without model suggestions")
    parser.add_argument("--report-first-page", action="store_true",
                        help="print when the window and the first page were painted (seconds from "
                             "process start) and quit: a start-up benchmark")
    args = parser.parse_args(argv[1:])
    from engine.api import setup_logging

    setup_logging()
    app = create_app(argv[:1])
    win = MainWindow()
    win.assistant.ctl.model_path = args.model
    win.assistant.ctl.device = args.device
    if args.no_assistant:
        win.assistant.enabled_action.setChecked(False)
        win.assistant.ctl.enabled = False
    win.show()
    if args.report_first_page:
        StartupProbe(win, app, quit_after=bool(args.study))
    if args.study:
        # the window is on screen first (empty); then the study opens and its first page is
        # drawn; the model (torch) loads only after that (AssistantController)
        show_now(app, win)
        QTimer.singleShot(0, lambda: win.open_path(args.study))
    end_startup_gc()
    return app.exec()


def show_now(app, win, timeout_s: float = 1.0) -> None:
    """Process events until the window system has exposed and painted ``win`` (at most
    ``timeout_s``): the scorer sees the window before the study's first page is read."""
    deadline = time.perf_counter() + timeout_s
    while time.perf_counter() < deadline:
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)
        handle = win.windowHandle()
        if handle is not None and handle.isExposed():
            app.processEvents()  # its first paint
            return


def seconds_since_process_start() -> float:
    """Wall seconds since this process was started (Linux /proc; 10-ms resolution),
    interpreter start-up and imports included."""
    try:
        with open("/proc/self/stat") as f:
            start_ticks = int(f.read().rsplit(")", 1)[1].split()[19])
        with open("/proc/uptime") as f:
            uptime_s = float(f.read().split()[0])
        return uptime_s - start_ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return float("nan")


class StartupProbe(QObject):
    """Watches the main window and the trace area paint: prints "window S s" at the
    window's first paint and "first page S s" at the first paint with traces, in seconds
    since process start (and the process's CPU seconds: on a busy machine they show what
    an idle one would take); then closes the window (``quit_after``)."""

    def __init__(self, win, app, quit_after: bool = True):
        super().__init__(win)
        self.win, self.app, self.quit_after = win, app, quit_after
        self.window_s: float | None = None
        self.first_page_s: float | None = None
        win.installEventFilter(self)
        win.viewer.signal_view.plot.viewport().installEventFilter(self)

    def eventFilter(self, obj, ev):  # noqa: N802 — Qt's name
        if ev.type() == QEvent.Type.Paint:
            if self.window_s is None:
                self.window_s = seconds_since_process_start()
                print(f"window {self.window_s:.3f} s (cpu {time.process_time():.3f} s)", flush=True)
            if (obj is not self.win and self.first_page_s is None
                    and self.win.viewer.signal_view.n_drawn_points > 0):
                QTimer.singleShot(0, self._page_painted)
                self.first_page_s = -1.0
        return False

    def _page_painted(self) -> None:
        self.first_page_s = seconds_since_process_start()
        print(f"first page {self.first_page_s:.3f} s (cpu {time.process_time():.3f} s)", flush=True)
        if self.quit_after:
            self.win.close()  # cancels the background jobs; the app quits with its last window
