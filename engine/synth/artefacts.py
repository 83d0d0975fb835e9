"""Recording artefacts, all recorded in the ground truth:

- ``Artifact: line noise``: mains interference (50/60 Hz) on the derivations of one
  high-impedance electrode for a stretch of the night;
- ``Artifact: electrode pop``: a sudden step that decays (AC coupling) on every derivation
  that uses the popping electrode (a mastoid pop shows on 3-4 channels, with opposite
  sign to a pop of an active electrode, since the mastoid is the reference);
- ``Artifact: movement``: large slow swings plus muscle on EEG/EOG/EMG and irregular belt
  and flow signals, at awakenings, some arousals and now and then;
- ``Artifact: lead off``: a disconnected electrode (large mains + drift) for minutes;
- ``Channel flat: <label>``: a channel reads a constant for minutes;
- ``Channel missing: <label>``: the channel is not in the file at all.
"""

from __future__ import annotations

import numpy as np

from .events import Arousal
from .noise import band_noise, upsample

MOVEMENT = "Artifact: movement"
POP = "Artifact: electrode pop"
LINE = "Artifact: line noise"
LEAD_OFF = "Artifact: lead off"
FLAT = "Channel flat: "
MISSING = "Channel missing: "

# derivation -> (active electrode, reference electrode)
MONTAGE = {
    "EEG C3-M2": ("C3", "M2"), "EEG O1-M2": ("O1", "M2"), "EEG O2-M1": ("O2", "M1"),
    "EEG CZ-O1": ("CZ", "O1"), "EEG C4-M1": ("C4", "M1"), "EEG F4-M1": ("F4", "M1"),
    "EEG F3-M2": ("F3", "M2"), "EOG LOC-M2": ("E1", "M2"), "EOG ROC-M1": ("E2", "M1"),
    "EMG CHIN1-CHIN2": ("CHIN1", "CHIN2"),
}
ELECTRODES = ("C3", "C4", "O1", "O2", "F3", "F4", "CZ", "M1", "M2", "E1", "E2", "CHIN1", "CHIN2")
EXG = tuple(MONTAGE)
MISSING_CANDIDATES = ("CAPNO", "SNORE", "EEG O2-M1", "EEG F4-M1", "EEG CZ-O1", "EEG C4-M1")
FLAT_CANDIDATES = ("EEG C3-M2", "EEG O1-M2", "EEG F3-M2", "EOG ROC-M1", "CAPNO", "SNORE")


def _derivations(electrode: str) -> list[tuple[str, float]]:
    """(label, sign) of derivations that use the electrode."""
    out = []
    for label, (a, b) in MONTAGE.items():
        if electrode == a:
            out.append((label, 1.0))
        elif electrode == b:
            out.append((label, -1.0))
    return out


def apply_artefacts(
    rng: np.random.Generator,
    signals: dict[str, np.ndarray],
    sfreq: dict[str, float],
    stages: np.ndarray,
    arousals: list[Arousal],
    wake_bouts: list[tuple[float, float]],
    line_freq_hz: float,
    enabled: bool,
    p_missing: float,
    missing: tuple[str, ...] | None,
) -> list[tuple[float, float, str, str]]:
    """Modify ``signals`` in place; return (onset_s, duration_s, type, channel) items."""
    total_s = len(stages) * 30.0
    out: list[tuple[float, float, str, str]] = []

    if enabled:
        # movement at awakenings, some arousals and a few at random
        moves = [(on + rng.uniform(0, min(du, 30.0) * 0.5), rng.uniform(2.0, 10.0))
                 for on, du in wake_bouts if rng.random() < 0.5]
        moves += [(a.onset_s + rng.uniform(0.0, 1.0), min(a.duration_s, rng.uniform(2.0, 6.0)))
                  for a in arousals if rng.random() < 0.15]
        for _ in range(rng.poisson(0.5 * total_s / 3600.0)):
            wake_ep = np.flatnonzero(stages == 0)
            if wake_ep.size:
                moves.append((float(rng.choice(wake_ep)) * 30 + rng.uniform(0, 25), rng.uniform(2.0, 8.0)))
        for on, du in sorted(moves):
            on = round(float(on), 2)
            du = round(float(min(du, total_s - on - 0.1)), 2)
            if du < 1.0:
                continue
            _movement(rng, signals, sfreq, on, du)
            out.append((on, du, MOVEMENT, ""))

        # electrode pops
        for _ in range(rng.poisson(1.5 * total_s / 3600.0)):
            el = str(rng.choice(ELECTRODES))
            on = round(float(rng.uniform(5, total_s - 5)), 2)
            amp = rng.uniform(150, 700) * rng.choice([-1.0, 1.0])
            tau = rng.uniform(0.25, 0.9)
            du = round(float(max(4 * tau, 0.5)), 2)
            for label, sign in _derivations(el):
                x = signals[label]
                fs = sfreq[label]
                i0 = int(on * fs)
                k = np.arange(min(int(du * fs * 1.5), x.size - i0))
                x[i0 : i0 + k.size] += (sign * amp * np.exp(-k / (tau * fs))).astype(np.float32)
                out.append((on, du, POP, label))

        # line noise on one electrode's derivations for a stretch of the night
        if rng.random() < 0.5:
            el = str(rng.choice(ELECTRODES))
            du = float(min(rng.uniform(300, 3600), total_s))
            on = round(float(rng.uniform(0, total_s - du)), 2)
            du = round(du, 2)
            amp = rng.uniform(5, 30)
            for label, sign in _derivations(el):
                x = signals[label]
                fs = sfreq[label]
                i0, i1 = int(on * fs), min(int((on + du) * fs), x.size)
                t = np.arange(i0, i1) / fs
                x[i0:i1] += (sign * amp * np.sin(2 * np.pi * line_freq_hz * t)).astype(np.float32)
                out.append((on, du, LINE, label))

        # a disconnected electrode for a few minutes
        if rng.random() < 0.15:
            el = str(rng.choice(("C3", "C4", "O1", "O2", "F3", "F4", "E1", "E2")))
            du = float(min(rng.uniform(60, 900), total_s))
            on = round(float(rng.uniform(0, total_s - du)), 2)
            du = round(du, 2)
            for label, _sign in _derivations(el):
                x = signals[label]
                fs = sfreq[label]
                i0, i1 = int(on * fs), min(int((on + du) * fs), x.size)
                t = np.arange(i0, i1) / fs
                n4 = int(np.ceil((i1 - i0) / fs * 4)) + 1
                drift = upsample(band_noise(rng, n4, 4.0, 0.05, 1.0), int(fs / 4))[: i1 - i0]
                x[i0:i1] = (rng.uniform(150, 400) * np.sin(2 * np.pi * line_freq_hz * t) + 300 * drift).astype(np.float32)
                out.append((on, du, LEAD_OFF, label))

        # a flat channel for a stretch
        if rng.random() < 0.25:
            label = str(rng.choice(FLAT_CANDIDATES))
            du = float(min(rng.uniform(300, 3600), total_s))
            on = round(float(rng.uniform(0, total_s - du)), 2)
            du = round(du, 2)
            x = signals[label]
            fs = sfreq[label]
            x[int(on * fs) : min(int((on + du) * fs), x.size)] = 0.0
            out.append((on, du, FLAT + label, label))

    # a missing channel now and then
    if missing is None:
        missing = (str(rng.choice(MISSING_CANDIDATES)),) if (enabled and rng.random() < p_missing) else ()
    # artefacts on a channel that is not in the file are not in the ground truth either
    out = [item for item in out if item[3] not in missing]
    for label in missing:
        if label in signals:
            del signals[label]
            out.append((0.0, total_s, MISSING + label, label))
    return out


def _movement(rng, signals, sfreq, on, du):
    for label, x in signals.items():
        fs = sfreq[label]
        i0, i1 = int(on * fs), min(int((on + du) * fs), x.size)
        m = i1 - i0
        if m <= 4:
            continue
        win = np.sin(np.pi * np.arange(m) / m).astype(np.float32) ** 0.3
        if label in EXG:
            slow = np.cumsum(rng.standard_normal(m)).astype(np.float32)
            slow -= np.linspace(slow[0], slow[-1], m, dtype=np.float32)
            slow *= 250.0 / (np.abs(slow).max() + 1e-6)
            x[i0:i1] += win * (slow + 40.0 * rng.standard_normal(m).astype(np.float32))
        elif label in ("RESP THORACIC", "RESP ABDOMINAL", "C-FLOW"):
            sd = float(np.std(x[max(i0 - int(10 * fs), 0) : i0]) + 1.0)
            slow = np.cumsum(rng.standard_normal(m)).astype(np.float32)
            slow *= 3 * sd / (np.abs(slow).max() + 1e-6)
            x[i0:i1] += win * slow
        elif label == "SNORE":
            x[i0:i1] += win * 60.0 * rng.standard_normal(m).astype(np.float32)
