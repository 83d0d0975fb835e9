"""The Qt user interface. Importing it first makes Qt's start-up cheaper (issue 16):
PySide6's per-import source scan reads files directly (gui/pyside_feature_scan.py) and
pyqtgraph's Qt mirrors are lazy views of PySide6 (gui/pyqtgraph_import.py)."""

from gui import pyqtgraph_import as _pyqtgraph_import
from gui import pyside_feature_scan as _pyside_feature_scan

_pyside_feature_scan.speed_up()
_pyqtgraph_import.prepare()
