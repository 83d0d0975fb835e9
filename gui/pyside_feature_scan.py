"""PySide6's per-import source scan, made cheap (issue 16: the first page within 1 s).

Once PySide6 is loaded, every module imported after it is passed to
``shibokensupport.feature._mod_uses_pyside``, which asks whether the module's source
contains "PySide6" (to decide whether ``from __feature__ import …`` switching applies to
it). It reads the source with ``inspect.getsource``, whose ``getmodule`` walks all of
``sys.modules`` on every call: ~450 modules at start-up (pyqtgraph, numpy, ours), ~0.15 s of
CPU before the window appears.

``speed_up()`` answers the same question for a module loaded from a ``.py`` file by reading
that file (the text ``inspect.getsource`` returns for a module is the whole file); any other
module (extension, zip, no file, unreadable) still goes to PySide6's own check. If PySide6's
internals differ, nothing is changed.
"""

from __future__ import annotations

import sys

_MARK = "_pedsleep_reads_file"


def speed_up() -> bool:
    """Replace PySide6's source scan by a direct file read. Returns whether it did."""
    try:
        import shiboken6  # noqa: F401 — loads shibokensupport
    except ImportError:
        return False
    feature = sys.modules.get("shibokensupport.feature")
    original = getattr(feature, "_mod_uses_pyside", None)
    if original is None or not callable(original):
        return False
    if getattr(original, _MARK, False):
        return True

    def _mod_uses_pyside(module) -> bool:
        path = getattr(module, "__file__", None)
        if isinstance(path, str) and path.endswith(".py"):
            try:
                with open(path, "rb") as f:
                    return b"PySide6" in f.read()
            except OSError:
                pass
        return bool(original(module))

    setattr(_mod_uses_pyside, _MARK, True)
    feature._mod_uses_pyside = _mod_uses_pyside  # type: ignore[union-attr]
    return True
