"""Synthetic pediatric whole-night polysomnography with ground truth.

    from engine.synth import NightParams, generate_night, write_night
    night = generate_night(NightParams(hours=8, age_years=6, ahi=5, seed=1))
    night.signals["EEG C3-M2"]   # float32 uV at night.sfreq_hz["EEG C3-M2"] (256 Hz)
    night.stages                 # ["W", "W", ..., "N2", ...] one per 30-s epoch
    night.events                 # [Event(onset_s, duration_s, type, channel), ...]
    write_night(night, "out/night.edf")   # EDF+ + out/night.truth.json

Phenomena, parameters and physiology references: docs/synth.md.
"""

from .night import SFREQ_HZ, Event, Night, generate_night
from .params import STAGES, NightParams, Subject, draw_subject
from .writer import read_truth, truth_path, write_night

__all__ = [
    "Event", "Night", "NightParams", "SFREQ_HZ", "STAGES", "Subject", "draw_subject",
    "generate_night", "read_truth", "truth_path", "write_night",
]
