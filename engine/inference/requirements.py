"""What a study must record before the model suggests each thing.

The model runs on any subset of the 16 channels, but a suggestion it cannot support from
the recorded signals is noise a scorer has to reject: a sleep stage needs EEG or EOG
(AASM does not stage a home apnea test either), an arousal is an EEG frequency shift,
apneas and hypopneas are read from airflow or effort, a desaturation from SpO2.

A missing or flat channel is reconstructed only from its own family: brain channels (EEG,
EOG, chin EMG) from the brain channels a study has, cardio-respiratory ones (flow, belts,
SpO2, CO2, snore) from the respiratory ones. An EEG "rebuilt" from breathing alone is
the night's average and would only crowd the screen.
"""

from __future__ import annotations

import numpy as np

from engine.channels.canonical import CANONICAL_CHANNELS

STAGE_KINDS = ("eeg", "eog")
EVENT_KINDS = {
    "Obstructive apnea": ("flow", "resp"),
    "Central apnea": ("flow", "resp"),
    "Hypopnea": ("flow", "resp"),
    "Oxygen desaturation": ("spo2",),
    "Arousal": ("eeg",),
}


def _has(present: np.ndarray, kinds) -> bool:
    return any(bool(present[i]) and c.kind in kinds for i, c in enumerate(CANONICAL_CHANNELS))


def can_stage(present: np.ndarray) -> bool:
    """present: bool [16], the channels recorded."""
    return _has(present, STAGE_KINDS)


def suggestable_events(present: np.ndarray) -> tuple[str, ...]:
    """The event types the model suggests for a study recording ``present``."""
    return tuple(t for t, kinds in EVENT_KINDS.items() if _has(present, kinds))


RECON_SOURCES = {
    "eeg": ("eeg", "eog"), "eog": ("eeg", "eog"), "emg": ("eeg", "eog", "emg"),
    "flow": ("flow", "resp"), "resp": ("flow", "resp"), "spo2": ("flow", "resp"),
    "capno": ("flow", "resp", "capno"), "snore": ("flow", "resp"),
}


def reconstructable(present: np.ndarray) -> np.ndarray:
    """bool [16]: channels the model may rebuild (when missing or flat) for a study
    recording ``present``."""
    return np.array([_has(present, RECON_SOURCES.get(c.kind, ())) for c in CANONICAL_CHANNELS], bool)


# --- which reconstructions a scorer sees (issue #11) -----------------------------------------
# Against the generated nights the starter model was trained on, most epochs of every real
# recording tried are "unusual" (outlier score >= 0.99, the app's red-mark threshold):
# Sleep-EDF sample 70 %, DREAMS excerpt 3 60 %, excerpt 1 100 %, Nox 100 %; generated
# nights 3 %. A reconstruction on such a study would be the training nights' average.
UNUSUAL_OUTLIER = 0.99
UNLIKE_FRACTION = 0.5
MIN_EPOCHS_TO_JUDGE = 4


def unlike_training(outlier_scores: np.ndarray, n_epochs: int | None = None) -> bool:
    """True when the study is unlike what the model was trained on: at least
    UNLIKE_FRACTION of the epochs scored so far are unusual (outlier score >=
    UNUSUAL_OUTLIER), once MIN_EPOCHS_TO_JUDGE epochs (or all of a shorter study) are
    scored."""
    o = np.asarray(outlier_scores, np.float64)
    o = o[np.isfinite(o)]
    need = MIN_EPOCHS_TO_JUDGE if n_epochs is None else min(MIN_EPOCHS_TO_JUDGE, max(1, n_epochs))
    return len(o) >= need and float(np.mean(o >= UNUSUAL_OUTLIER)) >= UNLIKE_FRACTION


def reconstruction_targets(present: np.ndarray, requested=()) -> np.ndarray:
    """bool [16]: channels rebuilt by default — every recorded one (over its flat,
    disconnected or saturated stretches only: the runner decodes hidden epochs) — plus the
    missing ones the scorer asked for; always only from the channel's own family."""
    present = np.asarray(present, bool)
    want = present.copy()
    for c in requested:
        if 0 <= int(c) < len(want):
            want[int(c)] = True
    return want & reconstructable(present)


# a flat stretch is a lead-off only when its level is not a plausible steady reading:
# SpO2 holding at 96 % for 30 s (a 1-% resolution oximeter often does) is a patient,
# not a probe that came off (those read 0, -1 or the rail). A snore channel (its loudness)
# that stays quiet is a child not snoring: silence is its normal reading, never a lead-off.
# (lowest, highest plausible level, how far from the night's own level in robust SDs)
STEADY_READING = {"spo2": (50.0, 100.5, 5.0), "snore": (-float("inf"), float("inf"), float("inf"))}


def steady_reading(kind: str, level: float, z: float = 0.0) -> bool:
    """True when a channel of ``kind`` flat at ``level`` (physical units; ``z``: that level
    in robust standard deviations from the night's median) is a plausible steady reading
    rather than a disconnection: inside the kind's range and, for SpO2, within 5 SD of the
    night's own level (the model's z is clipped at 20, so a probe reading 0 can look like
    77 %); a quiet snore channel lies far below a snoring night's median and is still silence."""
    rng = STEADY_READING.get(kind)
    return (rng is not None and bool(np.isfinite(level)) and rng[0] <= level <= rng[1]
            and abs(z) < rng[2])
