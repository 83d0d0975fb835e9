"""engine.proc_memory.status_mb reads this process's /proc/self/status. Checked in a fresh
process: inside the test run other threads (Qt's, finished jobs') may free memory between
two readings, which once made a 64-MB allocation look smaller than it is."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

_PROBE = """
import numpy as np
from engine.proc_memory import status_mb
before = status_mb("VmRSS")
block = np.ones(64 * 2**20 // 8)  # 64 MB, touched
grown = status_mb("VmRSS") - before
print(grown, status_mb("VmHWM") >= status_mb("VmRSS") > 0, status_mb("NoSuchField"))
"""


def test_resident_and_peak_sizes_follow_an_allocation():
    r = subprocess.run([sys.executable, "-c", _PROBE], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    grown, peak_ok, missing = r.stdout.split()
    assert float(grown) > 50
    assert peak_ok == "True"
    assert missing == "nan"
