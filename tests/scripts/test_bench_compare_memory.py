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


def _tree_with_a_child():
    p = subprocess.Popen([sys.executable, "-c", HOLD_60MB])
    t0 = time.monotonic()
    while len(bench_compare.process_tree(p.pid)) < 2 and time.monotonic() - t0 < 20:
        time.sleep(0.05)
    time.sleep(1.0)  # both have touched their 60 MB
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
        assert 0 < pss <= rss + 1  # shared pages counted once in PSS
    finally:
        _kill(p)
    assert bench_compare.tree_memory_mb(p.pid) == (0.0, 0.0)


def test_the_sampler_process_reports_the_tree_s_peak(tmp_path):
    p = _tree_with_a_child()
    try:
        sampler = bench_compare.TreeSampler(p.pid, tmp_path)
        time.sleep(1.0)
        peaks = sampler.peaks()
    finally:
        _kill(p)
    assert peaks is not None and peaks[0] >= 120 and 0 < peaks[1] <= peaks[0] + 1
