"""Eye movements (EOG LOC-M2 / ROC-M1), chin EMG and the ECG that leaks onto both.

EOG: saccades and blinks in W, slow rolling eye movements in N1 (and drowsy W), bursts of
rapid eye movements in R; conjugate movements give out-of-phase deflections on LOC and ROC
(E1 below the left, E2 above the right outer canthus), frontal EEG leaks onto both in
phase (K-complexes, delta). The amplifier is AC-coupled (0.3 Hz), so a saccade is a step
that decays with a ~0.5 s time constant.
EMG: broadband (10-100 Hz) noise whose tone falls W > N1 > N2 > N3 > R (atonia), phasic
twitches in R clustered with REM bursts, bursts at arousals.
"""

from __future__ import annotations

import numpy as np
from scipy.signal import lfilter

from .events import Arousal
from .noise import (
    add_windows,
    band_noise,
    epoch_envelope,
    event_times,
    pink_noise,
    poisson_times,
    smooth,
    stamp,
    to_rate,
    upsample,
)
from .params import N1, N2, R, Subject, W

EOG_SFREQ_HZ = 64.0  # eye movements are generated here, then up-sampled to 256 Hz
OUT_SFREQ_HZ = 256.0


def _steps(rng, n, fs, times_s, amps, rise_s, tau_s=0.53) -> np.ndarray:
    d = np.zeros(n, dtype=np.float64)
    idx = np.clip((np.asarray(times_s) * fs).astype(int), 0, n - 1)
    np.add.at(d, idx, amps)
    y = lfilter([1.0], [1.0, -np.exp(-1.0 / (tau_s * fs))], d)
    return smooth(y, max(int(rise_s * fs) | 1, 1))


def generate_eye(
    rng: np.random.Generator, stages: np.ndarray, subject: Subject, eyes_open: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(eye_256, blink_256, rem_times_s): the conjugate eye-movement signal in uV (positive
    on LOC, negative on ROC), the blink part alone (it also reaches frontal EEG), and the
    times of rapid eye movements (chin twitches cluster with them)."""
    s = subject
    fs = EOG_SFREQ_HZ
    n_ep = len(stages)
    n = int(n_ep * 30 * fs)

    # saccades in W, a few in N1
    if eyes_open is None:
        eyes_open = np.full(n_ep, 0.5)
    wake = (stages == W).astype(np.float64)
    # saccades and blinks mostly with eyes open (W), a few in N1
    t_sac = poisson_times(rng, wake * (2.0 + 12.0 * eyes_open) + (stages == N1) * 1.0)
    a_sac = rng.choice([-1.0, 1.0], t_sac.size) * s.rem_pp_uv * rng.uniform(0.2, 0.7, t_sac.size)
    # rapid eye movements in R: bursts of 2-8 movements 0.3-1.2 s apart, plus isolated ones
    t_burst = event_times(rng, stages, np.array([0.0, 0.0, 0.0, 0.0, 1.6]))
    rem_t = [t_burst + 0.0]
    for _ in range(7):
        t_burst = t_burst + rng.uniform(0.3, 1.2, t_burst.size)
        rem_t.append(t_burst[rng.random(t_burst.size) < 0.75])
    rem_t.append(event_times(rng, stages, np.array([0.0, 0.0, 0.0, 0.0, 1.0])))
    t_rem = np.sort(np.concatenate(rem_t))
    a_rem = rng.choice([-1.0, 1.0], t_rem.size) * s.rem_pp_uv * rng.uniform(0.4, 1.2, t_rem.size)
    eye = _steps(rng, n, fs, t_sac, a_sac, 0.05) + _steps(rng, n, fs, t_rem, a_rem, 0.12)

    # slow rolling eye movements (0.1-0.5 Hz) in N1 and drowsy W
    g = np.array([0.2, 1.0, 0.12, 0.0, 0.0], dtype=np.float32)[stages]
    g *= np.exp(0.25 * rng.standard_normal(n_ep)).astype(np.float32)
    env = epoch_envelope(g, ramp_s=6.0)
    sem = band_noise(rng, n_ep * 240, 8.0, 0.1, 0.5) * to_rate(env, 8.0) * (0.4 * s.rem_pp_uv)
    eye += upsample(sem, 8)

    # blinks: monophasic ~0.3 s deflections, mostly in W
    t_bl = poisson_times(rng, wake * (1.5 + 9.0 * eyes_open) + (stages == N1) * 0.5)
    blink = np.zeros(n, dtype=np.float32)
    stamp(
        blink, fs, t_bl,
        [
            (s.blink_pp_uv * rng.uniform(0.6, 1.3) * np.sin(np.pi * np.arange(int(d * fs)) / (d * fs)) ** 2).astype(np.float32)
            for d in rng.uniform(0.22, 0.4, t_bl.size)
        ],
    )
    eye += blink
    return upsample(eye, 4), upsample(blink, 4), t_rem


def make_eog(
    rng, eye_256: np.ndarray, left_frontal_256: np.ndarray, right_frontal_256: np.ndarray,
    emg_256: np.ndarray,
) -> dict[str, np.ndarray]:
    """LOC-M2 and ROC-M1: eye movements out of phase; the frontal EEG of the same side and
    a little chin EMG in phase; each its own 1/f noise."""
    g_l, g_r = np.exp(0.1 * rng.standard_normal(2))
    n = eye_256.size
    out = {}
    for label, sign, g, frontal in (
        ("EOG LOC-M2", 1.0, g_l, left_frontal_256), ("EOG ROC-M1", -1.0, g_r, right_frontal_256)
    ):
        x = sign * g * eye_256 + 0.45 * frontal + 0.15 * emg_256
        x += 4.0 * upsample(pink_noise(rng, n // 2), 2) + 1.5 * rng.standard_normal(n, dtype=np.float32)
        out[label] = x.astype(np.float32)
    return out


def heartbeat_times(rng, total_s: float, stages: np.ndarray, subject: Subject) -> np.ndarray:
    """R-peak times with stage-dependent rate and respiratory sinus arrhythmia."""
    hr = subject.heart_rate_bpm * np.array([1.1, 1.0, 0.97, 0.94, 1.02])
    t, out = 0.0, []
    rsa_f = subject.resp_rate_bpm / 60.0
    while t < total_s:
        st = stages[min(int(t // 30), len(stages) - 1)]
        rr = 60.0 / hr[st] * (1 + 0.05 * np.sin(2 * np.pi * rsa_f * t) + 0.02 * rng.standard_normal())
        t += rr
        out.append(t)
    return np.array(out[:-1])


def ecg_artifact(rng, n: int, fs: float, beats_s: np.ndarray) -> np.ndarray:
    """Unit-amplitude QRS-like spikes at the beats."""
    t = np.arange(int(0.12 * fs)) / fs
    qrs = (np.exp(-(((t - 0.04) / 0.008) ** 2)) - 0.35 * np.exp(-(((t - 0.06) / 0.012) ** 2))
           + 0.15 * np.exp(-(((t - 0.1) / 0.02) ** 2))).astype(np.float32)
    d = np.zeros(n, dtype=np.float32)
    idx = (beats_s * fs).astype(int)
    d[idx[idx < n]] = 1.0
    return np.convolve(d, qrs)[:n].astype(np.float32)


def generate_emg(
    rng: np.random.Generator, stages: np.ndarray, arousals: list[Arousal], subject: Subject,
    rem_times_s: np.ndarray,
) -> np.ndarray:
    """Chin EMG (uV) at 256 Hz."""
    s = subject
    fs = OUT_SFREQ_HZ
    n_ep = len(stages)
    n = int(n_ep * 30 * fs)
    g = np.array([1.0, 0.62, 0.42, 0.36, 0.09], dtype=np.float32)[stages]
    g *= np.exp(0.18 * rng.standard_normal(n_ep)).astype(np.float32)
    env = epoch_envelope(g, ramp_s=3.0)
    for a in arousals:
        add_windows(env, [(a.onset_s, a.duration_s)], 0.85 if a.stage == R else 0.6, mode="max")
    w = rng.standard_normal(n + 1).astype(np.float32)
    emg = (w[1:] - 0.8 * w[:-1]) / 1.28  # first-order high-pass: drift-free, broadband
    emg *= to_rate(env, fs) * s.emg_wake_rms_uv
    # phasic twitches in R, clustered with rapid eye movements
    tw = np.concatenate([rem_times_s[rng.random(rem_times_s.size) < 0.3],
                         event_times(rng, stages, np.array([0.0, 0.0, 0.0, 0.0, 1.5]))])
    stamp(
        emg, fs, tw,
        [
            (rng.standard_normal(int(d * fs)) * s.emg_wake_rms_uv * rng.uniform(1.0, 3.0)
             * np.hanning(int(d * fs))).astype(np.float32)
            for d in rng.uniform(0.05, 0.25, tw.size)
        ],
    )
    return emg.astype(np.float32)


__all__ = ["generate_eye", "make_eog", "generate_emg", "heartbeat_times", "ecg_artifact", "N1", "N2", "W"]
