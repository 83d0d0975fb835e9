"""Run an engine generator in a background thread; deliver its results to main-thread slots.

The engine's long jobs are generators that yield partial results often and honour a
cancel flag (docs/architecture.md rule 3). ``GeneratorWorker`` runs one in a QThread at idle
priority and emits each yielded item with the job's request id; the receiver drops
items whose id is stale. ``cancel()`` sets the flag and waits for the thread.
"""

from __future__ import annotations

import itertools
import logging
import os
import sys
import threading
import time
import weakref

from PySide6.QtCore import QObject, QThread, Signal

from engine.api import GATE, PausingCancel, UserError, release_free_memory

log = logging.getLogger(__name__)
_ids = itertools.count(1)


WORKER_NICE = 10
# a job started together with a study (pyramids, the model's first job) waits this long:
# the main thread draws the first page meanwhile without sharing the CPU or the GIL
FIRST_PAGE_GRACE_S = 0.3
JOB_THREAD_NAME = "pedsleep-job"  # the OS name of every job thread (scripts/bench_compare.py waits on it)

_LIVE: weakref.WeakSet = weakref.WeakSet()  # every GeneratorWorker not yet collected


_ORPHANS: set = set()  # cancelled workers whose thread has not ended yet: kept alive until it has


def _prune_orphans() -> None:
    """Drop the orphans whose thread has ended (main thread only: the last reference to a
    QThread must never go away inside that thread)."""
    for w in list(_ORPHANS):
        if not w._thread.isRunning():
            _ORPHANS.discard(w)


def wait_for_orphans(timeout_ms: int = 10000) -> bool:
    """At exit: give cancelled jobs that are still running time to end; True when none is
    left running."""
    for w in list(_ORPHANS):
        w._thread.wait(timeout_ms)
    _prune_orphans()
    return not _ORPHANS


def running_workers() -> list[GeneratorWorker]:
    """Workers whose thread is still running (tests fail on any left behind)."""
    out = []
    for w in list(_LIVE):
        try:
            if w.is_running():
                out.append(w)
        except RuntimeError:  # the C++ side is gone: nothing runs
            pass
    return out


def _lower_this_thread() -> None:
    """Background jobs yield the CPU to the GUI thread. Qt's IdlePriority is SCHED_IDLE on
    Linux, which starves a job completely while anything else runs (a busy machine never
    finishes its inference); a niceness of 10 on this thread alone keeps the GUI first
    and the job still moving. (On Linux niceness is per thread.)"""
    if sys.platform.startswith("linux"):
        try:
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), WORKER_NICE)
        except (OSError, AttributeError):
            pass


def failure_text(exc: BaseException) -> str:
    """What the user reads about a failed job: a project error says itself plainly; any
    other exception (a bug, logged with its traceback) is named with its type."""
    if isinstance(exc, UserError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


class _Runner(QObject):
    item = Signal(int, object)
    failed = Signal(int, object)  # (request_id, the exception)
    done = Signal(int)

    def __init__(self, request_id, make_gen, cancel, delay_s: float = 0.0):
        super().__init__()
        self.request_id = request_id
        self.make_gen = make_gen
        self.cancel = cancel
        self.delay_s = delay_s
        self.urgent = threading.Event()  # the scorer waits for this job: no pausing (hurry)

    def _delay(self) -> bool:
        """Wait ``delay_s`` unless hurried; True when cancelled meanwhile."""
        end = time.monotonic() + self.delay_s
        while (left := end - time.monotonic()) > 0 and not self.urgent.is_set():
            if self.cancel.wait(min(left, 0.05)):
                return True
        return self.cancel.is_set()

    def run(self):
        _lower_this_thread()
        if self.delay_s > 0 and self._delay():
            self.done.emit(self.request_id)  # cancelled before it began
            return
        GATE.bind_cancel(self.cancel)  # the model's pause points end their waits on cancel
        GATE.bind_urgent(self.urgent)
        gen = x = None
        try:
            # every cancel check of the job is a pause point too (engine.pause_gate)
            gen = iter(self.make_gen(PausingCancel(self.cancel)))
            while True:
                GATE.wait_clear(self.cancel)  # the scorer is acting: the next step waits (engine.pause_gate)
                if self.cancel.is_set():
                    break
                try:
                    x = next(gen)
                except StopIteration:
                    break
                if self.cancel.is_set():
                    break
                self.item.emit(self.request_id, x)
        except UserError as exc:  # a bad model file, a damaged study: said plainly
            self.failed.emit(self.request_id, exc)
        except Exception as exc:  # a crashing job must never take the GUI down
            log.exception("background job failed")
            self.failed.emit(self.request_id, exc)
        finally:
            gen = x = None  # the job's frames and temporaries go now, not with the next job
            release_free_memory()
            self.done.emit(self.request_id)


class GeneratorWorker(QObject):
    """One background job. ``make_gen(cancel_event)`` returns the generator to run."""

    item = Signal(int, object)  # (request_id, yielded value)
    failed = Signal(int, object)  # (request_id, the exception: see failure_text)
    finished = Signal(int)

    def __init__(self, make_gen, parent=None, priority=QThread.Priority.LowPriority, delay_s: float = 0.0):
        """``delay_s``: the thread waits this long (cancellable) before the job begins, so
        that a job started with a study (pyramids, the model) leaves the CPU and the GIL
        to the main thread while it draws the first page."""
        super().__init__(parent)
        self.request_id = next(_ids)
        self.cancel_event = threading.Event()
        self._thread = QThread()
        self._thread.setObjectName(JOB_THREAD_NAME)  # visible from outside (/proc/PID/task/*/comm)
        self._runner = _Runner(self.request_id, make_gen, self.cancel_event, delay_s)
        self._runner.moveToThread(self._thread)
        self._thread.started.connect(self._runner.run)
        self._runner.item.connect(self.item)
        self._runner.failed.connect(self.failed)
        self._runner.done.connect(self._on_done)
        self._priority = priority
        self._running = False
        _LIVE.add(self)

    def start(self) -> None:
        self._running = True
        self._thread.start(self._priority)

    def _on_done(self, rid: int) -> None:
        self._running = False
        self._thread.quit()
        self._thread.wait(5000)
        self.finished.emit(rid)

    def is_running(self) -> bool:
        return self._thread.isRunning()

    def hurry(self) -> None:
        """The scorer now waits for this job's result: it no longer waits for the pause
        gate (engine.pause_gate) nor its start delay. Idempotent; any thread."""
        self._runner.urgent.set()

    @property
    def hurried(self) -> bool:
        return self._runner.urgent.is_set()

    def cancel(self, wait_ms: int = 10000) -> None:
        """Ask the job to stop and wait until its thread has ended. A job that does not
        stop in time (a library call that cannot be interrupted; YASA now runs in a child
        process that cancel kills) is kept referenced until its thread ends, so that its QThread is never
        destroyed while running; its results are dropped (stale request id)."""
        _prune_orphans()
        self.cancel_event.set()
        if self._thread.isRunning():
            self._thread.quit()
            if not self._thread.wait(wait_ms):
                _ORPHANS.add(self)
