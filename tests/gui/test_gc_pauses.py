"""Garbage-collection pauses (issue #16, gui/gc_pauses.py): the model's load (torch) is made
with the collector off and frozen after it; a closed study's cycles are collected when the
next one opens. Only in the app started by main.py: a test process keeps its collector."""

import gc
import weakref

import pytest

import gui.gc_pauses as gp
from tests.helpers.app_process import run_python


class Node:
    def __init__(self):
        self.me = self  # a reference cycle: only the collector frees it


@pytest.fixture
def managed(monkeypatch):
    """As if main.py had started the app; every freeze undone afterwards."""
    monkeypatch.setattr(gp, "_managed", True)
    monkeypatch.setattr(gp, "_froze_a_study", False)
    yield
    gc.unfreeze()
    gc.enable()


def test_outside_the_app_the_collector_is_left_alone():
    assert not gp.managed()
    before = gc.get_freeze_count()
    with gp.making_long_lived():
        assert gc.isenabled()
    assert gc.get_freeze_count() == before
    assert gp.reclaim_closed_study() == 0
    assert gc.isenabled() and gc.get_freeze_count() == before


def test_long_lived_objects_are_made_without_collections_then_frozen(managed):
    before = gc.get_freeze_count()
    with gp.making_long_lived():
        assert not gc.isenabled()
        made = [Node() for _ in range(1000)]
    assert gc.isenabled()
    assert gc.get_freeze_count() >= before + 1000
    del made


def test_a_failed_load_turns_the_collector_back_on_and_freezes_nothing(managed):
    before = gc.get_freeze_count()
    with pytest.raises(RuntimeError):
        with gp.making_long_lived():
            raise RuntimeError("not a model file")
    assert gc.isenabled()
    assert gc.get_freeze_count() == before
    assert gp.reclaim_closed_study() == 0  # nothing was frozen with a study in it


def test_a_closed_studys_cycles_are_collected_when_the_next_study_opens(managed):
    with gp.making_long_lived():
        closed = Node()
        kept = Node()
    gone = weakref.ref(closed)
    del closed
    gc.collect()
    assert gone() is not None  # frozen: ordinary collections skip it (the hazard)
    assert gp.reclaim_closed_study() >= 1
    assert gone() is None
    assert gc.isenabled() and gc.get_freeze_count() > 0  # the survivors are frozen again
    assert kept.me is kept


APP = r"""
import gc; gc.disable()  # as main.py does
import sys, time, weakref
from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtWidgets import QApplication
app = QApplication(sys.argv)
from engine.channels.profiles import ProfileStore
from gui.app import configure_pyqtgraph
import gui.gc_pauses as gp
from tests.helpers.app_process import run_python
from gui.main_window import MainWindow
a, b, settings = sys.argv[1:4]
configure_pyqtgraph()
w = MainWindow(profiles=ProfileStore(settings)); w.show(); app.processEvents()
gp.end_startup_gc()
at_start = gc.get_freeze_count()
w.open_path(a)
t = time.perf_counter()
while w.assistant.ctl.runner is None and time.perf_counter() - t < 120:
    app.processEvents(); time.sleep(0.01)
print("runner loaded:", w.assistant.ctl.runner is not None)
print("frozen with torch:", gc.isenabled(), gc.get_freeze_count() - at_start > 100_000)
old = weakref.ref(w.viewer.study)
fulls = []
gc.callbacks.append(lambda phase, info: fulls.append(info) if phase == "stop" and info["generation"] == 2 else None)
QTimer.singleShot(0, lambda: w.open_path(b))
t = time.perf_counter()
while time.perf_counter() - t < 30:  # the event loop runs: deferred deletes, cancelled jobs ending
    loop = QEventLoop()
    QTimer.singleShot(200, loop.quit)
    loop.exec()
    if w.viewer.study.path == b and old() is None:
        break
print("switched:", w.viewer.study.path == b, old() is None, gc.isenabled(),
      any(f["collected"] > 0 for f in fulls), flush=True)
w.close()  # stops the jobs (the window's close waits for them)
"""


def test_the_app_freezes_torch_and_frees_a_closed_study(tmp_path):
    """The app as main.py runs it, the assistant on: once the model is loaded, torch's
    objects are frozen and the collector is on; opening another study frees the first one
    and runs a collection that reclaims the cycles left."""
    from tests.helpers.edf_factory import psg_signals, write_edf

    a, b = tmp_path / "a.edf", tmp_path / "b.edf"
    for p in (a, b):
        write_edf(p, psg_signals(128.0), n_records=600)
    r = run_python(APP, tmp_path, str(a), str(b), str(tmp_path / "profiles"))
    assert r.returncode == 0, r.stderr[-2000:]
    assert "runner loaded: True" in r.stdout, r.stdout + r.stderr[-1000:]
    assert "frozen with torch: True True" in r.stdout, r.stdout
    assert "switched: True True True True" in r.stdout, r.stdout
