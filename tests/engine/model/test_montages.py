"""Montage variants: random reduced montages for the probes, named ones for the card."""

import numpy as np

from engine.channels.canonical import CANONICAL_NAMES
from engine.model.preprocess import prepare_night
from engine.training.montages import EEG, NAMED_MONTAGES, montage_mask, random_montage, with_montage


def test_random_montages_keep_one_to_three_eeg_and_vary():
    rng = np.random.default_rng(0)
    masks = np.array([random_montage(rng) for _ in range(300)])
    n_eeg = masks[:, list(EEG)].sum(1)
    assert n_eeg.min() == 1 and n_eeg.max() == 3
    assert 0.2 < masks[:, CANONICAL_NAMES.index("CAPNO")].mean() < 0.4
    assert len({m.tobytes() for m in masks}) > 100


def test_with_montage_hides_the_removed_channels():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((16, 3840 * 4)).astype(np.float32)
    night = prepare_night(x, np.ones(16, bool))
    keep = montage_mask(NAMED_MONTAGES["home apnea test (no EEG/EOG/EMG)"])
    v = with_montage(night, keep)
    assert v.present.sum() == 5 and not v.present[0]
    assert not v.z[0].any() and np.array_equal(v.z[8], night.z[8])
    assert not v.flat[:, ~keep].any()
    assert night.present.all()  # the original is untouched

