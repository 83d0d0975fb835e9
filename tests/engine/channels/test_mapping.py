import numpy as np
import pytest

from engine.channels.canonical import CANONICAL_NAMES, MODEL_SFREQ_HZ
from engine.channels.mapping import LabelInfo, map_labels, map_study
from engine.channels.model_input import load_model_input
from engine.channels.profiles import ProfileStore
from engine.channels.resample import resample
from engine.channels.units import unit_factor
from engine.io import open_study
from tests.helpers.edf_factory import Sig, write_edf


def _map(*labels, unit="uV", sf=256.0):
    return map_labels([LabelInfo(lb, unit, sf) for lb in labels])


@pytest.mark.parametrize("label", ["C3-M2", "EEG C3-A2", "C3:M2", "C3-A2", "eeg c3-m2", "C3_M2"])
def test_c3_spellings(label):
    assert _map(label)["EEG C3-M2"].plus == label
    assert _map(label)["EEG C3-M2"].how == "exact"


def test_referential_pair_is_derived():
    m = _map("C3", "M2", "O1", "M1", "O2")
    src = m["EEG C3-M2"]
    assert (src.plus, src.minus, src.how) == ("C3", "M2", "derived")
    assert m["EEG O2-M1"].minus == "M1"


@pytest.mark.parametrize("label,canon", [
    ("E1", "EOG LOC-M2"), ("E2", "EOG ROC-M1"), ("E1-M2", "EOG LOC-M2"), ("Chin", "EMG CHIN1-CHIN2"),
    ("EMG1", "EMG CHIN1-CHIN2"), ("Thor", "RESP THORACIC"), ("Abdo", "RESP ABDOMINAL"),
    ("RIP Thorax", "RESP THORACIC"), ("SpO2", "SPO2"), ("SaO2", "SPO2"), ("OSAT", "SPO2"),
    ("Flow", "C-FLOW"), ("Airflow", "C-FLOW"), ("Nasal Pressure", "C-FLOW"), ("NAF", "C-FLOW"),
    ("Snore", "SNORE"), ("CO2", "CAPNO"), ("EtCO2", "CAPNO"), ("Capno", "CAPNO"),
    ("Flow.40ms", "C-FLOW"), ("SpO2.1s", "SPO2"),
])
def test_vendor_aliases(label, canon):
    assert _map(label)[canon].plus == label


def test_impedance_and_calibration_channels_never_map():
    m = _map("C3-M2 (Imp)", "C3 Impédance", "Abdomen CaL")
    assert all(not s.present for s in m.sources)


def test_exact_beats_approximate_and_missing_listed():
    m = _map("EEG Fpz-Cz", "C3-M2")
    assert m["EEG C3-M2"].plus == "C3-M2"
    # the stand-in is not dropped: it fills the nearest free slot, marked approximate
    assert m["EEG C4-M1"].plus == "EEG Fpz-Cz" and m["EEG C4-M1"].how == "approximate"
    assert "CAPNO" in m.missing and len(m.missing) == 14


def test_units_converted_to_microvolts():
    assert unit_factor("mV", "uV") == 1000.0
    assert unit_factor("V", "uV") == 1e6
    assert unit_factor("kPa", "mmHg") == pytest.approx(7.50062)
    assert _map("C3-M2", unit="mV")["EEG C3-M2"].scale == 1000.0


def test_nox_mapping(shared_data):
    s = open_study(shared_data / "nox/nox-a1-120s.edf")
    m = map_study(s)
    assert m["EEG C3-M2"].plus == "C3-M2"
    assert m["EOG LOC-M2"].plus == "E1-M2"
    assert m["SPO2"].plus == "Saturation"
    assert m["EEG C3-M2"].scale == 1e6  # Nox writes volts
    x, present = load_model_input(s, m)
    assert x.shape == (16, 120 * 128)
    assert present.sum() == 16 - len(m.missing)
    # EEG now in µV: tens of µV, not 1e-5
    assert 1.0 < np.nanstd(x[0]) < 1000.0


def test_resample_antialiased():
    sf = 256.0
    t = np.arange(int(sf * 20)) / sf
    low = np.sin(2 * np.pi * 5 * t)
    high = np.sin(2 * np.pi * 100 * t)  # above the 64 Hz Nyquist of the model rate
    y_low = resample(low, sf, MODEL_SFREQ_HZ)
    y_high = resample(high, sf, MODEL_SFREQ_HZ)
    assert len(y_low) == 20 * 128
    assert np.std(y_low[256:-256]) == pytest.approx(np.std(low), rel=0.02)
    assert np.std(y_high[256:-256]) < 0.01  # removed, not aliased to 28 Hz
    spo2 = np.r_[np.full(10, 97.0), np.full(10, 90.0)]
    y = resample(spo2, 1.0, MODEL_SFREQ_HZ)
    assert y.min() >= 90.0 - 1e-4 and y.max() <= 97.0 + 1e-4  # no ringing on steps


def test_model_input_window_and_missing(tmp_path):
    p = tmp_path / "s.edf"
    write_edf(p, [Sig("C3", 200), Sig("M2", 200), Sig("SpO2", 1, "%", 0, 100)], n_records=120)
    s = open_study(p)
    m = map_study(s)
    x, present = load_model_input(s, m, 30.0, 60.0)
    assert x.shape == (16, 30 * 128)
    assert present[CANONICAL_NAMES.index("EEG C3-M2")] and present[CANONICAL_NAMES.index("SPO2")]
    assert np.isnan(x[CANONICAL_NAMES.index("CAPNO")]).all()


def test_profile_saved_and_reused(tmp_path):
    labels = ["Kanal 1", "Kanal 2", "Sauerstoff"]
    auto = _map(*labels)
    assert all(not s.present for s in auto.sources)
    from engine.channels.mapping import ChannelSource

    fixed = auto.with_source(ChannelSource("EEG C3-M2", "Kanal 1", None, "manual")) \
        .with_source(ChannelSource("SPO2", "Sauerstoff", None, "manual"))
    store = ProfileStore(tmp_path / "profiles")
    store.save("Lab B", labels, fixed)
    prof = store.find_for(labels)
    assert prof is not None and prof.name == "Lab B"
    m = prof.apply(labels)
    assert m["EEG C3-M2"].plus == "Kanal 1" and m["SPO2"].plus == "Sauerstoff"
    assert m.profile == "Lab B"
    assert store.find_for(["other", "labels"]) is None


def test_dreams_breathing_channels_feed_the_model(shared_data):
    s = open_study(shared_data / "dreams-dev/excerpt3.edf")
    chmap = map_study(s)
    assert chmap["RESP THORACIC"].plus == "VTH"
    assert chmap["RESP ABDOMINAL"].plus == "VAB"
    assert chmap["C-FLOW"].plus == "NAF1"
    assert chmap["SPO2"].plus == "SAO2"
