import numpy as np

from engine.proc_memory import status_mb


def test_resident_and_peak_sizes_follow_an_allocation():
    before = status_mb("VmRSS")
    block = np.ones(64 * 2**20 // 8)  # 64 MB, touched
    assert status_mb("VmRSS") > before + 50
    assert status_mb("VmHWM") >= status_mb("VmRSS") > 0
    del block
    assert np.isnan(status_mb("NoSuchField"))
