"""Application start-up: Qt application, pyqtgraph options, main window, optional study."""

from __future__ import annotations

import sys

import pyqtgraph as pg
from PySide6.QtWidgets import QApplication


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
    if args.study:
        win.open_path(args.study)
    return app.exec()
