"""Worker jobs hand typed messages to the main thread, and failures as exception objects."""

import threading

import pytest

from engine.api import Progress, StudyError
from gui.workers import GeneratorWorker, failure_text


def test_failure_text_says_project_errors_plainly():
    assert failure_text(StudyError("x.edf: truncated")) == "x.edf: truncated"
    assert failure_text(ZeroDivisionError("division by zero")) == "ZeroDivisionError: division by zero"


@pytest.mark.parametrize("exc", [StudyError("damaged"), RuntimeError("bug")])
def test_a_failing_job_hands_over_its_exception(qtbot, exc):
    def job(cancel):
        yield Progress(0.5, "half")
        raise exc

    got, failed, done = [], [], threading.Event()
    w = GeneratorWorker(job)
    w.item.connect(lambda rid, x: got.append(x))
    w.failed.connect(lambda rid, e: failed.append(e))
    w.finished.connect(lambda rid: done.set())
    w.start()
    qtbot.waitUntil(done.is_set, timeout=10_000)
    assert got == [Progress(0.5, "half")]
    assert failed == [exc]


def test_the_controller_rejects_an_unknown_message(window, night_edf, qtbot):
    ctl = window.assistant.ctl
    with pytest.raises(TypeError, match="unexpected result"):
        ctl._apply(("progress", 0.1, "a string-tagged tuple is no message"))
    ctl._apply(Progress(0.25, "typed"))  # the typed one is handled


def test_a_job_that_ignores_cancel_is_kept_alive_until_it_ends(qtbot):
    """A job stuck in a call that cannot be interrupted outlives cancel(): its worker is
    kept referenced (no QThread destroyed while running) and released once it ends."""
    import gc

    from gui import workers

    release, entered = threading.Event(), threading.Event()

    def stubborn(cancel):
        entered.set()
        release.wait(10)  # ignores cancel, like a library call
        yield Progress(1.0, "late")

    w = GeneratorWorker(stubborn)
    got = []
    w.item.connect(lambda rid, x: got.append(x))
    w.start()
    assert entered.wait(10)  # inside the call (a cancel before it would end the job at once)
    w.cancel(wait_ms=50)
    assert w in workers._ORPHANS
    del w
    gc.collect()  # the only reference left is the orphan set's: the thread is not destroyed
    release.set()
    assert workers.wait_for_orphans(10_000)
    assert not workers._ORPHANS and got == []  # nothing delivered after cancel
