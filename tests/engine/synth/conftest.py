"""Short synthetic nights shared by the synth tests (each generated once per session)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.signal import welch

from engine.synth import NightParams, generate_night

STAGE_HYP = tuple(["W"] * 8 + ["N1"] * 4 + ["N2"] * 10 + ["N3"] * 10 + ["R"] * 10)
EVENT_HYP = tuple(["W"] * 2 + ["N2"] * 40 + ["R"] * 40)


@pytest.fixture(scope="session")
def stage_night():
    return generate_night(NightParams(hypnogram=STAGE_HYP, age_years=6, ahi=0, seed=1, artefacts=False))


@pytest.fixture(scope="session")
def event_night():
    return generate_night(NightParams(hypnogram=EVENT_HYP, age_years=5, ahi=40, seed=2, artefacts=False))


def epochs_of(night, label, stage):
    """[n_epochs, n_times] of one channel for the epochs scored ``stage``."""
    fs = night.sfreq_hz[label]
    per = int(30 * fs)
    x = night.signals[label][: len(night.stages) * per].reshape(len(night.stages), per)
    return x[np.array(night.stages) == stage]


def band_power(x, fs, lo, hi):
    """Mean power in [lo, hi) Hz of each row (Welch, 4-s segments)."""
    f, p = welch(x, fs=fs, nperseg=int(4 * fs), axis=-1)
    return p[..., (f >= lo) & (f < hi)].sum(axis=-1)
