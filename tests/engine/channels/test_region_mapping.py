"""EEG/EOG derivations mapped by region, side and reference (issue #10)."""

import pytest

from engine.channels.derivations import parse_derivation
from engine.channels.mapping import ChannelMap, LabelInfo, map_labels, map_study
from engine.io import open_study


def _map(*labels, unit="uV", sf=256.0):
    return map_labels([LabelInfo(lb, unit, sf) for lb in labels])


@pytest.mark.parametrize("label,canon", [
    ("Cz-A1", "EEG C3-M2"), ("CZ-A1", "EEG C3-M2"), ("C3-A1", "EEG C3-M2"), ("C4-A2", "EEG C4-M1"),
    ("Fpz-Cz", "EEG C3-M2"), ("EEG Fpz-Cz", "EEG C3-M2"), ("Pz-Oz", "EEG O1-M2"), ("F3", "EEG F3-M2"),
    ("O2-M1", "EEG O2-M1"), ("o2-m1", "EEG O2-M1"), ("EEG O2-M1", "EEG O2-M1"), ("FP1-A1", "EEG F3-M2"),
    ("F4-A2", "EEG F4-M1"), ("C4", "EEG C4-M1"), ("EEG CZ-A1", "EEG C3-M2"), ("T3-A2", "EEG C3-M2"),
    ("EOG1-A1", "EOG LOC-M2"), ("EOG2-A1", "EOG ROC-M1"), ("EOG E1-M2", "EOG LOC-M2"),
    ("EOG ROC-A1", "EOG ROC-M1"), ("eog l", "EOG LOC-M2"),
])
def test_every_eeg_label_maps_to_its_nearest_slot(label, canon):
    src = _map(label)[canon]
    assert src.plus == label, _map(label).to_dict()


def test_single_eeg_study_fills_a_canonical_slot_and_says_why():
    m = _map("CZ-A1", "Pleth", "ECG")
    src = m["EEG C3-M2"]
    assert src.plus == "CZ-A1" and src.how == "approximate"
    assert src.explain() == "C3-M2 ← CZ-A1, nearest central derivation, ear reference for mastoid"
    assert "nearest central derivation" in src.describe()
    # survives the profile round trip
    assert ChannelMap.from_dict(m.to_dict())["EEG C3-M2"].note == src.note


def test_exact_and_alias_matches_keep_priority_over_region_fallback():
    m = _map("C3-M2", "CZ-A1", "C4-M1")
    assert m["EEG C3-M2"].plus == "C3-M2" and m["EEG C3-M2"].how == "exact"
    assert m["EEG C4-M1"].plus == "C4-M1"
    # CZ-A1 had no free central slot: it goes to the nearest free region
    assert m.canonical_of("CZ-A1") in ("EEG F3-M2", "EEG F4-M1", "EEG O1-M2", "EEG O2-M1", "EEG CZ-O1")


def test_non_eeg_labels_are_not_derivations():
    for lb in ("EMG1", "SAO2", "ECG", "PR", "Flow", "Thor", "POS", "hypnogram"):
        assert parse_derivation(lb) is None, lb


def test_real_dreams_montages(shared_data):
    s1 = open_study(shared_data / "dreams-dev" / "excerpt1.edf")
    assert map_study(s1)["EEG C3-M2"].plus == "EEG C3-A1"
    s3 = open_study(shared_data / "dreams-dev" / "excerpt3.edf")
    m = map_study(s3)
    assert m["EEG C3-M2"].plus == "C3-A1"
    assert m["EEG F3-M2"].plus == "FP1-A1"
    assert m["EOG LOC-M2"].plus == "EOG1-A1" and m["EOG ROC-M1"].plus == "EOG2-A1"
    assert m["EMG CHIN1-CHIN2"].plus == "EMG1"
