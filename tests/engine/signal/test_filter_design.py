"""The numpy-only display filter against scipy's reference design and filtfilt: the same
sections, and the same zero-phase output away from the page's edges."""

import numpy as np
import pytest
from scipy.signal import butter, iirnotch, sosfiltfilt, tf2sos

from engine.signal.filters import DisplayFilter, _fft_size, apply_filter, butterworth2, notch2


@pytest.mark.parametrize("corner_hz,sfreq_hz,kind", [(0.3, 256.0, "high"), (35.0, 256.0, "low"),
                                                     (10.0, 200.0, "high"), (5.0, 25.0, "low")])
def test_butterworth_sections_are_scipys(corner_hz, sfreq_hz, kind):
    b, a = butterworth2(corner_hz, sfreq_hz, kind)
    ref = butter(2, corner_hz, btype=kind + "pass", fs=sfreq_hz, output="sos")[0]
    np.testing.assert_allclose(np.r_[b, a], ref, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("f0_hz,sfreq_hz", [(50.0, 256.0), (60.0, 500.0)])
def test_notch_section_is_scipys(f0_hz, sfreq_hz):
    b, a = notch2(f0_hz, sfreq_hz, 30.0)
    rb, ra = iirnotch(f0_hz, 30.0, fs=sfreq_hz)
    np.testing.assert_allclose(b, rb, rtol=1e-9)
    np.testing.assert_allclose(a, ra, rtol=1e-9)


@pytest.mark.parametrize("filt", [DisplayFilter(0.3, 35.0), DisplayFilter(0.3, 35.0, 50.0),
                                  DisplayFilter(10.0, 100.0), DisplayFilter(None, 5.0),
                                  DisplayFilter(0.1, 15.0)])
def test_zero_phase_output_matches_filtfilt_inside_the_page(filt):
    sf = 256.0
    rng = np.random.default_rng(3)
    t = np.arange(int(sf * 70)) / sf
    x = (rng.normal(0, 20, (3, t.size)).cumsum(axis=1) * 0.05 + rng.normal(0, 15, (3, t.size))
         + 40 * np.sin(2 * np.pi * 50 * t) + 200 * t / 70).astype(np.float32)
    sos = [butter(2, filt.highpass_hz, "highpass", fs=sf, output="sos")] if filt.highpass_hz else []
    if filt.lowpass_hz:
        sos.append(butter(2, filt.lowpass_hz, "lowpass", fs=sf, output="sos"))
    if filt.notch_hz:
        sos.append(tf2sos(*iirnotch(filt.notch_hz, 30.0, fs=sf)))
    ref = sosfiltfilt(np.vstack(sos), x.astype(np.float64), axis=-1, padlen=x.shape[-1] - 1)
    got = apply_filter(x, sf, filt)
    assert got.dtype == np.float32 and got.shape == x.shape
    inside = slice(int(20 * sf), int(50 * sf))  # past the 10-s margins the page reads
    err = np.abs(got[:, inside] - ref[:, inside]).max()
    assert err < 1e-3 * ref[:, inside].std()
    # 1-D rows filter as the same rows of a block
    np.testing.assert_allclose(apply_filter(x[1], sf, filt), got[1], rtol=1e-5, atol=1e-3)


def test_passband_kept_and_stopband_removed():
    sf = 256.0
    t = np.arange(int(sf * 40)) / sf
    alpha = np.sin(2 * np.pi * 10 * t)
    y = apply_filter((alpha + 5 * np.sin(2 * np.pi * 50 * t) + 30 * np.sin(2 * np.pi * 0.02 * t))
                     .astype(np.float32), sf, DisplayFilter(0.3, 35.0, 50.0))
    mid = slice(2560, -2560)
    assert np.abs(y[mid] - alpha[mid]).max() < 0.05


def test_nan_gap_stays_a_gap_and_short_or_disabled_input_passes():
    x = np.sin(np.arange(5000) / 10.0).astype(np.float32)
    x[2000:2100] = np.nan
    y = apply_filter(x, 256.0, DisplayFilter(0.3, 35.0))
    assert np.isnan(y[2000:2100]).all() and np.isfinite(np.delete(y, range(2000, 2100))).all()
    short = np.ones(10, np.float32)
    assert apply_filter(short, 256.0, DisplayFilter(0.3, 35.0)) is short
    assert apply_filter(x, 256.0, DisplayFilter(enabled=False)) is x


def test_fft_sizes_are_smooth_and_not_smaller():
    for n in (1, 2, 17, 1000, 12801, 230_401):
        m = _fft_size(n)
        assert m >= n and m < 2 * n + 2
        while m % 2 == 0:
            m //= 2
        while m % 3 == 0:
            m //= 3
        assert m == 1
