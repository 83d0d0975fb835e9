"""Every EDF/BDF in ../shared/data opens, with labels, rates, units, start, duration and
annotations that agree with pyedflib / edfio, and samples identical to theirs."""

import datetime as dt

import numpy as np
import pytest

from engine.io import open_study


def all_recordings(root):
    return sorted(list(root.rglob("*.edf")) + list(root.rglob("*.bdf")))


def test_every_shared_file_opens(shared_data):
    files = all_recordings(shared_data)
    assert len(files) >= 9
    for f in files:
        s = open_study(f)
        assert s.duration_s >= 0
        assert s.backend in ("pyedflib", "raw")
        for sig in s.signals:
            assert sig.sfreq_hz > 0 and sig.label


@pytest.mark.parametrize("rel", ["sleep-edf/SC4001E0-PSG-first300s.edf",
                                 "sleep-edf/SC4001E0-PSG-first300s.bdf",
                                 "resmed/20260111_220919_BRP.edf",
                                 "resmed/20260111_220919_PLD.edf",
                                 "resmed/20260111_220919_SAD.edf"])
def test_samples_match_pyedflib(shared_data, rel):
    import pyedflib

    path = shared_data / rel
    s = open_study(path)
    with pyedflib.EdfReader(str(path)) as r:
        assert r.signals_in_file == len(s.signals)
        assert s.duration_s == pytest.approx(r.file_duration)
        assert s.start_datetime == r.getStartdatetime()
        for i, info in enumerate(s.signals):
            assert info.label == r.getLabel(i)
            assert info.sfreq_hz == pytest.approx(r.getSampleFrequency(i))
            assert info.unit == r.getPhysicalDimension(i)
            ref = r.readSignal(i)
            mine = s.read(i, 0.0, s.duration_s)
            np.testing.assert_allclose(mine, ref, rtol=1e-5, atol=1e-4 * (np.abs(ref).max() + 1))
            np.testing.assert_array_equal(s.read_digital(i), r.readSignal(i, digital=True))


def test_sleep_edf_mixed_rates_and_start(shared_data):
    s = open_study(shared_data / "sleep-edf/SC4001E0-PSG-first300s.edf")
    rates = {x.label: x.sfreq_hz for x in s.signals}
    assert rates["EEG Fpz-Cz"] == 100.0 and rates["Resp oro-nasal"] == 1.0
    assert s.start_datetime == dt.datetime(1989, 4, 24, 16, 13, 0)
    assert s.duration_s == 300.0
    # a window read returns exactly the requested number of samples at each rate
    assert len(s.read(0, 10.0, 40.0)) == 3000
    assert len(s.read(3, 10.0, 40.0)) == 30


def test_bdf_matches_edf(shared_data):
    e = open_study(shared_data / "sleep-edf/SC4001E0-PSG-first300s.edf")
    b = open_study(shared_data / "sleep-edf/SC4001E0-PSG-first300s.bdf")
    assert b.header.is_bdf and not e.header.is_bdf
    x, y = e.read(0, 0, 300), b.read(0, 0, 300)
    assert np.corrcoef(x, y)[0, 1] > 0.999


def test_nox_utf8_labels_by_our_reader(shared_data):
    """pyedflib refuses this file; our reader reads it as edfio does; labels are UTF-8 decoded."""
    import edfio

    path = shared_data / "nox/nox-a1-120s.edf"
    s = open_study(path)
    assert s.backend == "raw"
    assert len(s.signals) == 89
    labels = [x.label for x in s.signals]
    assert "1 Impédance" in labels
    assert s.duration_s == 120.0
    e = edfio.read_edf(path)
    for i in (0, 17, 40, 80):
        ref = e.signals[i]
        assert s.signals[i].sfreq_hz == ref.sampling_frequency
        np.testing.assert_allclose(s.read(i, 0, 120), ref.data, rtol=1e-5,
                                   atol=1e-6 * (np.abs(ref.data).max() + 1))


def test_edf_plus_d_annotations(shared_data):
    s = open_study(shared_data / "resmed/20260111_210642_EVE.edf")
    assert s.variant == "EDF+D"
    texts = [a.text for a in s.annotations]
    assert texts.count("Obstructive Apnea") == 4
    ap = [a for a in s.annotations if a.text == "Obstructive Apnea"][0]
    assert ap.onset_s == 11954.0 and ap.duration_s == 10.0


def test_annotation_only_files(shared_data):
    h = open_study(shared_data / "sleep-edf/SC4001EC-Hypnogram.edf")
    assert len(h.annotations) == 154
    assert h.annotations[0].text.startswith("Sleep stage")
    hmc = open_study(shared_data / "annotations/hmc/SN001-annotations.edf")
    assert len(hmc.annotations) == 856
