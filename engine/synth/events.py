"""Scored events of the night: respiratory events (obstructive, central, mixed apnea,
hypopnea), the oxygen desaturations they cause, and arousals (after events and
spontaneous). Timing only; the signal modules draw them.

Rules followed (AASM Scoring Manual v2.6, pediatric respiratory rules):
- apnea: >= 90 % drop of the flow signal for >= 2 breaths; obstructive if effort
  continues (with thoraco-abdominal paradox), central if effort is absent, mixed if it
  starts central and ends obstructive;
- hypopnea: >= 30 % flow drop for >= 2 breaths with a >= 3 % desaturation or an arousal;
- desaturation: >= 3 % fall of SpO2 from the pre-event baseline, lagging the event;
- arousal: abrupt EEG frequency shift lasting 3-15 s after >= 10 s of sleep (in R with a
  chin EMG increase).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.epochs import EPOCH_S

from .params import N1, N2, N3, R, Subject, W

OBSTRUCTIVE = "Obstructive apnea"
CENTRAL = "Central apnea"
MIXED = "Mixed apnea"
HYPOPNEA = "Hypopnea"
DESAT = "Oxygen desaturation"
AROUSAL = "Arousal"
RESP_TYPES = (OBSTRUCTIVE, CENTRAL, MIXED, HYPOPNEA)

# stage weights for where respiratory events happen (REM-predominant pediatric OSA)
_RESP_STAGE_W = np.array([0.0, 1.2, 1.0, 0.35, 2.5])
# stage weights for spontaneous arousals
_AROUSAL_STAGE_W = np.array([0.0, 1.5, 1.0, 0.4, 1.3])
# breathing-rate factor by stage (relative to N2)
RATE_FACTOR = np.array([1.12, 1.05, 1.0, 0.95, 1.08])


@dataclass(frozen=True)
class RespEvent:
    type: str
    onset_s: float
    duration_s: float
    flow_factor: float  # residual flow amplitude (fraction of baseline)
    effort_factor: float  # residual effort amplitude (central part for mixed)
    central_fraction: float  # mixed apnea: share of the event that is central
    desat_depth: float  # % SpO2 fall (0 = none)
    desat_onset_s: float
    desat_duration_s: float  # onset to nadir
    arousal: bool


@dataclass(frozen=True)
class Arousal:
    onset_s: float
    duration_s: float
    stage: int
    after_event: bool


def _stage_at(stages: np.ndarray, t_s: float) -> int:
    return int(stages[min(int(t_s // EPOCH_S), len(stages) - 1)])


def _all_sleep(stages: np.ndarray, a_s: float, b_s: float) -> bool:
    i0 = int(a_s // EPOCH_S)
    i1 = int(np.ceil(b_s / EPOCH_S))
    if i0 < 0 or i1 > len(stages):
        return False
    return bool(np.all(stages[i0:i1] != W))


def schedule_events(
    rng: np.random.Generator, stages: np.ndarray, subject: Subject, ahi: float
) -> tuple[list[RespEvent], list[Arousal]]:
    """Respiratory events at ``ahi`` per hour of sleep, and arousals."""
    n_ep = len(stages)
    total_s = n_ep * EPOCH_S
    busy = np.zeros(int(total_s) + 1, dtype=bool)  # 1-s occupancy grid
    sleep_h = float(np.sum(stages != W)) * EPOCH_S / 3600.0
    events: list[RespEvent] = []
    arousals: list[Arousal] = []

    n_resp = int(rng.poisson(ahi * sleep_h)) if ahi > 0 else 0
    w_ep = _RESP_STAGE_W[stages]
    # nothing in the first 2 min after sleep onset
    first_sleep = int(np.argmax(stages != W)) if np.any(stages != W) else n_ep
    w_ep[: min(first_sleep + 4, n_ep)] = 0.0
    if w_ep.sum() > 0 and n_resp > 0:
        p_ep = w_ep / w_ep.sum()
        # type mix of pediatric OSA: hypopneas and obstructive apneas dominate
        types = rng.choice(RESP_TYPES, size=n_resp, p=[0.3, 0.17, 0.06, 0.47])
        for typ in types:
            for _attempt in range(40):
                ep = int(rng.choice(n_ep, p=p_ep))
                st = int(stages[ep])
                period = 60.0 / (subject.resp_rate_bpm * RATE_FACTOR[st])
                n_breaths = rng.uniform(2.3, 6.0) if typ != HYPOPNEA else rng.uniform(2.5, 7.0)
                dur = float(np.clip(n_breaths * period, 5.0, 40.0))
                onset = float(ep * EPOCH_S + rng.uniform(0, EPOCH_S))
                lag = float(np.clip(subject.desat_lag_s + rng.normal(0, 2.5), 10.0, 30.0))
                end = onset + dur
                # event, desaturation and recovery must sit in sleep and not overlap
                a = int(onset) - 12
                b = int(end + lag) + 14
                if a < 0 or b >= busy.size or busy[a:b].any() or not _all_sleep(stages, onset - 10, end + 5):
                    continue
                busy[a:b] = True
                if typ == HYPOPNEA:
                    flow = float(rng.uniform(0.3, 0.6))
                    effort = float(rng.uniform(0.65, 0.9))
                    with_desat = rng.random() < 0.7
                    depth = float(rng.uniform(3.2, 5.5)) if with_desat else float(rng.uniform(0.5, 1.5))
                    arousal = (not with_desat) or rng.random() < 0.35
                else:
                    flow = float(rng.uniform(0.0, 0.06))
                    effort = float(rng.uniform(0.0, 0.04)) if typ in (CENTRAL, MIXED) else 1.0
                    depth = float(np.clip(2.5 + 0.35 * dur * rng.uniform(0.6, 1.2), 3.2, 14.0))
                    if typ == CENTRAL:
                        depth = float(np.clip(depth * 0.7, 3.1, 9.0))
                    p_ar = {OBSTRUCTIVE: 0.6, MIXED: 0.6, CENTRAL: 0.25}[typ]
                    arousal = rng.random() < p_ar
                events.append(
                    RespEvent(
                        type=str(typ), onset_s=round(onset, 2), duration_s=round(dur, 2),
                        flow_factor=flow, effort_factor=effort,
                        central_fraction=float(rng.uniform(0.35, 0.6)) if typ == MIXED else 0.0,
                        desat_depth=depth, desat_onset_s=round(onset + lag, 2),
                        desat_duration_s=round(dur, 2), arousal=bool(arousal),
                    )
                )
                if arousal:
                    a_on = end - float(rng.uniform(0.0, 1.5))
                    a_dur = float(rng.uniform(3.5, 12.0))
                    arousals.append(Arousal(round(a_on, 2), round(a_dur, 2), _stage_at(stages, a_on), True))
                    busy[int(a_on) : int(a_on + a_dur) + 10] = True
                break
    events.sort(key=lambda e: e.onset_s)

    # spontaneous arousals
    n_sp = int(rng.poisson(subject.spont_arousal_per_h * sleep_h))
    w_ep = _AROUSAL_STAGE_W[stages].copy()
    if w_ep.sum() > 0 and n_sp > 0:
        p_ep = w_ep / w_ep.sum()
        for _ in range(n_sp):
            for _attempt in range(20):
                ep = int(rng.choice(n_ep, p=p_ep))
                onset = float(ep * EPOCH_S + rng.uniform(0, EPOCH_S))
                dur = float(np.clip(rng.gamma(3.0, 2.2), 3.2, 15.0))
                a, b = int(onset) - 10, int(onset + dur) + 5
                if a < 0 or b >= busy.size or busy[a:b].any():
                    continue
                if not _all_sleep(stages, onset - 10, onset + dur):
                    continue
                busy[a:b] = True
                arousals.append(Arousal(round(onset, 2), round(dur, 2), int(stages[ep]), False))
                break
    arousals.sort(key=lambda x: x.onset_s)
    return events, arousals


def wake_bouts(stages: np.ndarray) -> list[tuple[float, float]]:
    """(onset_s, duration_s) of each run of W epochs after sleep onset."""
    out: list[tuple[float, float]] = []
    is_w = np.concatenate([[False], stages == W, [False]])
    d = np.diff(is_w.astype(np.int8))
    starts = np.flatnonzero(d == 1)
    ends = np.flatnonzero(d == -1)
    first_sleep = int(np.argmax(stages != W)) if np.any(stages != W) else len(stages)
    for a, b in zip(starts, ends, strict=False):
        if a > first_sleep:
            out.append((float(a * EPOCH_S), float((b - a) * EPOCH_S)))
    return out


__all__ = [
    "AROUSAL", "CENTRAL", "DESAT", "HYPOPNEA", "MIXED", "OBSTRUCTIVE", "RESP_TYPES",
    "Arousal", "RespEvent", "schedule_events", "wake_bouts", "RATE_FACTOR", "N1", "N2", "N3", "R",
]
