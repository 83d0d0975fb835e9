"""Issue 16, in process (`make bench`; prints, asserts nothing about time): the viewer
with the assistant's output on screen on the 10-h, 16-channel, 256 Hz night at
1920x1080 — 30-s flips while the model works and after it finished, the whole night
with every overlay, peak memory with the assistant — and the time from launch to the
first page (a fresh process, `main.py --report-first-page`), with the import chain.

A frame is the key's action plus the repaint it causes, as the app would do it
(``processEvents``: every widget whose content changed repaints, not only the traces).
`make bench-compare` measures the same from outside against EDFbrowser.
"""

import math
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtWidgets import QApplication

from engine.inference import default_model_path
from engine.proc_memory import status_mb

pytestmark = pytest.mark.bench
ROOT = Path(__file__).resolve().parents[2]
needs_model = pytest.mark.skipif(not default_model_path().is_file(), reason="no starter model in resources/model")


def _frame(action) -> float:
    QApplication.processEvents()
    t = time.perf_counter()
    action()
    QApplication.processEvents()
    return (time.perf_counter() - t) * 1000


def _stats(ms) -> str:
    return f"median {np.median(ms):6.1f} ms   p95 {np.percentile(ms, 95):6.1f} ms   (n={len(ms)})"


def _flips(w, n: int) -> list[float]:
    v = w.viewer
    out = []
    for _ in range(n):
        if v.start_s + v.effective_window() >= v.study.duration_s - 1e-6:
            v.go_to(0)
        out.append(_frame(v.next_page))
    return out


@needs_model
def test_viewer_with_assistant_10h(qtbot, ten_hour_edf, tmp_path):
    from engine.channels.profiles import ProfileStore
    from engine.scoring import Provenance
    from gui.app import configure_pyqtgraph
    from gui.main_window import MainWindow

    configure_pyqtgraph()
    size_mb = os.path.getsize(ten_hour_edf) / 2**20
    journal = Path(ten_hour_edf + ".pedsleep.jsonl")
    journal.unlink(missing_ok=True)
    w = MainWindow(profiles=ProfileStore(tmp_path / "p"))
    qtbot.addWidget(w)
    w.resize(1920, 1080)
    w.show()
    qtbot.waitExposed(w)
    QApplication.processEvents()
    rss_gui = status_mb("VmRSS")
    t0 = time.perf_counter()
    assert w.open_path(ten_hour_edf)
    ctl = w.assistant.ctl
    qtbot.waitUntil(lambda: ctl.session is not None, timeout=600_000)
    w.viewer.go_to(3600)
    working = _flips(w, 100)
    still_working = ctl.is_running()
    qtbot.waitUntil(lambda: ctl.worker is None, timeout=3_600_000)
    model_s = time.perf_counter() - t0
    doc = w.scoring.ctl.doc
    w.viewer.go_to(3600)
    finished = _flips(w, 200)
    w.viewer.set_window(math.inf)
    whole = [_frame(w.viewer.refresh) for _ in range(20)]
    w.viewer.set_window(30.0)
    peak = status_mb("VmHWM")
    n_events = len([e for e in doc.events() if e.provenance == Provenance.MODEL])
    ghosts = [r.label for r in w.viewer.rows if r.sig < 0]
    print()
    print(f"10-h 16-ch 256 Hz EDF ({size_mb:.0f} MB), window 1920x1080, plot {w.viewer.signal_view.plot_width_px()} px, "
          f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
    print(f"on screen: stage suggestions for {int(np.isfinite(doc.suggestion_confidence()).sum())} epochs, "
          f"{n_events} model events, outlier marks, hypnodensity, {len(ghosts)} reconstructed rows")
    print(f"30-s flip, assistant working:  {_stats(working)}  (still running after them: {still_working})")
    print(f"30-s flip, assistant finished: {_stats(finished)}")
    print(f"whole night with overlays:     {_stats(whole)}")
    print(f"model pass over the night: {model_s:.0f} s after opening (while the flips above ran)")
    from engine.staging import yasa_process

    child_mb = yasa_process.last_child_peak_mb or float("nan")
    print(f"memory: RSS with the GUI up {rss_gui:.0f} MB; process peak {peak:.0f} MB = {peak / size_mb:.2f}x the file; "
          f"budget 1.5x file + 300 MB = {1.5 * size_mb + 300:.0f} MB; the YASA stager's own process "
          f"(engine/staging/yasa_process.py) peaked at {child_mb:.0f} MB, while the app waited on it")
    w.close()
    journal.unlink(missing_ok=True)


def test_launch_to_first_page(ten_hour_edf, tmp_path):
    """Fresh processes, offscreen: seconds from process start to the window's first paint
    and to the first page, wall and the process's own CPU seconds."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", HOME=str(tmp_path))
    rows = {k: [] for k in ("window", "first page")}
    cpu = {k: [] for k in rows}
    for mode in ("--no-assistant", None) * 3:
        cmd = [sys.executable, str(ROOT / "main.py"), ten_hour_edf, "--report-first-page"]
        if mode:
            cmd.append(mode)
        r = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
        for k in rows:
            m = re.search(rf"^{k} ([\d.]+) s \(cpu ([\d.]+) s\)", r.stdout, re.M)
            if m:
                rows[k].append(float(m.group(1)))
                cpu[k].append(float(m.group(2)))
    imp = subprocess.run([sys.executable, "-X", "importtime", "-c", "import gui.main_window"], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=300).stderr
    by_pkg: dict[str, int] = {}
    for line in imp.splitlines():
        parts = line.split("|")
        if len(parts) == 3 and parts[0].startswith("import time:") and "self" not in parts[0]:
            top = parts[2].strip().split(".")[0]
            by_pkg[top] = by_pkg.get(top, 0) + int(parts[0].split(":")[1])
    total = sum(by_pkg.values()) / 1e6
    top = sorted(by_pkg.items(), key=lambda kv: -kv[1])[:6]
    print()
    print(f"launch (6 runs, half with the assistant), load average {os.getloadavg()[0]:.1f}:")
    for k in rows:
        if rows[k]:
            print(f"  {k:10s}: median {np.median(rows[k]):.2f} s from process start "
                  f"(process CPU {np.median(cpu[k]):.2f} s)   target first page <= 1 s, <= 0.5 s after the window")
    if rows["window"] and rows["first page"]:
        after = np.array(rows["first page"]) - np.array(rows["window"][:len(rows["first page"])])
        print(f"  first page after the window: median {np.median(after):.2f} s")
    print(f"  import gui.main_window: {total:.2f} s; by package: "
          + ", ".join(f"{k} {v / 1e6:.2f} s" for k, v in top))
