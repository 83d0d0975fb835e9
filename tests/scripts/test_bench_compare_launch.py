"""The outside bench's start-up timing (scripts/bench_compare.py ``launch_until_page``):
the window of the run before, still closing when the next app starts, must not count as
the new window appearing."""

import sys
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
import bench_compare  # noqa: E402

BLACK = np.zeros(64 * 64, np.uint32).tobytes()
OLD_WINDOW = np.full(64 * 64, 0xCCCCCC, np.uint32).tobytes()
NEW_WINDOW = np.full(64 * 64, 0xEEEEEE, np.uint32).tobytes()
TRACES = (np.arange(64 * 64, dtype=np.uint32) % 7 * 0x111111).tobytes()


class ScriptedScreen:
    """What the polled region shows, by time: (until seconds after creation, image)."""

    def __init__(self, script):
        self.t0 = time.perf_counter()
        self.script = script

    def grab(self):
        now = time.perf_counter() - self.t0
        return next((img for until, img in self.script if now < until), self.script[-1][1])


def test_a_closing_window_before_launch_is_not_the_new_window(tmp_path):
    assert bench_compare.traces_in(TRACES) and not bench_compare.traces_in(NEW_WINDOW)
    # the last run's window goes away 0.2 s in; the new one needs > 0.3 s of still screen
    # first, then appears 1.5 s in, with traces at 2.5 s (wide margins: a loaded box)
    x = ScriptedScreen([(0.2, OLD_WINDOW), (1.5, BLACK), (2.5, NEW_WINDOW), (float("inf"), TRACES)])
    scr = SimpleNamespace(x=x, env=lambda home=None: None)
    t_launch = []
    real_popen = bench_compare.subprocess.Popen

    def popen(cmd, **kw):
        t_launch.append(time.perf_counter() - x.t0)
        return real_popen([sys.executable, "-c", "import time; time.sleep(5)"])

    bench_compare.subprocess.Popen = popen
    try:
        p, t_window, t_page = bench_compare.launch_until_page(scr, ["app"], tmp_path, timeout_s=10)
    finally:
        bench_compare.subprocess.Popen = real_popen
        p.kill()
        p.wait()
    assert 0.5 <= t_launch[0] < 1.5  # launched on a still, empty screen
    # the window's time is when the new window appeared (1.5 s in), not the old one leaving
    # (which the screen taken at once would have made ~0.2 s in, before the launch)
    assert abs((t_launch[0] + t_window) - 1.5) < 0.3
    assert abs((t_launch[0] + t_page) - 2.5) < 0.3

