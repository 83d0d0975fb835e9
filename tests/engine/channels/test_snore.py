"""The model reads SNORE as loudness (engine.channels.snore)."""

import numpy as np
import pytest

from engine.channels.canonical import CANONICAL_CHANNELS, CANONICAL_NAMES
from engine.channels.mapping import map_study
from engine.channels.model_input import load_model_input, to_model_rate
from engine.channels.snore import snore_loudness
from engine.io import open_study
from tests.helpers.edf_factory import Sig, write_edf

SN = CANONICAL_NAMES.index("SNORE")


def _buzz(sf=256.0, seconds=20.0, f0=45.0, amp=100.0, on=(5.0, 10.0)):
    t = np.arange(int(sf * seconds)) / sf
    gate = (t >= on[0]) & (t < on[1])
    return t, amp * np.sin(2 * np.pi * f0 * t) * gate


def test_loudness_is_the_rms_of_the_buzz():
    sf = 256.0
    t, x = _buzz(sf)
    y = snore_loudness(x, sf)
    assert y.shape == x.shape and y.dtype == np.float32
    inside = (t > 6) & (t < 9)
    outside = (t < 4) | (t > 11)
    assert np.median(y[inside]) == pytest.approx(100.0 / np.sqrt(2), rel=0.05)
    assert y[outside].max() < 2.0


def test_loudness_ignores_breathing_and_drift():
    sf = 256.0
    t = np.arange(int(sf * 30)) / sf
    slow = 500.0 * np.sin(2 * np.pi * 0.3 * t) + 200.0 + 50.0 * np.sin(2 * np.pi * 3.0 * t)
    assert np.percentile(snore_loudness(slow, sf)[256:-256], 99) < 3.0


def test_loudness_keeps_gaps_and_passes_slow_channels_through():
    sf = 256.0
    _, x = _buzz(sf)
    x[1000:1200] = np.nan
    y = snore_loudness(x, sf)
    assert np.isnan(y[1000:1200]).all() and np.isfinite(y[:1000]).all()
    vol = np.linspace(30.0, 60.0, 100)  # a 10-Hz "snore volume" channel is loudness already
    assert np.array_equal(snore_loudness(vol, 10.0), vol.astype(np.float32))


def test_model_rate_applies_loudness_to_snore_only():
    sf = 256.0
    _, x = _buzz(sf)
    assert CANONICAL_CHANNELS[SN].model_label == "SNORE loudness"
    assert CANONICAL_CHANNELS[0].model_label == "EEG C3-M2"
    snore = to_model_rate(x, sf, SN)
    eeg = to_model_rate(x, sf, 0)
    assert len(snore) == len(eeg) == 20 * 128
    assert snore.min() > -1.0  # a loudness, not a waveform
    assert eeg.min() < -50.0


def test_model_input_reads_snore_as_loudness_across_chunks(tmp_path):
    """A 50-min study is read in half-hour chunks; the loudness has no seam."""
    sf = 256.0

    def data(i, start, n):
        t = (start + np.arange(n)) / sf
        return 80.0 * np.sin(2 * np.pi * 45.0 * t)

    p = tmp_path / "s.edf"
    write_edf(p, [Sig("Snore", sf)], n_records=3000, data=data)
    s = open_study(p)
    x, present = load_model_input(s, map_study(s))
    assert present[SN]
    y = x[SN]
    assert np.isfinite(y).all()
    assert np.allclose(y[128:-128], 80.0 / np.sqrt(2), rtol=0.03)
