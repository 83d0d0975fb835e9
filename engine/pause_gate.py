"""Background work steps aside while the scorer acts (issue 16).

Measured from outside on the 2-core reference machine (scripts/bench_compare.py), any
CPU-bound background work costs the scorer's 30-s flip ~60 %, whatever its priority: a bare
``while 1: pass`` at nice 19 took the flip from 12.8 to 21 ms, the same process stopped
(SIGSTOP) gave 13.8 ms. Niceness and thread limits share the CPU; they do not give the
frame the machine. So the background *pauses* while the scorer pages:

- the GUI holds the gate at every key press, wheel turn or mouse press and lets it go
  half a second after the last one (gui/input_pause.py);
- job threads wait at their next pause point while it is held: between the items a job
  yields and at every check of its cancel flag (gui/workers.py hands each job a
  ``PausingCancel``), before each attention and MLP layer of the model (``pause_points``),
  per block of a study's whole-night stream and per channel of the model's read;
- child processes registered here (the YASA stager) are stopped with SIGSTOP while it
  is held and continued with SIGCONT when it is let go.

No wait is unbounded: a job's own cancel flag (``bind_cancel``) ends a wait at once, and a
thread never waits longer than ``MAX_WAIT_S`` at one step, so a key held down slows the
background but never stops it for good. A job the scorer is waiting for does not wait at
all: its thread's "urgent" flag (``bind_urgent``; ``GeneratorWorker.hurry``) is set, e.g.
the envelope pyramids once the scorer zooms out to long windows, which need them. Without
a GUI (the CLI, training) nobody holds the gate and every check is one ``Event.is_set``.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from typing import Any

MAX_WAIT_S = 10.0  # the longest one step of a job waits for the gate (a key held down)
_POLL_S = 0.02  # a waiting thread looks at its cancel flag this often


class PauseGate:
    """Held while the scorer acts; background work waits at its next step."""

    def __init__(self) -> None:
        self._clear = threading.Event()
        self._clear.set()
        self._lock = threading.Lock()
        self._pids: set[int] = set()
        self._stopped: set[int] = set()
        self._local = threading.local()
        self.n_holds = 0  # how many times it was taken (tests, benchmarks)
        self.last_active = -1e9  # time.monotonic() when it was last taken or let go

    def active_within(self, seconds: float) -> bool:
        """The scorer acted in the last ``seconds`` (held now, or let go since)."""
        return self.held or time.monotonic() - self.last_active < seconds

    # --- the GUI side --------------------------------------------------------------------
    @property
    def held(self) -> bool:
        return not self._clear.is_set()

    def hold(self) -> None:
        """Pause the background now (idempotent): registered children are stopped."""
        with self._lock:
            if not self._clear.is_set():
                return
            self._clear.clear()
            self.n_holds += 1
            self.last_active = time.monotonic()
            for pid in self._pids:
                if _signal(pid, signal.SIGSTOP):
                    self._stopped.add(pid)

    def release(self) -> None:
        """Let the background go on (idempotent): stopped children continue."""
        with self._lock:
            for pid in self._stopped:
                _signal(pid, signal.SIGCONT)
            self._stopped.clear()
            if not self._clear.is_set():
                self.last_active = time.monotonic()
            self._clear.set()

    # --- the background side ---------------------------------------------------------------
    def register_process(self, pid: int) -> None:
        """A child process to stop while the gate is held (stopped now if it is)."""
        with self._lock:
            self._pids.add(pid)
            if not self._clear.is_set() and _signal(pid, signal.SIGSTOP):
                self._stopped.add(pid)

    def unregister_process(self, pid: int) -> None:
        """Forget a child; it is continued first if the gate had stopped it (a stopped
        process must never be left behind)."""
        with self._lock:
            self._pids.discard(pid)
            if pid in self._stopped:
                self._stopped.discard(pid)
                _signal(pid, signal.SIGCONT)

    def bind_cancel(self, cancel: Any) -> None:
        """This thread's job cancel flag (``is_set()``), which ends its waits at once."""
        self._local.cancel = cancel

    def bind_urgent(self, urgent: Any) -> None:
        """This thread's "the scorer waits for this job" flag (``is_set()``): once it is
        set, the thread no longer waits for the gate."""
        self._local.urgent = urgent

    def wait_clear(self, cancel: Any = None, max_wait_s: float = MAX_WAIT_S) -> float:
        """Block while the gate is held, at most ``max_wait_s``, or until ``cancel`` (or
        the flag bound to this thread) is set; returns the seconds waited. Never waits on
        the main thread (the GUI's, or a command's that nobody pauses)."""
        if self._clear.is_set() or threading.current_thread() is threading.main_thread():
            return 0.0
        cancel = cancel if cancel is not None else getattr(self._local, "cancel", None)
        urgent = getattr(self._local, "urgent", None)
        t0 = time.monotonic()
        deadline = t0 + max_wait_s
        while not self._clear.is_set():
            if (cancel is not None and cancel.is_set()) or (urgent is not None and urgent.is_set()):
                break
            left = deadline - time.monotonic()
            if left <= 0:
                break
            self._clear.wait(min(_POLL_S, left))
        return time.monotonic() - t0


def _signal(pid: int, sig: int) -> bool:
    try:
        os.kill(pid, sig)
        return True
    except (ProcessLookupError, PermissionError, OSError):
        return False


GATE = PauseGate()  # the process's one gate


class PausingCancel:
    """A job's cancel flag whose every check is also a pause point: ``is_set()`` first
    waits while the gate is held (in a job thread), so each loop of the engine that looks
    at its cancel flag between steps steps aside for the scorer's frames too."""

    def __init__(self, flag: threading.Event, gate: PauseGate | None = None):
        self.flag = flag
        self.gate = gate or GATE

    def is_set(self) -> bool:
        self.gate.wait_clear(self.flag)
        return self.flag.is_set()

    def set(self) -> None:
        self.flag.set()

    def wait(self, timeout: float | None = None) -> bool:
        return self.flag.wait(timeout)


def _wait_hook(_module: Any, _inputs: Any) -> None:
    GATE.wait_clear()


def pause_points(module: Any, kinds: tuple[type, ...]) -> int:
    """Make every sub-module of ``module`` that is one of ``kinds`` (the model's attention
    and MLP layers) wait for the gate before it runs: a model pass in a job thread pauses
    within one layer of the scorer's key press. Once per sub-module, however often
    it is called; returns how many sub-modules have the pause point."""
    layers: list[Any] = [m for m in module.modules() if isinstance(m, kinds)]
    for layer in layers:
        if not getattr(layer, "_pause_point", False):
            layer.register_forward_pre_hook(_wait_hook)
            layer._pause_point = True
    return len(layers)
