"""The Qt user interface. Importing it first registers pyqtgraph's Qt mirrors as lazy
views of PySide6 (gui/pyqtgraph_import.py: ~0.1–0.2 s less start-up)."""

from gui import pyqtgraph_import as _pyqtgraph_import

_pyqtgraph_import.prepare()
