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


def test_cancel_stops_the_child_at_once():
    rng = np.random.default_rng(0)
    data = [rng.normal(0, 30, 100 * 3600 * 4)]  # 4 h of noise: tens of seconds of YASA work
    cancel = threading.Event()
    gen = yasa_in_child(data, ["eeg"], ["eeg"], None, cancel)
    timer = threading.Timer(1.0, cancel.set)
    timer.start()
    t0 = time.perf_counter()
    with pytest.raises(StopIteration) as stop:
        while True:
            next(gen)
    assert stop.value.value is None  # cancelled: no result
    assert time.perf_counter() - t0 < 15  # YASA alone would take far longer; the poll is 0.1 s
    assert len(data[0]) == 0  # the parent let go of the night once handed over


def test_what_yasa_refuses_is_a_staging_unavailable_note():
    data = [np.zeros(100 * 10)]  # 10 s: not one epoch
    with pytest.raises(StagingUnavailable, match="YASA could not stage"):
        for _ in yasa_in_child(data, ["eeg"], ["eeg"], None):
            pass
