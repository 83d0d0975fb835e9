"""Persistent user settings (QSettings in an INI file): recent files, window layout,
view choices. ``PEDSLEEP_SETTINGS_DIR`` overrides the folder (tests use it)."""

from __future__ import annotations

import os

from PySide6.QtCore import QSettings

MAX_RECENT = 10


def app_settings() -> QSettings:
    folder = os.environ.get("PEDSLEEP_SETTINGS_DIR")
    if folder:
        return QSettings(os.path.join(folder, "pedsleep-assist.ini"), QSettings.Format.IniFormat)
    return QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, "PedSleep", "PedSleep Assist")


def recent_files(s: QSettings) -> list[str]:
    v = s.value("recent_files", [])
    if isinstance(v, str):
        v = [v]
    return [p for p in (v or []) if isinstance(p, str)]


def add_recent(s: QSettings, path: str) -> list[str]:
    path = os.path.abspath(path)
    items = [p for p in recent_files(s) if p != path]
    items.insert(0, path)
    items = items[:MAX_RECENT]
    s.setValue("recent_files", items)
    return items
