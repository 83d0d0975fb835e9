"""The pause gate: background work waits while the scorer acts (engine.pause_gate)."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from engine.pause_gate import PauseGate, PausingCancel, pause_points


def _in_thread(fn):
    """Run ``fn`` in a thread; returns (thread, done event, result list)."""
    done, out = threading.Event(), []

    def run():
        out.append(fn())
        done.set()

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t, done, out


def test_a_clear_gate_costs_nothing_and_the_main_thread_never_waits():
    gate = PauseGate()
    assert gate.wait_clear() == 0.0
    gate.hold()
    assert gate.held and gate.n_holds == 1
    assert gate.wait_clear() == 0.0  # main thread: the GUI's own, never paused
    gate.hold()  # idempotent
    assert gate.n_holds == 1
    gate.release()
    assert not gate.held


def test_a_job_thread_waits_while_the_gate_is_held_and_goes_on_when_let_go():
    gate = PauseGate()
    gate.hold()
    started = threading.Event()

    def job():
        started.set()
        return gate.wait_clear(max_wait_s=30.0)

    t, done, out = _in_thread(job)
    assert started.wait(10)
    assert not done.wait(0.2)  # held: still waiting
    gate.release()
    assert done.wait(10)
    assert out[0] >= 0.2


def test_cancel_and_the_longest_wait_end_a_wait_while_still_held():
    gate = PauseGate()
    gate.hold()
    flag = threading.Event()
    t, done, _ = _in_thread(lambda: gate.wait_clear(flag, max_wait_s=30.0))
    flag.set()
    assert done.wait(10) and gate.held
    t, done, out = _in_thread(lambda: gate.wait_clear(max_wait_s=0.05))
    assert done.wait(10) and gate.held and out[0] >= 0.05
    # the flag bound to the thread (gui.workers binds each job's) ends its waits too
    bound = threading.Event()

    def job():
        gate.bind_cancel(bound)
        return gate.wait_clear(max_wait_s=30.0)

    t, done, _ = _in_thread(job)
    bound.set()
    assert done.wait(10) and gate.held


def test_a_job_the_scorer_waits_for_does_not_wait_for_the_gate():
    gate = PauseGate()
    gate.hold()
    urgent = threading.Event()
    waiting = threading.Event()

    def job():
        gate.bind_urgent(urgent)
        waiting.set()
        first = gate.wait_clear(max_wait_s=30.0)  # held, not urgent yet: waits
        second = gate.wait_clear(max_wait_s=30.0)  # urgent now: does not wait
        return first, second

    t, done, out = _in_thread(job)
    assert waiting.wait(10) and not done.wait(0.2)
    urgent.set()  # hurried while it waits: the wait ends
    assert done.wait(10) and gate.held
    assert out[0][0] >= 0.2 and out[0][1] < 0.1
    # another thread, not hurried, still waits
    t, done, _ = _in_thread(lambda: gate.wait_clear(max_wait_s=30.0))
    assert not done.wait(0.2)
    gate.release()
    assert done.wait(10)


def test_a_pausing_cancel_is_a_pause_point_that_reports_the_flag():
    gate = PauseGate()
    flag = threading.Event()
    c = PausingCancel(flag, gate)
    assert c.is_set() is False
    gate.hold()
    t, done, out = _in_thread(c.is_set)
    assert not done.wait(0.2)  # waits for the gate first
    gate.release()
    assert done.wait(10) and out == [False]
    c.set()
    assert flag.is_set() and c.is_set() and c.wait(0)


def _state(pid: int) -> str:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]


def _wait_state(pid: int, want, timeout_s: float = 10.0) -> str:
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout_s:
        s = _state(pid)
        if s in want:
            return s
        time.sleep(0.01)
    return _state(pid)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_registered_child_process_is_stopped_while_held_and_never_left_stopped():
    gate = PauseGate()
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        gate.register_process(child.pid)
        gate.hold()
        assert _wait_state(child.pid, "Tt") in "Tt"
        gate.release()
        assert _wait_state(child.pid, "SR") in "SR"
        gate.hold()
        assert _wait_state(child.pid, "Tt") in "Tt"
        gate.unregister_process(child.pid)  # the job ends while held: the child goes on
        assert _wait_state(child.pid, "SR") in "SR"
        gate.release()
        # registered while the gate is held: stopped at once
        gate.hold()
        gate.register_process(child.pid)
        assert _wait_state(child.pid, "Tt") in "Tt"
    finally:
        child.kill()  # SIGKILL ends a stopped process too
        child.wait(10)
    gate.release()  # a child already gone is no error
    gate.unregister_process(child.pid)


def test_the_models_layers_wait_for_the_gate_once_each():
    torch = pytest.importorskip("torch")
    import engine.pause_gate as pause_gate

    model = torch.nn.Sequential(torch.nn.Linear(4, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    assert pause_points(model, (torch.nn.Linear,)) == 2
    assert pause_points(model, (torch.nn.Linear,)) == 2
    assert sum(len(m._forward_pre_hooks) for m in model.modules()) == 2  # not twice
    pause_gate.GATE.hold()
    try:
        t, done, out = _in_thread(lambda: model(torch.zeros(1, 4)).shape)
        assert not done.wait(0.2)  # the forward waits at its first layer
    finally:
        pause_gate.GATE.release()
    assert done.wait(10) and tuple(out[0]) == (1, 2)


def test_the_shipped_models_attention_and_mlp_layers_are_pause_points():
    pytest.importorskip("torch")
    from engine.inference.runner import ModelRunner
    from engine.model.mae import Attention, Mlp

    runner = ModelRunner.load(device="cpu")
    layers = [m for m in runner.model.modules() if isinstance(m, (Attention, Mlp))]
    assert layers and all(len(m._forward_pre_hooks) == 1 for m in layers)
    ModelRunner(runner.loaded, device="cpu")  # a second runner on the same model adds none
    assert all(len(m._forward_pre_hooks) == 1 for m in layers)


def test_streaming_a_study_waits_for_the_gate_between_blocks(tmp_path):
    """Study.iter_blocks (the rules', the stager's and the pyramid's whole-night reads) is
    a pause point per block in a job thread."""
    import engine.pause_gate as pause_gate
    from engine.io import open_study
    from tests.helpers.edf_factory import psg_signals, write_edf

    p = tmp_path / "night.edf"
    write_edf(p, psg_signals(64.0), n_records=120)
    study = open_study(p)
    blocks = []

    def stream():
        for r0, _block in study.iter_blocks(block_s=30.0):
            blocks.append(r0)
        return len(blocks)

    pause_gate.GATE.hold()
    try:
        t, done, out = _in_thread(stream)
        assert not done.wait(0.2) and blocks == []  # waits before its first block
    finally:
        pause_gate.GATE.release()
    assert done.wait(10) and out == [4] and blocks == [0, 30, 60, 90]
    pause_gate.GATE.hold()
    try:  # held, on the main thread (a command's, the GUI's): no wait
        assert [r0 for r0, _ in study.iter_blocks(block_s=30.0)] == [0, 30, 60, 90]
    finally:
        pause_gate.GATE.release()
    study.close()


def test_the_scorer_counts_as_active_while_held_and_for_a_while_after():
    gate = PauseGate()
    assert not gate.active_within(3.0)
    gate.hold()
    assert gate.active_within(0.0)  # held
    gate.last_active -= 100.0  # a hold that has lasted long: still active while held
    assert gate.active_within(3.0)
    gate.release()
    assert gate.active_within(3.0) and not gate.active_within(0.0)
