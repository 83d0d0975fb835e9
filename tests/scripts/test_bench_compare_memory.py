"""The outside bench's memory of a process tree (scripts/bench_compare.py): the app and
the processes it starts (YASA's stager runs in a child) are counted together."""

import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
import bench_compare  # noqa: E402

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")

HOLD_60MB = ("import subprocess, sys, time; b = bytearray(60 << 20); b[::4096] = b'x' * len(b[::4096]); "
             "c = subprocess.Popen([sys.executable, '-c', 'import time; b = bytearray(60 << 20); "
             "b[::4096] = b\"x\" * len(b[::4096]); time.sleep(60)']); time.sleep(60)")


def _until(pred, timeout_s: float = 30.0) -> bool:
    t0 = time.monotonic()
    while not pred() and time.monotonic() - t0 < timeout_s:
        time.sleep(0.05)
    return pred()


def _tree_with_a_child():
    p = subprocess.Popen([sys.executable, "-c", HOLD_60MB])

    def both_hold_60mb():
        tree = bench_compare.process_tree(p.pid)
        return len(tree) == 2 and all(bench_compare.tree_memory_mb(q, pss=False)[0] >= 60 for q in tree)

    assert _until(both_hold_60mb)
    return p


def _kill(p):
    for pid in reversed(bench_compare.process_tree(p.pid)):
        subprocess.run(["kill", "-9", str(pid)], check=False)
    p.wait(10)


def test_the_tree_holds_the_app_and_its_child_and_their_memory_adds_up():
    p = _tree_with_a_child()
    try:
        tree = bench_compare.process_tree(p.pid)
        assert tree[0] == p.pid and len(tree) == 2
        rss, pss = bench_compare.tree_memory_mb(p.pid)
        alone = bench_compare.tree_memory_mb(tree[1])
        assert rss >= 120 and alone[0] >= 60  # 2 × 60 MB touched, plus two interpreters
        # shared pages are split in PSS; VmRSS is a cached counter that may lag a little
        assert 0 < pss <= rss + 5
    finally:
        _kill(p)
    assert bench_compare.tree_memory_mb(p.pid) == (0.0, 0.0)


def test_the_sampler_process_reports_the_tree_s_peak(tmp_path):
    p = _tree_with_a_child()
    try:
        # not at nice 19 here: a loaded test machine could starve it for longer than we wait
        sampler = bench_compare.TreeSampler(p.pid, tmp_path, niceness=0)
        assert _until(sampler.sampled)
        time.sleep(0.2)
        peaks = sampler.peaks()
    finally:
        _kill(p)
    assert peaks is not None and peaks[0] >= 120 and 0 < peaks[1] <= peaks[0] + 5
