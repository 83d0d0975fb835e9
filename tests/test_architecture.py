"""docs/architecture.md rule 1: engine/ never imports Qt — checked on the source and at run time."""

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
QT = ("PySide6", "PyQt5", "PyQt6", "pyqtgraph", "qtpy", "shiboken6")


def test_engine_sources_import_no_qt():
    bad = []
    for py in (ROOT / "engine").rglob("*.py"):
        tree = ast.parse(py.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            bad += [f"{py.relative_to(ROOT)}: {n}" for n in names if n.split(".")[0] in QT]
    assert not bad, "engine/ imports Qt:\n" + "\n".join(bad)


def test_importing_the_engine_loads_no_qt():
    code = ("import sys, pkgutil, importlib, engine\n"
            "for m in pkgutil.walk_packages(engine.__path__, 'engine.'):\n"
            "    importlib.import_module(m.name)\n"
            f"bad = [m for m in sys.modules if m.split('.')[0] in {QT!r}]\n"
            "print(bad); sys.exit(1 if bad else 0)")
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr


def test_gui_reaches_the_engine_only_through_its_facade():
    """docs/architecture.md rule 2: gui/ imports engine.api, nothing deeper."""
    bad = []
    for py in (ROOT / "gui").rglob("*.py"):
        for node in ast.walk(ast.parse(py.read_text(encoding="utf-8"))):
            mods = []
            if isinstance(node, ast.ImportFrom) and node.module:
                mods = [node.module]
            elif isinstance(node, ast.Import):
                mods = [a.name for a in node.names]
            bad += [f"{py.relative_to(ROOT)}: {m}" for m in mods
                    if m.split(".")[0] == "engine" and m != "engine.api"]
    assert not bad, "gui/ bypasses engine.api:\n" + "\n".join(bad)
