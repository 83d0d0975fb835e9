"""The app in a child process (tests that need a fresh interpreter: main.py's collector
handling, start-up imports): offscreen, with a home, settings and logs of its own."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def isolated_env(tmp_path: Path) -> dict[str, str]:
    return {"QT_QPA_PLATFORM": "offscreen", "HOME": str(tmp_path), "PATH": "/usr/bin:/bin",
            "XDG_CONFIG_HOME": str(tmp_path / "config"),
            "XDG_DATA_HOME": str(tmp_path / "data"),
            "PEDSLEEP_SETTINGS_DIR": str(tmp_path / "settings"),
            "PEDSLEEP_LOG_DIR": str(tmp_path / "logs")}


def run_python(code: str, tmp_path: Path, *args: str, timeout: float = 240) -> subprocess.CompletedProcess:
    """``python -c code args...`` from the repository root in ``isolated_env``."""
    return subprocess.run([sys.executable, "-c", code, *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout, env=isolated_env(tmp_path))
