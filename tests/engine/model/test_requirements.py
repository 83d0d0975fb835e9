"""The model suggests only what the recorded channels support."""

import numpy as np

from engine.inference.requirements import can_stage, suggestable_events
from engine.training.montages import NAMED_MONTAGES, montage_mask


def test_full_montage_suggests_everything():
    full = np.ones(16, bool)
    assert can_stage(full)
    assert set(suggestable_events(full)) == {"Obstructive apnea", "Central apnea", "Hypopnea",
                                             "Oxygen desaturation", "Arousal"}


def test_home_apnea_test_has_no_stages_and_no_arousals():
    hsat = montage_mask(NAMED_MONTAGES["home apnea test (no EEG/EOG/EMG)"])
    assert not can_stage(hsat)
    assert "Arousal" not in suggestable_events(hsat) and "Hypopnea" in suggestable_events(hsat)


def test_no_respiration_no_respiratory_events():
    eeg_only = montage_mask(NAMED_MONTAGES["2 EEG + EOG + chin, no respiration"])
    assert can_stage(eeg_only)
    assert suggestable_events(eeg_only) == ("Arousal",)
    eog_only = montage_mask(("EOG LOC-M2",))
    assert can_stage(eog_only) and suggestable_events(eog_only) == ()


def test_channels_are_rebuilt_only_from_their_own_family():
    from engine.channels.canonical import CANONICAL_NAMES
    from engine.inference.requirements import reconstructable

    hsat = montage_mask(NAMED_MONTAGES["home apnea test (no EEG/EOG/EMG)"])
    r = dict(zip(CANONICAL_NAMES, reconstructable(hsat)))
    assert not r["EEG C3-M2"] and not r["EOG LOC-M2"] and not r["EMG CHIN1-CHIN2"]
    assert r["CAPNO"] and r["SPO2"]
    eeg_only = montage_mask(NAMED_MONTAGES["2 EEG + EOG + chin, no respiration"])
    r = dict(zip(CANONICAL_NAMES, reconstructable(eeg_only)))
    assert r["EEG C3-M2"] and not r["C-FLOW"] and not r["SPO2"]
    assert reconstructable(np.ones(16, bool)).all()
