"""Garbage-collection pauses (issue #16).

A full (generation-2) collection walks every object the collector tracks while holding the
GIL, so the GUI thread stands still for it, whichever thread set it off. Two moments make
most of the long-lived objects:

* **Start-up** (~80–95 k objects: Qt wrappers, pyqtgraph, numpy, the engine). ``main.py``
  turns the collector off while they are made; ``end_startup_gc`` freezes them once the
  window is up and turns collection back on.
* **The model's first load** in the assistant's worker: importing torch adds ~130 k
  tracked objects. Measured on the 10-h file, three full collections ran during torch's
  and scipy's imports and stalled the GUI for 15, 31 and 48 ms while the assistant
  worked. ``making_long_lived`` holds collection off while the model loads (and while the
  rules' first run imports scipy) and freezes what was made: later full collections walk
  only what the session itself makes.

Frozen objects are still freed when their last reference goes; only a reference cycle that
becomes garbage while frozen is not reclaimed. The freeze after the model load takes the
open study's objects with it, so when that study is closed or replaced,
``reclaim_closed_study`` unfreezes everything, collects once (the closed study's cycles and
their arrays go; ~0.13 s, while the next study opens) and freezes the survivors again: what
stays frozen never outlives one study. The import's own garbage (~7 k objects, under 1 MB)
waits for that moment too, instead of a ~70–90-ms collection while the scorer pages.

All three act only in the app as started by ``main.py`` (``managed()``): a test process or
a library caller keeps the interpreter's own collector untouched.
"""

from __future__ import annotations

import gc
from contextlib import contextmanager

_managed = False
_froze_a_study = False  # a freeze since start-up may hold the open study's objects


def managed() -> bool:
    """Start-up turned the collector off and ``end_startup_gc`` took over."""
    return _managed


def end_startup_gc() -> None:
    """Freeze what start-up made and turn the collector back on (a full pass over those
    objects took ~60–100 ms). Nothing happens if gc is on: then nobody turned it off."""
    global _managed
    if not gc.isenabled():
        gc.freeze()
        gc.enable()
        _managed = True


@contextmanager
def making_long_lived():
    """Around code that makes many objects that live as long as the app (importing torch,
    loading the model): no collection meanwhile, then a freeze of everything. The collector
    is back on however the block ends; the freeze only if the block succeeded."""
    if not _managed:
        yield
        return
    global _froze_a_study
    gc.disable()
    try:
        yield
        gc.freeze()
        _froze_a_study = True
    finally:
        gc.enable()


def reclaim_closed_study() -> int:
    """A study was closed: collect what it left in cycles, then freeze the survivors again
    (~0.13 s with torch loaded). Returns the number of objects collected; 0 outside the
    managed app, or when nothing was frozen after start-up (no model loaded)."""
    if not (_managed and _froze_a_study):
        return 0
    gc.unfreeze()
    n = gc.collect()
    gc.freeze()
    return n
