"""gui/pyside_feature_scan.py (issue 16): PySide6's "does this module use PySide6?" check
gives the same answer as PySide6's own, for every module loaded at start-up and for new ones."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

_PROBE = """
import sys
sys.path.insert(0, {tmp!r})
import gui  # installs the direct file read
import gui.main_window  # the start-up imports: pyqtgraph, numpy, the engine, the GUI
feature = sys.modules["shibokensupport.feature"]
fast = feature._mod_uses_pyside
original = [c.cell_contents for c in fast.__closure__ if callable(c.cell_contents)][0]
import uses_qt, no_qt
mods = [m for m in list(sys.modules.values()) if m is not None]
print("checked:", len(mods) > 300)
print("same:", [m.__name__ for m in mods if fast(m) != original(m)])
print("verdicts:", feature.pyside_feature_dict.get("uses_qt"), feature.pyside_feature_dict.get("no_qt"))
"""


def test_fast_scan_answers_as_pyside6_does(tmp_path):
    (tmp_path / "uses_qt.py").write_text("import PySide6.QtCore\nX = 1\n", encoding="utf-8")
    (tmp_path / "no_qt.py").write_text("# café, no Qt here\nY = 2\n", encoding="utf-8")
    r = subprocess.run([sys.executable, "-c", _PROBE.format(tmp=str(tmp_path))], cwd=ROOT,
                       capture_output=True, text=True, timeout=120,
                       env={"QT_QPA_PLATFORM": "offscreen", "HOME": str(tmp_path), "PATH": "/usr/bin:/bin"})
    assert r.returncode == 0, r.stderr[-2000:]
    out = dict(line.split(": ", 1) for line in r.stdout.splitlines() if ": " in line)
    assert out == {"checked": "True", "same": "[]", "verdicts": "0 -1"}, r.stdout


def test_installing_twice_keeps_one_wrapper():
    import shiboken6  # noqa: F401

    from gui import pyside_feature_scan

    assert pyside_feature_scan.speed_up()
    first = sys.modules["shibokensupport.feature"]._mod_uses_pyside
    assert pyside_feature_scan.speed_up()
    assert sys.modules["shibokensupport.feature"]._mod_uses_pyside is first
