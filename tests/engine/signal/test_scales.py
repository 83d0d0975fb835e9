"""Row scales from the kind and the signal's robust amplitude; filters never above Nyquist."""

import numpy as np

from engine.signal.filters import DisplayFilter, apply_filter, default_filter
from engine.signal.scales import row_scale


def test_eeg_scale_follows_amplitude_in_engineering_units():
    rng = np.random.default_rng(0)
    eeg_v = rng.normal(0, 20e-6, 6000)  # Nox writes volts
    rs = row_scale("eeg", "V", eeg_v, highpassed=True)
    assert rs.display_unit == "µV" and rs.display_factor == 1e6
    assert 80e-6 < rs.scale < 150e-6 and rs.center == 0.0
    assert rs.text().endswith(" µV/row") and "e-" not in rs.text()


def test_dreams_style_ecg_mv_is_microvolts():
    ecg = np.random.default_rng(1).normal(0, 25, 6000)  # "MV", values in the tens-hundreds
    rs = row_scale("ecg", "MV", ecg, highpassed=True)
    assert rs.display_factor == 1.0 and "µV" in rs.note
    assert rs.text().endswith("µV/row") and 100 < rs.scale < 300


def test_large_ecg_prints_millivolts():
    ecg = np.random.default_rng(1).normal(0, 0.3e-3, 6000)
    assert row_scale("ecg", "V", ecg, highpassed=True).text().endswith(" mV/row")


def test_belts_in_volts_print_microvolts():
    chest = np.sin(np.linspace(0, 60, 3000)) * 35e-6
    t = row_scale("resp", "V", chest).text()
    assert t.endswith("µV/row") and "e-" not in t


def test_spo2_fixed_clinical_range_not_on_the_border():
    sat = np.full(600, 95.0)
    rs = row_scale("spo2", "%", sat)
    assert rs.range_text == "80–100 %"
    top = rs.center + rs.scale / 2
    assert top > 100.0  # 100 % sits inside the row
    low = row_scale("spo2", "%", np.r_[sat, np.full(60, 72.0)])
    assert low.range_text == "70–100 %"
    # a "SpO2" that is not a saturation (DREAMS SAO2 around 0): its own amplitude
    odd = row_scale("spo2", "%", np.random.default_rng(0).normal(0, 3, 600))
    assert odd.range_text == "" and odd.scale < 30


def test_position_labelled_steps():
    codes = np.repeat([0.0, 2.0, 1.0], 100)
    rs = row_scale("position", "", codes)
    assert [t for _, t in rs.steps] == ["pos 0", "pos 1", "pos 2"]
    assert rs.center - rs.scale / 2 < 0 < 2 < rs.center + rs.scale / 2
    ang = row_scale("position", "°", np.full(100, -53.0))
    assert [v for v, _ in ang.steps] == [-180.0, -90.0, 0.0, 90.0, 180.0]


def test_flat_signal_uses_header_range():
    rs = row_scale("other", "", np.full(100, -1.0), physical_range=(-2.0, 2.0))
    assert rs.scale > 0


def test_filter_never_above_nyquist():
    f = default_filter("flow", 1.0)  # 5-Hz low-pass on a 1-Hz channel: nothing to do
    assert not f.enabled and f.label() == "no filter"
    emg = default_filter("emg", 1.0)
    assert not emg.enabled
    assert default_filter("emg", 200.0) == DisplayFilter(10.0, None)  # 100 Hz is Nyquist
    assert default_filter("eeg", 50.0) == DisplayFilter(0.3, 35.0).for_rate(50.0)
    assert default_filter("eeg", 50.0).lowpass_hz is None or default_filter("eeg", 50.0).lowpass_hz < 22.5
    # a 1-Hz channel stays visible through its filter
    y = np.sin(np.arange(300) / 10.0).astype(np.float32)
    assert np.allclose(apply_filter(y, 1.0, default_filter("resp", 1.0)), y)
    assert default_filter("emg", 1.0, "envelope").label() == "no filter"
