"""Shared test set-up: offscreen Qt, isolated settings, paths to ../shared/data."""

import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = (ROOT / ".." / "shared" / "data").resolve()


@pytest.fixture(autouse=True)
def _isolated_settings(tmp_path_factory, monkeypatch):
    """Every test gets its own settings and profile folders: nothing leaks between
    tests or into the user's real configuration."""
    d = tmp_path_factory.mktemp("settings")
    monkeypatch.setenv("PEDSLEEP_SETTINGS_DIR", str(d))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(d / "xdg-config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(d / "xdg-data"))
    monkeypatch.setenv("PEDSLEEP_LOG_DIR", str(d / "logs"))
    monkeypatch.setenv("PEDSLEEP_CACHE_DIR", str(d / "cache"))


@pytest.fixture
def shared_data(tmp_path_factory) -> Path:
    """A private, writable copy of ``../shared/data`` for this test (17 MB, ~40 ms): opening a
    study writes its journal next to it, and no test may write beside the shared originals
    or see a journal another test left there."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real recordings not available: {SHARED_DATA} is absent")
    dest = tmp_path_factory.mktemp("shared-data")
    for src_dir, _dirs, files in os.walk(SHARED_DATA):
        rel = Path(src_dir).relative_to(SHARED_DATA)
        (dest / rel).mkdir(parents=True, exist_ok=True)
        for name in files:
            shutil.copyfile(Path(src_dir) / name, dest / rel / name)
    return dest


@pytest.fixture(autouse=True)
def _pause_gate_let_go():
    """The pause gate (engine.pause_gate) is the process's own: a key a test pressed must
    not leave the next test's jobs waiting."""
    yield
    import sys

    from engine.pause_gate import GATE

    if "gui.input_pause" in sys.modules:  # its timer, started by this test's last key, must not
        from PySide6.QtWidgets import QApplication  # let go a gate the next test holds

        from gui.input_pause import InputPause

        app = QApplication.instance()
        pause = app.findChild(InputPause) if app is not None else None
        if pause is not None:
            pause.timer.stop()
    GATE.release()
