"""A whole synthetic night: `generate_night(NightParams) -> Night`."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from engine.channels.canonical import CANONICAL_CHANNELS, CANONICAL_NAMES, EPOCH_S

from .artefacts import apply_artefacts
from .eeg import EEG_LABELS, generate_eeg
from .eog_emg import ecg_artifact, generate_emg, generate_eye, heartbeat_times, make_eog
from .events import AROUSAL, DESAT, schedule_events, wake_bouts
from .hypnogram import make_hypnogram, stage_codes, stage_names
from .params import NightParams, Subject, draw_subject, stream_rng
from .respiration import generate_respiration

SFREQ_HZ: dict[str, float] = {c.name: float(c.native_sfreq_hz) for c in CANONICAL_CHANNELS}


@dataclass(frozen=True)
class Event:
    """A scored item with time in seconds from recording start. ``channel`` is "" for
    events that belong to the whole recording (respiratory events, arousals, movement)."""

    onset_s: float
    duration_s: float
    type: str
    channel: str = ""

    def to_json(self) -> dict:
        return {"onset_s": self.onset_s, "duration_s": self.duration_s, "type": self.type, "channel": self.channel}


@dataclass
class Night:
    params: NightParams
    subject: Subject
    signals: dict[str, np.ndarray]  # label -> float32 [n_times] in physical units
    sfreq_hz: dict[str, float]  # label -> samples per second
    stages: list[str]  # one of W/N1/N2/N3/R per 30-s epoch
    events: list[Event] = field(default_factory=list)  # sorted by onset

    @property
    def duration_s(self) -> float:
        return len(self.stages) * EPOCH_S

    @property
    def channels(self) -> list[str]:
        """Labels present, in canonical order."""
        return [c for c in CANONICAL_NAMES if c in self.signals]

    @property
    def missing_channels(self) -> list[str]:
        return [c for c in CANONICAL_NAMES if c not in self.signals]

    def events_of(self, type_: str) -> list[Event]:
        return [e for e in self.events if e.type == type_]

    def stage_codes(self) -> np.ndarray:
        return stage_codes(self.stages)


def generate_night(params: NightParams) -> Night:
    """Generate one night; deterministic for a given ``params`` (seed included)."""
    params = params.validate()
    subject = draw_subject(params)
    if params.hypnogram is not None:
        hyp = stage_codes(params.hypnogram)
    else:
        n_ep = max(int(round(params.hours * 3600.0 / EPOCH_S)), 1)
        hyp = make_hypnogram(stream_rng(params.seed, "hypnogram"), subject, n_ep)

    resp_events, arousals = schedule_events(stream_rng(params.seed, "events"), hyp, subject, float(params.ahi))

    # eyes open or closed in each W epoch: blinks and saccades vs posterior rhythm
    eyes_open = stream_rng(params.seed, "eyes").beta(1.5, 1.5, size=len(hyp))
    eye, blink, rem_times = generate_eye(stream_rng(params.seed, "eog"), hyp, subject, eyes_open)
    signals = generate_eeg(
        stream_rng(params.seed, "eeg"), hyp, arousals, subject, blinks_256=blink, eyes_open=eyes_open
    )
    del blink
    emg = generate_emg(stream_rng(params.seed, "emg"), hyp, arousals, subject, rem_times)

    # ECG leaks onto the chin EMG and, faintly, onto mastoid-referenced EEG
    rng_ecg = stream_rng(params.seed, "ecg")
    beats = heartbeat_times(rng_ecg, len(hyp) * EPOCH_S, hyp, subject)
    ecg = ecg_artifact(rng_ecg, emg.size, 256.0, beats)
    ecg_amp = float(rng_ecg.uniform(2.0, 8.0))
    emg += ecg_amp * ecg
    for label in EEG_LABELS:
        if label != "EEG CZ-O1":
            signals[label] += (0.25 * ecg_amp * rng_ecg.uniform(0.3, 1.0)) * ecg
    del ecg

    signals.update(make_eog(stream_rng(params.seed, "eog_mix"), eye, signals["EEG F3-M2"], signals["EEG F4-M1"], emg))
    del eye
    signals["EMG CHIN1-CHIN2"] = emg
    signals.update(generate_respiration(stream_rng(params.seed, "resp"), hyp, resp_events, arousals, subject))

    sfreq = dict(SFREQ_HZ)
    for label, x in signals.items():  # every channel spans the whole night exactly
        assert x.size == int(round(len(hyp) * EPOCH_S * sfreq[label])), label

    art = apply_artefacts(
        stream_rng(params.seed, "artefacts"), signals, sfreq, hyp, arousals, wake_bouts(hyp),
        float(params.line_freq_hz), params.artefacts, params.p_missing, params.missing_channels,
    )

    events: list[Event] = []
    for e in resp_events:
        events.append(Event(e.onset_s, e.duration_s, e.type))
        if e.desat_depth >= 3.0:
            events.append(Event(e.desat_onset_s, e.desat_duration_s, DESAT, "SPO2"))
    events += [Event(a.onset_s, a.duration_s, AROUSAL) for a in arousals]
    events += [Event(on, du, typ, ch) for on, du, typ, ch in art]
    events.sort(key=lambda e: (e.onset_s, e.type, e.channel))

    ordered = {label: signals[label] for label in CANONICAL_NAMES if label in signals}
    return Night(
        params=params,
        subject=subject,
        signals=ordered,
        sfreq_hz={label: sfreq[label] for label in ordered},
        stages=stage_names(hyp),
        events=events,
    )
