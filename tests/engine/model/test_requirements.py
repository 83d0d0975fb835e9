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
