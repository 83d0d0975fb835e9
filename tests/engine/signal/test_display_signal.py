import numpy as np
import pytest

from engine.io import open_study
from engine.signal.decimate import decimate_for_display, minmax_envelope
from engine.signal.filters import DEFAULT_FILTERS, DisplayFilter, apply_filter
from engine.signal.pyramid import PyramidSet, build_pyramids
from engine.signal.traces import TraceSource
from tests.helpers.edf_factory import psg_signals, write_edf


def test_minmax_keeps_extremes():
    y = np.zeros(10_000, np.float32)
    y[1234] = 7.0
    y[8000] = -3.0
    lo, hi = minmax_envelope(y, 100)
    assert hi.max() == 7.0 and lo.min() == -3.0 and len(lo) == 100


def test_decimation_respects_pixel_budget():
    y = np.random.default_rng(0).normal(size=256 * 300).astype(np.float32)
    x, d = decimate_for_display(y, 0.0, 256.0, 3200)
    assert len(d) <= 3200 and d.max() == y.max() and d.min() == y.min()
    x, d = decimate_for_display(y[:1000], 0.0, 256.0, 3200)
    assert len(d) == 1000  # raw when it fits


def test_bandpass_removes_drift_and_notch_removes_mains():
    sf = 256.0
    t = np.arange(int(sf * 30)) / sf
    alpha = np.sin(2 * np.pi * 10 * t)
    drift = 50 * t / 30
    mains = 5 * np.sin(2 * np.pi * 50 * t)
    y = apply_filter((alpha + drift + mains).astype(np.float32), sf, DisplayFilter(0.3, 35.0, 50.0))
    mid = slice(512, -512)
    assert np.std(y[mid] - alpha[mid]) < 0.1


def test_filter_label_and_defaults():
    assert DEFAULT_FILTERS["eeg"].label() == "0.3–35 Hz"
    assert DEFAULT_FILTERS["emg"].highpass_hz == 10.0
    assert DEFAULT_FILTERS["resp"].lowpass_hz is not None
    assert DisplayFilter(0.3, 35.0, 60.0).label() == "0.3–35 Hz, notch 60"


def test_trace_source_pages_and_pyramid(tmp_path):
    p = tmp_path / "n.edf"
    write_edf(p, psg_signals(128.0, n=4), n_records=3 * 3600)
    s = open_study(p)
    src = TraceSource(s, PyramidSet())
    x, y = src.trace(0, 60.0, 90.0, 4000, DEFAULT_FILTERS["eeg"])
    assert len(y) == 30 * 128 and x[0] == pytest.approx(60.0)
    assert src.trace(0, 60.0, 90.0, 4000, DEFAULT_FILTERS["eeg"])[1] is y  # cached
    # whole night before the pyramid: decimated from raw, within budget
    x, y = src.trace(0, 0.0, s.duration_s, 3200, DEFAULT_FILTERS["eeg"])
    assert len(y) <= 3200
    fractions = list(build_pyramids(s, src.pyramids))
    assert fractions[-1] == 1.0 and len(src.pyramids) == 4
    src.clear()
    x2, y2 = src.trace(0, 0.0, s.duration_s, 3200, DEFAULT_FILTERS["eeg"])
    assert 200 < len(y2) <= 3200 * 1.5
    raw = s.read(0, 0.0, s.duration_s)
    assert y2.max() == pytest.approx(raw.max()) and y2.min() == pytest.approx(raw.min())


def test_page_filters_rows_together_like_one_by_one(tmp_path):
    p = tmp_path / "n.edf"
    write_edf(p, psg_signals(256.0, n=6), n_records=600)
    s = open_study(p)
    src = TraceSource(s)
    f = DEFAULT_FILTERS["eeg"]
    together = src.page([(i, f) for i in range(6)], 120.0, 150.0, 10_000)
    for i in range(6):
        y = apply_filter(s.read(i, 110.0, 160.0), 256.0, f)[2560:2560 + 7680]
        np.testing.assert_allclose(together[i][1], y, rtol=1e-5, atol=1e-3)


def test_long_window_before_pyramid_streams_without_caching(tmp_path):
    from engine.signal.pyramid import stream_envelopes

    p = tmp_path / "n.edf"
    write_edf(p, psg_signals(64.0, n=3), n_records=7200)
    s = open_study(p, cache_mb=2)
    env = stream_envelopes(s, [0, 2], 0.0, 7200.0, 2000)
    raw = s.read(2, 0.0, 7200.0)
    assert len(env[2][1]) <= 2000 + 2
    assert env[2][1].max() == pytest.approx(raw.max())
