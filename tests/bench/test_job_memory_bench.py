"""Issue 16 (`make bench`; prints the figures): the peak memory of each whole-night job run
alone, in its own process (tests/bench/job_memory.py), on the 10-h, 16-channel, 256 Hz
bench night — the AASM rules' ``events_job`` and YASA's ``stage_study`` — beside the
file's size and the target for the whole app (1.5x the file + 300 MB)."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.bench
ROOT = Path(__file__).resolve().parents[2]


def _job(job: str, path: str) -> dict[str, float]:
    r = subprocess.run([sys.executable, "-m", "tests.bench.job_memory", job, path], cwd=ROOT,
                       capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stderr[-2000:]
    line = r.stdout.strip().splitlines()[-1]
    return {k: float(v) for k, v in re.findall(r"(\w+)=([0-9.]+)", line)}


@pytest.mark.parametrize("job", ["events", "staging"])
def test_job_peak_memory_10h(job, ten_hour_edf):
    file_mb = os.path.getsize(ten_hour_edf) / 2**20
    out = _job(job, ten_hour_edf)
    assert out["peak_rss_mb"] >= out["rss_before_mb"] > 0
    print(f"\n{job} alone on the 10-h 16-ch 256-Hz night ({file_mb:.0f} MB): peak RSS {out['peak_rss_mb']:.0f} MB "
          f"({out['peak_rss_mb'] / file_mb:.2f}x the file; {out['rss_before_mb']:.0f} MB before the job), "
          f"{out['wall_s']:.1f} s; target for the whole app {1.5 * file_mb + 300:.0f} MB")
