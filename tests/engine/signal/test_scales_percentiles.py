"""engine.signal.scales.robust_span (issue 16): the 1st, 50th and 99th percentiles are
numpy's own (linear interpolation), to the last bit, without np.percentile — whose
np.unique loads numpy.ma (~20–40 ms before the first page can be drawn)."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from engine.signal.scales import linear_percentiles, robust_span

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize("n", [1, 2, 3, 7, 100, 101, 1000, 19_999, 20_000, 40_000])
def test_percentiles_are_numpys_to_the_bit(n):
    rng = np.random.default_rng(n)
    for v in (rng.normal(0, 30, n), np.round(rng.normal(0, 3, n)), rng.integers(-5, 5, n).astype(float)):
        got = linear_percentiles(v, (1, 50, 99))
        want = np.percentile(v, [1, 50, 99])
        assert got == [float(w) for w in want], (n, got, want)


def test_any_percentiles_and_the_input_left_unchanged():
    v = np.random.default_rng(3).normal(0, 1, 977)
    before = v.copy()
    qs = (0, 0.5, 12.5, 33.3, 50, 87.5, 99.9, 100)
    assert linear_percentiles(v, qs) == [float(w) for w in np.percentile(v, qs)]
    assert np.array_equal(v, before)


def test_robust_span_keeps_its_meaning():
    v = np.concatenate([np.arange(1000.0), [np.nan, np.inf, -np.inf]])
    lo, hi, med = robust_span(v)
    want = np.percentile(np.arange(1000.0), [1, 50, 99])
    assert (lo, hi, med) == (float(want[0]), float(want[2]), float(want[1]))
    assert robust_span(np.array([np.nan])) == (0.0, 0.0, 0.0)


def test_row_scale_loads_no_numpy_ma():
    code = ("import sys, numpy as np\n"
            "from engine.signal.scales import row_scale\n"
            "row_scale('eeg', 'uV', np.random.default_rng(0).normal(0, 20, 60_000))\n"
            "print('numpy.ma' in sys.modules)")
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.strip() == "False"


def test_position_levels_count_distinct_codes_as_before():
    from engine.signal.scales import position_steps

    assert [lab for _, lab in position_steps("", np.array([1.0, 2, 2, 3, -0.0, 0.0]))] == \
        ["pos 0", "pos 1", "pos 2", "pos 3"]
    assert position_steps("", np.arange(9.0)) == ()  # nine codes: more than a position channel has
    assert len(position_steps("", np.array([-1.0, 4, 4, 4]))) == 6  # 2 codes: -1..4 labelled
