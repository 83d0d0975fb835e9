"""A 10-h night writes in well under a minute (marked slow: `pytest -m slow`)."""

from __future__ import annotations

import time

import pytest

from engine.synth import NightParams, generate_night, write_night


@pytest.mark.slow
def test_ten_hour_night_under_a_minute(tmp_path):
    t0 = time.perf_counter()
    night = generate_night(NightParams(hours=10, age_years=6, ahi=8, seed=1))
    path = write_night(night, tmp_path / "ten.edf")
    elapsed = time.perf_counter() - t0
    print(f"10-h night: {elapsed:.1f} s, {path.stat().st_size / 1e6:.0f} MB")
    assert elapsed < 60.0


def test_half_hour_night_is_quick(tmp_path):
    t0 = time.perf_counter()
    write_night(generate_night(NightParams(hours=0.5, age_years=6, ahi=8, seed=1)), tmp_path / "h.edf")
    assert time.perf_counter() - t0 < 10.0
