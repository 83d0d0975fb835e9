"""Which of a study's signals the stager reads: the best EEG (central first), an EOG and
the chin EMG when present, each as the canonical mapping resolved it (a referential
difference when the mapping derives one), in µV at the stager's 100 Hz."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.channels.mapping import ChannelSource
from engine.channels.resample import resample
from engine.events.inputs import read_night

STAGER_SFREQ_HZ = 100.0  # what YASA's classifiers were trained at
# YASA prefers a central EEG (C4-M1 / C3-M2); then frontal (Fpz-Cz-like), then occipital
EEG_PREFERENCE = ("EEG C3-M2", "EEG C4-M1", "EEG F3-M2", "EEG F4-M1", "EEG CZ-O1", "EEG O1-M2", "EEG O2-M1")
EOG_PREFERENCE = ("EOG LOC-M2", "EOG ROC-M1")
EMG_PREFERENCE = ("EMG CHIN1-CHIN2",)
FLAT_UV = 0.5  # a channel whose whole-night SD is below this is disconnected
# below this native rate a "channel" is an envelope or trend (Sleep-EDF's 1-Hz submental EMG),
# not a waveform the stager's spectral features can read
MIN_SFREQ_HZ = 50.0


@dataclass(frozen=True)
class StagingChannels:
    eeg: ChannelSource | None
    eog: ChannelSource | None
    emg: ChannelSource | None

    def labels(self) -> dict:
        def lab(s):
            if s is None:
                return None
            return s.plus if s.minus is None else f"{s.plus} − {s.minus}"
        return {"eeg": lab(self.eeg), "eog": lab(self.eog), "emg": lab(self.emg)}


def choose_staging_channels(chmap, exclude: tuple[str, ...] = (), rates: dict | None = None) -> StagingChannels:
    """The first present source of each preference list (``exclude``: canonical names not
    to use, e.g. a flat EEG; ``rates``: display label -> native rate, to skip envelopes
    sampled below MIN_SFREQ_HZ)."""

    def first(names):
        for n in names:
            s = chmap[n]
            if not s.present or n in exclude:
                continue
            if rates is not None and rates.get(s.plus, MIN_SFREQ_HZ) < MIN_SFREQ_HZ:
                continue
            return s
        return None

    return StagingChannels(first(EEG_PREFERENCE), first(EOG_PREFERENCE), first(EMG_PREFERENCE))


def read_uv_100hz(study, src) -> tuple[np.ndarray, str]:
    """One mapped source over the whole night: float64 µV at 100 Hz, and a note on what was
    done to it. Issue 16: read as float32 and streamed past the study's block cache (a
    whole-night read filled its 128 MB); the difference and the scale are taken in float64,
    in place, as before, and the result stays float64: the stager scales what it hands YASA
    by 1e-6, and in float32 that rounding moved some of YASA's features and, on the
    generated 10-h bench night, its last epochs' probabilities by up to 0.13. So the
    stager's results are unchanged."""
    i_plus = study.signal_index(src.plus)
    x = read_night(study, study.signals[i_plus]).astype(np.float64)
    if src.minus:
        x -= read_night(study, study.signals[study.signal_index(src.minus)])
    x *= float(src.scale)  # canonical unit of EEG/EOG/EMG: µV
    sf = float(study.signals[i_plus].sfreq_hz)
    note = ""
    if sf != STAGER_SFREQ_HZ:
        x = resample(x, sf, STAGER_SFREQ_HZ).astype(np.float64)
        note = f"{src.plus} resampled from {sf:g} Hz to {STAGER_SFREQ_HZ:g} Hz"
    np.nan_to_num(x, copy=False, nan=0.0)
    return x, note


def is_flat(x_uv: np.ndarray) -> bool:
    return bool(len(x_uv) == 0 or np.nanstd(x_uv) < FLAT_UV)
