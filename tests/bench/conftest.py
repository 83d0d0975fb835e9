import os

import pytest

from tests.helpers.edf_factory import psg_signals, write_edf

BENCH_DIR = os.environ.get("PEDSLEEP_BENCH_DIR", "/tmp/pedsleep-bench")


@pytest.fixture(scope="session")
def ten_hour_edf():
    """10-h, 16-channel, 256 Hz EDF (~295 MB), written once and reused between runs."""
    os.makedirs(BENCH_DIR, exist_ok=True)
    p = os.path.join(BENCH_DIR, "night-10h-16ch-256hz.edf")
    if not os.path.exists(p) or os.path.getsize(p) < 290_000_000:
        write_edf(p, psg_signals(256.0), n_records=36000, record_s=1.0)
    return p


def frame_ms(window, action) -> float:
    """Key press to painted frame: the action plus a synchronous repaint of the trace area.
    The idle work that follows (prefetching the next page) runs after, untimed, as between
    key presses."""
    import time

    from PySide6.QtWidgets import QApplication

    QApplication.processEvents()
    t = time.perf_counter()
    action()
    window.viewer.signal_view.plot.viewport().repaint()
    ms = (time.perf_counter() - t) * 1000
    QApplication.processEvents()
    return ms

