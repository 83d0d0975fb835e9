"""YASA in its own process (the GUI's assistant uses it): the same numbers as in process,
stopped at once by cancel, and a clear refusal when YASA cannot stage what it gets."""

import threading
import time

import numpy as np
import pytest

from engine.channels.mapping import map_study
from engine.io import open_study
from engine.jobs import Progress, Staged
from engine.staging import StagingUnavailable
from engine.staging.yasa_process import yasa_in_child
from engine.staging.yasa_stager import stage_study


def _result(items):
    return next(i.result for i in items if isinstance(i, Staged))


def test_child_process_gives_the_in_process_numbers(shared_data):
    study = open_study(shared_data / "dreams-dev" / "excerpt3.edf")
    chmap = map_study(study)
    items = list(stage_study(study, chmap, isolate=True))
    child, here = _result(items), _result(stage_study(study, chmap))
    np.testing.assert_array_equal(child.proba, here.proba)
    np.testing.assert_array_equal(child.features, here.features)
    assert child.feature_names == here.feature_names and child.channels == here.channels
    fractions = [i.fraction for i in items if isinstance(i, Progress)]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert any("own process" in i.message for i in items if isinstance(i, Progress))
    from engine.staging import yasa_process

    assert yasa_process.last_child_peak_mb is not None and 50 < yasa_process.last_child_peak_mb < 5000


def test_cancel_stops_the_child_at_once(monkeypatch):
    from engine.pause_gate import GATE

    rng = np.random.default_rng(0)
    data = [rng.normal(0, 30, 100 * 3600 * 10)]  # 10 h of noise: seconds of YASA work after its imports
    cancel = threading.Event()
    register = GATE.register_process
    # cancelled as soon as the child has started: far sooner than it could finish
    monkeypatch.setattr(GATE, "register_process", lambda pid: (register(pid), cancel.set()))
    gen = yasa_in_child(data, ["eeg"], ["eeg"], None, cancel)
    t0 = time.perf_counter()
    with pytest.raises(StopIteration) as stop:
        while True:
            next(gen)
    assert cancel.is_set()
    assert stop.value.value is None  # cancelled: no result
    assert time.perf_counter() - t0 < 15  # the poll is 0.1 s
    assert len(data[0]) == 0  # the parent let go of the night once handed over


def test_what_yasa_refuses_is_a_staging_unavailable_note():
    data = [np.zeros(100 * 10)]  # 10 s: not one epoch
    with pytest.raises(StagingUnavailable, match="YASA could not stage"):
        for _ in yasa_in_child(data, ["eeg"], ["eeg"], None):
            pass


def _proc_state(pid: int) -> str:
    from pathlib import Path

    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "gone"


def _until(pred, timeout_s: float = 20.0) -> bool:
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout_s:
        if pred():
            return True
        time.sleep(0.01)
    return pred()


@pytest.mark.skipif(not __import__("sys").platform.startswith("linux"), reason="reads /proc")
def test_the_child_is_stopped_while_the_scorer_acts_and_goes_on_after(monkeypatch):
    """The pause gate (engine.pause_gate) stops the stager's process while held and lets
    it go on; the child is forgotten (never left stopped) when the job ends."""
    from engine.pause_gate import GATE

    pids: list[int] = []
    register = GATE.register_process
    monkeypatch.setattr(GATE, "register_process", lambda pid: (pids.append(pid), register(pid)))
    rng = np.random.default_rng(0)
    data = [rng.normal(0, 30, 100 * 3600 * 10)]  # seconds of work: it is held before it can end
    cancel = threading.Event()
    job = threading.Thread(target=lambda: list(yasa_in_child(data, ["eeg"], ["eeg"], None, cancel)), daemon=True)
    job.start()
    try:
        assert _until(lambda: bool(pids))
        GATE.hold()
        assert _until(lambda: _proc_state(pids[0]) in "Tt")
        GATE.release()
        assert _until(lambda: _proc_state(pids[0]) in "RSD")
        GATE.hold()  # held when the job ends: the child must not stay behind, stopped
        assert _until(lambda: _proc_state(pids[0]) in "Tt")
    finally:
        cancel.set()
        job.join(30)
        GATE.release()
    assert not job.is_alive()
    assert _proc_state(pids[0]) == "gone" and pids[0] not in GATE._pids


def test_the_parent_gives_back_its_freed_heap_before_the_child_starts(monkeypatch):
    """The app and the stager's child peak together while it runs: the night's reads the
    parent has let go are handed back to the system before the child is started."""
    from engine.pause_gate import GATE
    from engine.staging import yasa_process

    order: list[str] = []
    monkeypatch.setattr(yasa_process, "release_free_memory", lambda: order.append("trim") or True)
    register = GATE.register_process
    monkeypatch.setattr(GATE, "register_process", lambda pid: (order.append("child"), register(pid)))
    data = [np.random.default_rng(1).normal(0, 30, 100 * 60 * 10)]  # 10 min
    gen = yasa_in_child(data, ["eeg"], ["eeg"], None)
    with pytest.raises(StopIteration) as stop:
        while True:
            next(gen)
    out = stop.value.value
    assert order == ["trim", "child"] and len(data[0]) == 0
    assert out is not None and out[0].shape[1] == 5
