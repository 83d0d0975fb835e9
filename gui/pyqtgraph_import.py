"""Importing pyqtgraph without building every Qt class (issue 16: the first page within 1 s).

pyqtgraph (0.14 here) keeps "mirror" modules ``pyqtgraph.Qt.QtCore``/``QtGui``/``QtWidgets``
and fills them at import with ``_copy_attrs``: ``getattr`` on every name PySide6 lists. PySide6
creates its classes lazily, so that loop builds every class of the three modules (~720
names) and ~430 Python ``enum`` types that nothing here uses: ~0.1–0.2 s of CPU before the
window can appear.

``prepare()`` registers the three mirrors before pyqtgraph is imported, as modules that
look a name up in PySide6 the first time it is read (and keep it, like the copy did). While
pyqtgraph's ``_copy_attrs`` asks whether a mirror already has a class name, the answer is
yes, so the class is not built then; dunder names (``__version__``, ``__dir__``…) are
copied as before. Everything pyqtgraph (or anyone) reads from a mirror is the PySide6
object itself, exactly as after the copy. If pyqtgraph is already imported, or its layout
differs, nothing is changed and pyqtgraph imports as usual (only slower).
"""

from __future__ import annotations

import importlib.util
import os
import sys
import types

_MIRRORED = ("QtCore", "QtGui", "QtWidgets")
_COPY_FUNCTION = "_copy_attrs"  # pyqtgraph/Qt/__init__.py


def _mirror(source: types.ModuleType, spec) -> types.ModuleType:
    mirror = types.ModuleType(spec.name)
    mirror.__file__ = spec.origin
    mirror.__path__ = list(spec.submodule_search_locations or [])
    mirror.__spec__ = spec
    mirror.__package__ = spec.name

    def __getattr__(attr: str):  # noqa: N807 — PEP 562 module __getattr__
        if not attr.startswith("__"):
            caller = sys._getframe(1)
            if (caller.f_code.co_name == _COPY_FUNCTION
                    and caller.f_globals.get("__name__") == "pyqtgraph.Qt"):
                return None  # "the mirror has it": pyqtgraph's copy does not build it now
        value = getattr(source, attr)  # AttributeError passes through, as for a plain module
        if not attr.startswith("__"):
            setattr(mirror, attr, value)  # read once from PySide6, then a plain attribute
        return value

    mirror.__getattr__ = __getattr__  # type: ignore[method-assign]
    return mirror


def prepare() -> bool:
    """Register pyqtgraph's Qt mirrors as lazy views of PySide6 (before pyqtgraph is
    imported). Returns whether they were registered."""
    if "pyqtgraph" in sys.modules or "pyqtgraph.Qt" in sys.modules:
        return False
    if os.environ.get("PYQTGRAPH_QT_LIB", "PySide6") != "PySide6" or any(
            lib in sys.modules for lib in ("PyQt5", "PyQt6", "PySide2")):
        return False  # pyqtgraph would pick another binding than the one mirrored here
    try:
        import PySide6.QtCore
        import PySide6.QtGui
        import PySide6.QtWidgets
    except ImportError:
        return False
    try:
        package = importlib.util.find_spec("pyqtgraph")  # finds it, imports nothing
    except (ImportError, ValueError):
        return False
    if package is None or not package.submodule_search_locations:
        return False
    root = list(package.submodule_search_locations)[0]
    specs = {}
    for name in _MIRRORED:
        full = f"pyqtgraph.Qt.{name}"
        folder = f"{root}/Qt/{name}"
        spec = importlib.util.spec_from_file_location(full, f"{folder}/__init__.py",
                                                      submodule_search_locations=[folder])
        if full in sys.modules or spec is None or not spec.origin or not _is_empty_file(spec.origin):
            return False  # not the layout this was written for: leave pyqtgraph alone
        specs[name] = spec
    for name in _MIRRORED:
        sys.modules[f"pyqtgraph.Qt.{name}"] = _mirror(getattr(PySide6, name), specs[name])
    return True


def _is_empty_file(path: str) -> bool:
    """pyqtgraph's mirror packages are empty ``__init__.py`` files: anything else means a
    pyqtgraph this module does not know."""
    try:
        with open(path, "rb") as f:
            return not f.read(1)
    except OSError:
        return False
