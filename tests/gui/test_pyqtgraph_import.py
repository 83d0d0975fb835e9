"""gui/pyqtgraph_import.py (issue 16): pyqtgraph's Qt mirrors are lazy views of PySide6 —
every name reads the PySide6 object itself, the classes nothing reads are not built at
import, and pyqtgraph draws as before."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

_PROBE = """
import sys
import gui  # registers the mirrors
import pyqtgraph as pg
import PySide6.QtCore, PySide6.QtGui, PySide6.QtWidgets
from pyqtgraph.Qt import QtCore, QtGui, QtWidgets
mirrors = {"QtCore": QtCore, "QtGui": QtGui, "QtWidgets": QtWidgets}
print("lazy:", all(type(m).__name__ == "module" and "__getattr__" in vars(m) for m in mirrors.values()))
print("unbuilt:", "QCalendarWidget" not in vars(QtWidgets) and "QPdfWriter" not in vars(QtGui))
print("version:", QtCore.__version__ == PySide6.QtCore.__version__, pg.Qt.QT_LIB)
same = all(getattr(m, n) is getattr(getattr(PySide6, k), n)
           for k, m in mirrors.items() for n in dir(getattr(PySide6, k)) if not n.startswith("__"))
print("same objects:", same)
print("missing name:", not hasattr(QtCore, "NoSuchQtName"))
app = QtWidgets.QApplication([])
w = pg.PlotWidget()
curve = w.plot([0.0, 1.0, 4.0, 9.0])
w.show()
app.processEvents()
print("drawn:", curve.getData()[1].tolist() == [0.0, 1.0, 4.0, 9.0] and w.isVisible())
"""


def test_pyqtgraph_mirrors_are_lazy_views_of_pyside6(tmp_path):
    r = subprocess.run([sys.executable, "-c", _PROBE], cwd=ROOT, capture_output=True, text=True,
                       timeout=120, env={"QT_QPA_PLATFORM": "offscreen", "HOME": str(tmp_path),
                                         "PATH": "/usr/bin:/bin"})
    assert r.returncode == 0, r.stderr[-2000:]
    out = dict(line.split(": ", 1) for line in r.stdout.splitlines() if ": " in line)
    assert out == {"lazy": "True", "unbuilt": "True", "version": "True PySide6",
                   "same objects": "True", "missing name": "True", "drawn": "True"}, r.stdout


def test_pyqtgraph_already_imported_is_left_alone():
    import pyqtgraph.Qt

    from gui import pyqtgraph_import

    before = pyqtgraph.Qt.QtCore
    assert pyqtgraph_import.prepare() is False  # once pyqtgraph is in, nothing is touched
    assert sys.modules["pyqtgraph.Qt.QtCore"] is before
