"""The 16 canonical PedSleepMAE channels (NCH Sleep DataBank order) and their kinds.

Model input is these channels at ``MODEL_SFREQ_HZ`` in 30-s epochs; a channel a study
lacks is masked, never zero-filled.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.epochs import EPOCH_S

MODEL_SFREQ_HZ = 128.0
EPOCH_SAMPLES = int(MODEL_SFREQ_HZ * EPOCH_S)  # 3840


@dataclass(frozen=True)
class CanonicalChannel:
    name: str  # canonical label, e.g. "EEG C3-M2"
    kind: str  # eeg | eog | emg | resp | spo2 | capno | snore | flow
    unit: str  # physical unit the model path expects
    # typical native rate a recorder uses (the synthetic generator writes these)
    native_sfreq_hz: float
    # what the model sees of the channel: "waveform" (the signal itself, resampled) or
    # "loudness" (snore: RMS above 15 Hz, see engine.channels.snore)
    model_view: str = "waveform"

    @property
    def model_label(self) -> str:
        """The channel as the model sees it, e.g. "SNORE loudness"."""
        return self.name if self.model_view == "waveform" else f"{self.name} {self.model_view}"


CANONICAL_CHANNELS: tuple[CanonicalChannel, ...] = (
    CanonicalChannel("EEG C3-M2", "eeg", "uV", 256.0),
    CanonicalChannel("EEG O1-M2", "eeg", "uV", 256.0),
    CanonicalChannel("EEG O2-M1", "eeg", "uV", 256.0),
    CanonicalChannel("EEG CZ-O1", "eeg", "uV", 256.0),
    CanonicalChannel("EEG C4-M1", "eeg", "uV", 256.0),
    CanonicalChannel("EEG F4-M1", "eeg", "uV", 256.0),
    CanonicalChannel("EEG F3-M2", "eeg", "uV", 256.0),
    CanonicalChannel("CAPNO", "capno", "mmHg", 32.0),
    CanonicalChannel("SPO2", "spo2", "%", 16.0),
    CanonicalChannel("RESP THORACIC", "resp", "uV", 64.0),
    CanonicalChannel("RESP ABDOMINAL", "resp", "uV", 64.0),
    CanonicalChannel("SNORE", "snore", "uV", 256.0, "loudness"),
    CanonicalChannel("C-FLOW", "flow", "uV", 64.0),
    CanonicalChannel("EOG LOC-M2", "eog", "uV", 256.0),
    CanonicalChannel("EOG ROC-M1", "eog", "uV", 256.0),
    CanonicalChannel("EMG CHIN1-CHIN2", "emg", "uV", 256.0),
)

CANONICAL_NAMES: tuple[str, ...] = tuple(c.name for c in CANONICAL_CHANNELS)
N_CANONICAL = len(CANONICAL_CHANNELS)


def canonical_index(name: str) -> int:
    """Index of a canonical channel by its exact canonical name."""
    return CANONICAL_NAMES.index(name)
