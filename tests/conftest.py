"""Shared test set-up: offscreen Qt, isolated settings, paths to ../shared/data."""

import os
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


@pytest.fixture
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real recordings not available: {SHARED_DATA} is absent")
    return SHARED_DATA
