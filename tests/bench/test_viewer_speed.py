"""Viewer speed and memory on a 10-h, 16-channel, 256 Hz night at 1600x900.

Run with `make bench`. Prints figures; asserts nothing about time (machines differ).
Targets (issue 2): first page <= 1 s; 30-s page flip <= 16 ms median; whole-night view
<= 60 ms; peak memory <= 1.5x the file size. mne-qt-browser: ~107 ms per 30-s flip,
~4.6 s to first page on this kind of machine.
"""

import gc
import math
import os
import resource
import time

import numpy as np
import pytest
from PySide6.QtWidgets import QApplication

from engine.proc_memory import status_mb
from tests.bench.conftest import frame_ms

pytestmark = pytest.mark.bench


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _stats(ms):
    return f"median {np.median(ms):6.1f} ms   p95 {np.percentile(ms, 95):6.1f} ms   (n={len(ms)})"


def test_viewer_speed_10h(qtbot, ten_hour_edf, tmp_path):
    from engine.channels.profiles import ProfileStore
    from gui.app import configure_pyqtgraph
    from gui.main_window import MainWindow

    configure_pyqtgraph()
    size_mb = os.path.getsize(ten_hour_edf) / 2**20
    gc.collect()
    base_rss = status_mb("VmRSS")
    w = MainWindow(profiles=ProfileStore(tmp_path / "p"))
    qtbot.addWidget(w)
    w.assistant.set_enabled(False)  # the viewer alone (tests/bench/test_assistant_bench.py: with it)
    w.resize(1600, 900)
    w.show()
    qtbot.waitExposed(w)
    QApplication.processEvents()
    gui_rss = status_mb("VmRSS")

    t = time.perf_counter()
    w.open_path(ten_hour_edf)
    w.viewer.signal_view.plot.viewport().repaint()
    QApplication.processEvents()
    first_page_s = time.perf_counter() - t
    width = w.viewer.signal_view.plot_width_px()

    v = w.viewer
    flips30 = [frame_ms(w, v.next_page) for _ in range(200)]
    rng = np.random.default_rng(0)
    jumps = [frame_ms(w, lambda: v.go_to_epoch(int(rng.integers(0, 1200)))) for _ in range(50)]
    v.set_window(300.0)
    v.go_to(0)
    flips300 = [frame_ms(w, v.next_page) for _ in range(60)]
    v.set_window(math.inf)
    whole_before = [frame_ms(w, v.refresh) for _ in range(3)]
    t = time.perf_counter()
    qtbot.waitUntil(lambda: not v.pyramid_worker.is_running(), timeout=120_000)
    pyramid_s = time.perf_counter() - t
    v.source.clear()
    whole = []
    for _ in range(30):
        v.source.clear()  # measure drawing from the pyramid, not the trace cache
        whole.append(frame_ms(w, v.refresh))
    v.set_window(30.0)
    v.go_to(5 * 3600)
    flips30_late = [frame_ms(w, v.next_page) for _ in range(100)]
    peak = _peak_rss_mb()
    print()
    print(f"10-h 16-ch 256 Hz EDF: {size_mb:.0f} MB; plot width {width} px (window 1600x900)")
    print(f"open to first page:        {first_page_s * 1000:7.0f} ms   (target <= 1000)")
    print(f"30-s page flip:            {_stats(flips30)}   (target median <= 16)")
    print(f"30-s page flip, hour 5:    {_stats(flips30_late)}")
    print(f"30-s jump to random epoch: {_stats(jumps)}   (nothing prefetched)")
    print(f"5-min page flip:           {_stats(flips300)}")
    print(f"whole night, no pyramid:   {_stats(whole_before)}")
    print(f"pyramid built in background in {pyramid_s:.1f} s more after the first whole-night draw")
    print(f"whole night from pyramid:  {_stats(whole)}   (target <= 60)")
    print(f"memory: RSS before GUI {base_rss:.0f} MB, with GUI {gui_rss:.0f} MB, peak {peak:.0f} MB "
          f"(peak - GUI baseline = {peak - gui_rss:.0f} MB = {(peak - gui_rss) / size_mb:.2f}x file; "
          f"peak / file = {peak / size_mb:.2f}x)")
    w.close()
