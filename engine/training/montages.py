"""Montages: which canonical channels a study records.

Labs do not all record the full 16-channel montage. A home study has one EEG derivation
or none, many labs have no CO2 or snore sensor, older files have 2 EEG channels. The
probes are fitted on nights with channels randomly removed as well as on the full
montage, so one stage probe and one set of event heads serve them all; the evaluation
reports each named montage below separately.
"""

from __future__ import annotations

import numpy as np

from engine.channels.canonical import CANONICAL_NAMES
from engine.model.preprocess import NightInput

EEG = tuple(range(7))
_IDX = {n: i for i, n in enumerate(CANONICAL_NAMES)}

# montages the model card reports (channels recorded)
NAMED_MONTAGES: dict[str, tuple[str, ...]] = {
    "full PSG": CANONICAL_NAMES,
    "reduced PSG (C3-M2, LOC, chin, SpO2, belts, flow)": (
        "EEG C3-M2", "EOG LOC-M2", "EMG CHIN1-CHIN2", "SPO2", "RESP THORACIC", "RESP ABDOMINAL", "C-FLOW"),
    "2 EEG + EOG + chin, no respiration": (
        "EEG C4-M1", "EEG O2-M1", "EOG LOC-M2", "EOG ROC-M1", "EMG CHIN1-CHIN2"),
    "home apnea test (no EEG/EOG/EMG)": ("SPO2", "RESP THORACIC", "RESP ABDOMINAL", "C-FLOW", "SNORE"),
}

# chance each non-EEG channel is kept in a random montage (1-3 EEG channels always are)
_KEEP_P = {"CAPNO": 0.3, "SPO2": 0.9, "RESP THORACIC": 0.8, "RESP ABDOMINAL": 0.8, "SNORE": 0.5,
           "C-FLOW": 0.85, "EOG LOC-M2": 0.6, "EOG ROC-M1": 0.6, "EMG CHIN1-CHIN2": 0.8}


def montage_mask(names) -> np.ndarray:
    keep = np.zeros(len(CANONICAL_NAMES), bool)
    keep[[_IDX[n] for n in names]] = True
    return keep


def random_montage(rng: np.random.Generator) -> np.ndarray:
    """A bool [16] keep-mask: 1 to 3 EEG derivations, other channels each kept with a
    lab-like probability."""
    keep = np.zeros(len(CANONICAL_NAMES), bool)
    keep[rng.choice(EEG, int(rng.integers(1, 4)), replace=False)] = True
    for name, p in _KEEP_P.items():
        keep[_IDX[name]] = rng.random() < p
    return keep


def with_montage(night: NightInput, keep: np.ndarray) -> NightInput:
    """The same night as if only the channels in ``keep`` had been recorded."""
    present = night.present & keep
    z = night.z.copy()
    z[~present] = 0
    return NightInput(z, present, night.flat & present[None, :], night.center, night.scale)
