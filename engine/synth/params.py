"""What a synthetic night is asked for (`NightParams`) and who the synthetic child is
(`Subject`: age norms plus between-subject variation, drawn once per night from the seed).

Age norms (1-18 y) and where they come from are listed in docs/synth.md. All amplitudes
are peak-to-peak in microvolts unless the name says ``_rms``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime

import numpy as np

from engine.errors import UserError

STAGES: tuple[str, ...] = ("W", "N1", "N2", "N3", "R")
W, N1, N2, N3, R = range(5)

# streams of the night's random generator, one per module: changing what one module
# draws never shifts what another draws
STREAM = {
    "subject": 1,
    "hypnogram": 2,
    "events": 3,
    "eeg": 4,
    "eog": 5,
    "emg": 6,
    "resp": 7,
    "artefacts": 8,
    "ecg": 9,
    "eog_mix": 10,
    "eyes": 11,
}


def stream_rng(seed: int, name: str) -> np.random.Generator:
    """An independent generator for one part of the night."""
    return np.random.default_rng(np.random.SeedSequence([int(seed), STREAM[name]]))


@dataclass(frozen=True)
class NightParams:
    """What to generate. ``hours`` is the recording length (lights off to lights on).

    ahi: respiratory events (apneas + hypopneas) per hour of sleep; 0 gives none.
    artefacts: False gives a clean night (no line noise, pops, movement, flat or missing
        channel); movement that belongs to awakenings is then left out too.
    missing_channels: None = drawn from the seed (a channel is missing now and then, with
        probability ``p_missing``); a tuple = exactly these canonical labels are missing.
    hypnogram: None = drawn from the age model; else one stage ("W", "N1", "N2", "N3",
        "R") per 30-s epoch, which also fixes the length (``hours`` is then ignored).
    line_freq_hz: mains frequency of the line-noise artefact (50 or 60).
    """

    hours: float = 8.0
    age_years: float = 6.0
    ahi: float = 1.0
    seed: int = 0
    artefacts: bool = True
    p_missing: float = 0.2
    missing_channels: tuple[str, ...] | None = None
    hypnogram: tuple[str, ...] | None = None
    line_freq_hz: float = 60.0
    start: datetime = field(default=datetime(2024, 1, 1, 20, 30, 0))

    def validate(self) -> NightParams:
        if self.hypnogram is None and not (0.02 <= float(self.hours) <= 16.0):
            raise UserError(f"hours must be between 0.02 and 16, got {self.hours}")
        if not (1.0 <= float(self.age_years) <= 18.0):
            raise UserError(f"age must be between 1 and 18 years, got {self.age_years}")
        if not (0.0 <= float(self.ahi) <= 60.0):
            raise UserError(f"ahi must be between 0 and 60 events/h, got {self.ahi}")
        if int(self.seed) < 0:
            raise UserError(f"seed must be >= 0, got {self.seed}")
        if self.line_freq_hz not in (50.0, 60.0, 50, 60):
            raise UserError(f"line frequency must be 50 or 60 Hz, got {self.line_freq_hz}")
        if not (0.0 <= self.p_missing <= 1.0):
            raise UserError(f"p_missing must be in [0, 1], got {self.p_missing}")
        if self.hypnogram is not None:
            bad = sorted(set(self.hypnogram) - set(STAGES))
            if bad or len(self.hypnogram) == 0:
                raise UserError(f"hypnogram stages must be W/N1/N2/N3/R, got {bad or 'none'}")
        return self

    def to_json(self) -> dict:
        d = asdict(self)
        d["start"] = self.start.isoformat()
        d["missing_channels"] = None if self.missing_channels is None else list(self.missing_channels)
        d["hypnogram"] = None if self.hypnogram is None else list(self.hypnogram)
        return d


def _interp(age: float, ages, values) -> float:
    return float(np.interp(age, ages, values))


@dataclass(frozen=True)
class Subject:
    """One synthetic child: age norms with between-subject variation."""

    age_years: float
    # sleep architecture
    cycle_min: float  # NREM-REM cycle length
    sol_min: float  # sleep-onset latency
    n3_share: float  # of total sleep time
    rem_share: float
    n1_share: float
    awakening_per_h: float  # brief awakenings per hour of sleep
    # EEG
    pdr_hz: float  # posterior dominant rhythm (eyes closed, W)
    pdr_pp_uv: float
    delta_pp_uv: float  # frontal slow-wave amplitude in N3
    theta_pp_uv: float
    bg_rms_uv: float  # 1/f background
    spindle_fast_hz: float
    spindle_slow_hz: float
    spindle_pp_uv: float
    spindle_per_min: float  # in N2
    kc_pp_uv: float
    kc_per_min: float  # in N2
    vertex_pp_uv: float
    sawtooth_pp_uv: float
    # EOG / EMG / heart
    blink_pp_uv: float
    rem_pp_uv: float
    emg_wake_rms_uv: float
    heart_rate_bpm: float
    # breathing
    resp_rate_bpm: float  # in N2
    flow_pp_uv: float
    effort_pp_uv: float
    snore_level: float  # 0..1
    spo2_baseline: float
    desat_lag_s: float
    etco2_mmhg: float
    spont_arousal_per_h: float

    def to_json(self) -> dict:
        return {k: round(float(v), 4) for k, v in asdict(self).items()}


def draw_subject(params: NightParams) -> Subject:
    """Age norms (docs/synth.md) with log-normal between-subject variation."""
    rng = stream_rng(params.seed, "subject")
    a = float(params.age_years)

    def vary(x: float, cv: float) -> float:
        return float(x * np.exp(cv * rng.standard_normal() - 0.5 * cv * cv))

    ahi = float(params.ahi)
    # habitual snoring goes with obstructive events; some children snore without them
    snore = 0.02 + 0.9 * (1.0 - np.exp(-ahi / 5.0)) + (0.3 if rng.random() < 0.12 else 0.0)
    return Subject(
        age_years=a,
        cycle_min=vary(_interp(a, [1, 3, 5, 10, 14, 18], [50, 55, 60, 75, 85, 90]), 0.10),
        sol_min=float(np.clip(vary(_interp(a, [1, 10, 18], [18, 15, 14]), 0.35), 5.0, 45.0)),
        n3_share=float(np.clip(vary(_interp(a, [1, 5, 10, 14, 18], [0.27, 0.26, 0.24, 0.21, 0.19]), 0.12), 0.12, 0.35)),
        rem_share=float(np.clip(vary(_interp(a, [1, 3, 5, 10, 18], [0.30, 0.25, 0.22, 0.21, 0.20]), 0.12), 0.13, 0.35)),
        n1_share=float(np.clip(vary(0.05, 0.3), 0.02, 0.10)),
        awakening_per_h=vary(_interp(a, [1, 10, 18], [1.2, 0.8, 1.0]), 0.3),
        pdr_hz=float(
            np.clip(10.0 - 4.5 * np.exp(-(a - 1.0) / 3.0) + 0.3 * rng.standard_normal(), 5.0, 11.5)
        ),
        pdr_pp_uv=vary(_interp(a, [1, 5, 10, 18], [60, 70, 60, 40]), 0.2),
        delta_pp_uv=vary(_interp(a, [1, 5, 10, 14, 18], [280, 240, 190, 145, 115]), 0.12),
        theta_pp_uv=vary(_interp(a, [1, 10, 18], [70, 50, 35]), 0.2),
        bg_rms_uv=vary(_interp(a, [1, 18], [9.0, 6.0]), 0.15),
        spindle_fast_hz=float(np.clip(_interp(a, [1, 18], [12.8, 13.8]) + 0.35 * rng.standard_normal(), 12.0, 15.5)),
        spindle_slow_hz=float(np.clip(_interp(a, [1, 18], [11.2, 11.8]) + 0.3 * rng.standard_normal(), 10.8, 12.5)),
        spindle_pp_uv=vary(_interp(a, [1, 10, 18], [55, 50, 40]), 0.2),
        spindle_per_min=vary(_interp(a, [1, 10, 18], [5.0, 6.0, 5.0]), 0.2),
        kc_pp_uv=vary(_interp(a, [1, 10, 18], [220, 190, 140]), 0.15),
        kc_per_min=vary(1.6, 0.3),
        vertex_pp_uv=vary(_interp(a, [1, 10, 18], [160, 130, 90]), 0.2),
        sawtooth_pp_uv=vary(_interp(a, [1, 18], [70, 50]), 0.2),
        blink_pp_uv=vary(180.0, 0.2),
        rem_pp_uv=vary(150.0, 0.2),
        emg_wake_rms_uv=vary(12.0, 0.3),
        heart_rate_bpm=vary(_interp(a, [1, 5, 10, 18], [105, 88, 75, 62]), 0.08),
        resp_rate_bpm=vary(_interp(a, [1, 2, 5, 10, 14, 18], [26, 24, 21, 18, 16, 15]), 0.08),
        flow_pp_uv=vary(250.0, 0.25),
        effort_pp_uv=vary(400.0, 0.25),
        snore_level=float(np.clip(snore * np.exp(0.3 * rng.standard_normal()), 0.02, 1.0)),
        spo2_baseline=float(np.clip(97.6 + 0.6 * rng.standard_normal(), 95.5, 99.3)),
        desat_lag_s=float(np.clip(_interp(a, [1, 18], [13, 18]) + 2.0 * rng.standard_normal(), 11.0, 24.0)),
        etco2_mmhg=float(np.clip(41.0 + 2.0 * rng.standard_normal(), 36.0, 46.0)),
        spont_arousal_per_h=vary(_interp(a, [1, 10, 18], [10.0, 8.0, 7.0]), 0.3),
    )
