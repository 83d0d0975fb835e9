"""Issue 16: the rules' whole-night steps work a slice at a time, with the same numbers as
the whole-night float64 computation they replace (each reference below is that
computation, written out), and without its copies (traced peak of a 4-h night)."""

import tracemalloc

import numpy as np
import pytest
from scipy import signal as sps

from engine.events import arousals, capno, flow, spo2
from engine.events.zero_phase import sosfiltfilt_lean


def _noisy(n, seed=0, dtype=np.float32, nan_every=97):
    rng = np.random.default_rng(seed)
    x = (np.sin(np.arange(n) / 40.0) * 30 + rng.standard_normal(n) * 5).astype(dtype)
    x[::nan_every] = np.nan
    return x


def _zero_missing64(c):
    c = np.asarray(c, np.float64)
    return np.where(np.isfinite(c), c, 0.0)


@pytest.mark.parametrize("chunk", [97, 1000, 1 << 20])
@pytest.mark.parametrize("n", [40, 12345])
def test_sosfiltfilt_lean_is_scipys_bit_for_bit(n, chunk):
    x = _noisy(n)
    x[3] = np.inf
    for sos in (sps.butter(4, 3.0, fs=256, output="sos"), sps.butter(4, 10.0, btype="highpass", fs=256, output="sos")):
        ref = sps.sosfiltfilt(sos, _zero_missing64(x))
        got = sosfiltfilt_lean(sos, x, _zero_missing64, chunk=chunk)
        assert got.dtype == np.float64 and np.array_equal(got, ref)
        # padding in the prepared slices' own dtype (float32 here), as scipy does
        assert np.array_equal(sosfiltfilt_lean(sos, x, np.nan_to_num, chunk=chunk),
                              sps.sosfiltfilt(sos, np.nan_to_num(x)))


def test_sosfiltfilt_lean_too_short_fails_like_scipy():
    sos = sps.butter(4, 3.0, fs=256, output="sos")
    with pytest.raises(ValueError):
        sosfiltfilt_lean(sos, np.ones(10, np.float32))


def _to_work_rate_whole_night(x, sfreq_hz, n_out, offset_s=0.0, lowpass_hz=3.0):
    x = np.asarray(x, np.float64)
    good = np.isfinite(x)
    xf = np.where(good, x, 0.0)
    if sfreq_hz > 2.5 * lowpass_hz and x.size > 30:
        xf = sps.sosfiltfilt(sps.butter(4, lowpass_hz, fs=sfreq_hz, output="sos"), xf)
    t_out = np.arange(n_out) / flow.WORK_HZ - offset_s
    y = np.interp(t_out, np.arange(x.size) / sfreq_hz, xf, left=np.nan, right=np.nan)
    idx = np.clip(np.round(t_out * sfreq_hz).astype(np.int64), 0, max(0, x.size - 1))
    valid = np.isfinite(y) & (good[idx] if x.size else False)
    return np.where(valid, y, 0.0), valid


@pytest.mark.parametrize("sfreq_hz,offset_s,extra_s", [(256.0, 0.0, 0), (25.0, 12.3, 60), (100.0, -5.0, -3),
                                                       (5.0, 0.0, 10), (1.0, 40.0, 0)])
def test_to_work_rate_same_numbers_as_whole_night(monkeypatch, sfreq_hz, offset_s, extra_s):
    monkeypatch.setattr(flow, "_INTERP_CHUNK", 777)  # many slices, boundaries anywhere
    dur_s = 1800.0
    x = _noisy(int(dur_s * sfreq_hz) + 3)
    n_out = int((dur_s + extra_s) * flow.WORK_HZ)
    for lowpass in (3.0, 0.2):
        ref = _to_work_rate_whole_night(x, sfreq_hz, n_out, offset_s, lowpass)
        got = flow.to_work_rate(x, sfreq_hz, n_out, offset_s, lowpass)
        assert np.array_equal(got[0], ref[0]) and np.array_equal(got[1], ref[1])


@pytest.mark.parametrize("chunk", [5, 1000, 1 << 20])  # 5: a second is longer than a slice
@pytest.mark.parametrize("sfreq_hz,offset_s", [(256.0, 0.0), (3.0, 7.25), (1.0, -3.0), (100.0, 0.5)])
def test_spo2_per_second_means_same_as_whole_night(monkeypatch, chunk, sfreq_hz, offset_s):
    monkeypatch.setattr(spo2, "_CHUNK_SAMPLES", chunk)
    dur_s = 900.0
    rng = np.random.default_rng(1)
    x = (95 + np.cumsum(rng.standard_normal(int(dur_s * sfreq_hz))) * 0.05).astype(np.float32)
    x[::53] = 0.0  # probe-off values
    x[::71] = np.nan
    # reference: every second's mean by one pass over the night in float64
    x64 = x.astype(np.float64)
    n = int(np.ceil(dur_s))
    k = np.floor(offset_s + np.arange(x.size) / sfreq_hz + 1e-9).astype(np.int64)
    inside = (k >= 0) & (k < n) & np.isfinite(x64) & (x64 >= 50) & (x64 <= 100)
    s = np.bincount(k[inside], weights=x64[inside], minlength=n)[:n]
    c = np.bincount(k[inside], minlength=n)[:n]
    got_s, got_c = spo2._per_second_sums(x, sfreq_hz, n, offset_s)
    assert np.array_equal(got_s, s) and np.array_equal(got_c, c)
    tr = spo2.clean_spo2(x, sfreq_hz, dur_s, offset_s)
    assert tr.usable and np.isfinite(tr.values).mean() > 0.5


@pytest.mark.parametrize("chunk", [1000, 1 << 20])
def test_etco2_same_as_whole_night(monkeypatch, chunk):
    monkeypatch.setattr(capno, "_CHUNK_SAMPLES", chunk)
    sfreq_hz, dur_s, offset_s = 25.0, 1200.0, 2.5
    x = _noisy(int(dur_s * sfreq_hz)) + np.float32(40)
    x64 = x.astype(np.float64)
    k = np.floor(offset_s + np.arange(x.size) / sfreq_hz + 1e-9).astype(np.int64)
    n = int(np.ceil(dur_s))
    inside = (k >= 0) & (k < n) & np.isfinite(x64)
    per = np.full(n, -np.inf)
    np.maximum.at(per, k[inside], x64[inside])
    from scipy.ndimage import maximum_filter1d

    peak = maximum_filter1d(per, size=6, mode="nearest")
    ref = np.where((peak >= 10.0) & (peak <= 100.0), peak, np.nan)
    assert np.array_equal(capno.etco2_per_second(x, sfreq_hz, dur_s, offset_s), ref, equal_nan=True)


@pytest.mark.parametrize("fs", [256.0, 200.0, 50.0])
def test_band_powers_same_as_one_stft(monkeypatch, fs):
    monkeypatch.setattr(arousals, "_FRAMES_PER_SLICE", 64)
    x = _noisy(int(611.3 * fs), seed=3)
    nper, hop = int(round(fs)), int(round(arousals.STEP_S * fs))
    f, _t, z = sps.stft(np.nan_to_num(x), fs=fs, nperseg=nper, noverlap=nper - hop, boundary=None,
                        padded=False, detrend="constant")
    p = np.abs(z) ** 2
    fast_sel = ((f >= 8) & (f < 11)) | ((f >= 16) & (f < min(30, fs / 2 - 0.5)))
    total_sel = (f >= 0.5) & (f < min(30, fs / 2 - 0.5))
    fast, total = arousals._band_powers(x, fs, [[(8.0, 11.0), (16.0, 30.0)], [(0.5, 30.0)]])
    assert np.array_equal(fast, p[fast_sel].sum(0)) and np.array_equal(total, p[total_sel].sum(0))


def _traced_peak(fn):
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_whole_night_steps_hold_no_float64_copies_of_the_night():
    """A 4-h 256-Hz float32 signal: the flow and arousal steps hold one float64 copy of it
    (2x) and slices; the whole-night float64 work made them 7-13x."""
    fs, dur_s = 256.0, 4 * 3600.0
    x = _noisy(int(dur_s * fs), seed=4, nan_every=10007)
    night = x.nbytes
    assert _traced_peak(lambda: flow.amplitude_trace(x, fs, dur_s)) < 4 * night
    stages = np.full(int(dur_s // 30), 2)
    assert _traced_peak(lambda: arousals.detect_arousals(x, fs, stages, emg=x, emg_fs=fs)) < 4 * night
    assert _traced_peak(lambda: spo2.clean_spo2(x, fs, dur_s)) < 3 * night
