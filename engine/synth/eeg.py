"""EEG: the 7 canonical derivations as linear mixtures of shared cortical sources
(volume conduction) plus per-channel 1/f background.

Sources (continuous, stage-gated envelopes): frontal and posterior delta, theta, left and
right posterior dominant rhythm (alpha band, frequency by age), beta. Transients (placed
as discrete waveforms): sleep spindles (fast centro-parietal, slow frontal), K-complexes,
vertex sharp waves, sawtooth waves, hypnagogic hypersynchrony (young children).
Arousals: alpha/beta up, delta and spindles down for 3-15 s.
Generated at 128 Hz, mixed, then up-sampled to 256 Hz with amplifier noise on top.
"""

from __future__ import annotations

import numpy as np
from scipy.linalg.blas import saxpy

from .events import Arousal
from .noise import (
    add_windows,
    band_noise,
    epoch_envelope,
    event_times,
    narrow_noise,
    pink_noise,
    stamp,
    to_rate,
    upsample,
)
from .params import Subject, W

EEG_LABELS = (
    "EEG C3-M2", "EEG O1-M2", "EEG O2-M1", "EEG CZ-O1", "EEG C4-M1", "EEG F4-M1", "EEG F3-M2",
)
SRC_SFREQ_HZ = 128.0
OUT_SFREQ_HZ = 256.0

SOURCES = (
    "delta_f", "delta_p", "theta", "alpha_l", "alpha_r", "beta",
    "sp_fast", "sp_slow", "kc", "vertex", "saw", "hh",
)
# weight of each source on each derivation (rows follow EEG_LABELS); posterior rhythm is
# occipital, spindles/vertex/sawtooth central, slow spindles/K-complexes/delta frontal;
# CZ-O1 is bipolar, so occipital activity appears inverted and delta partly cancels
MIX = np.array(
    [
        # dF   dP   th   aL    aR    be   spF  spS  kc   vx   saw  hh
        [0.75, 0.45, 1.0, 0.35, 0.10, 0.8, 1.0, 0.6, 0.85, 0.9, 1.0, 0.9],  # C3-M2
        [0.25, 0.60, 0.6, 1.00, 0.30, 0.6, 0.35, 0.15, 0.35, 0.35, 0.4, 0.6],  # O1-M2
        [0.25, 0.60, 0.6, 0.30, 1.00, 0.6, 0.35, 0.15, 0.35, 0.35, 0.4, 0.6],  # O2-M1
        [0.60, -0.30, 0.5, -0.90, -0.25, 0.7, 0.85, 0.5, 0.6, 1.1, 0.7, 0.4],  # CZ-O1
        [0.75, 0.45, 1.0, 0.10, 0.35, 0.8, 1.0, 0.6, 0.85, 0.9, 1.0, 0.9],  # C4-M1
        [1.00, 0.25, 0.9, 0.10, 0.15, 0.9, 0.6, 1.0, 1.0, 0.7, 0.6, 1.0],  # F4-M1
        [1.00, 0.25, 0.9, 0.15, 0.10, 0.9, 0.6, 1.0, 1.0, 0.7, 0.6, 1.0],  # F3-M2
    ],
    dtype=np.float32,
)

# stage gains (W, N1, N2, N3, R) of the continuous sources, relative to their peak stage
GAIN_DELTA = np.array([0.12, 0.2, 0.3, 1.0, 0.15])
GAIN_THETA = np.array([0.35, 1.0, 0.55, 0.45, 0.6])
GAIN_ALPHA = np.array([1.0, 0.2, 0.06, 0.04, 0.22])
GAIN_BETA = np.array([1.0, 0.6, 0.45, 0.4, 0.7])
GAIN_BG = np.array([0.9, 1.0, 1.05, 1.15, 0.85])


def _epoch_gain(rng, stages, table, cv=0.15):
    return np.asarray(table, dtype=np.float32)[stages] * np.exp(
        cv * rng.standard_normal(len(stages))
    ).astype(np.float32)


def spindle(rng, f_hz, pp_uv, fs=SRC_SFREQ_HZ) -> np.ndarray:
    dur = float(np.clip(rng.gamma(6.0, 0.16), 0.5, 2.0))
    t = np.arange(int(dur * fs)) / fs
    env = np.sin(np.pi * t / dur) ** 2
    f = f_hz + rng.normal(0, 0.3) - 0.4 * (t / dur)  # slight slowing within the spindle
    return (0.5 * pp_uv * env * np.sin(2 * np.pi * np.cumsum(f) / fs + rng.uniform(0, 6.3))).astype(np.float32)


def k_complex(rng, pp_uv, fs=SRC_SFREQ_HZ) -> np.ndarray:
    """Sharp negative wave followed by a slower positive one, >= 0.5 s in all."""
    t = np.arange(int(1.3 * fs)) / fs
    w1 = rng.uniform(0.07, 0.11)
    w = -np.exp(-(((t - 0.25) / w1) ** 2)) + 0.65 * np.exp(-(((t - 0.7) / rng.uniform(0.16, 0.24)) ** 2))
    return (pp_uv / 1.6 * w).astype(np.float32)


def vertex_wave(rng, pp_uv, fs=SRC_SFREQ_HZ) -> np.ndarray:
    t = np.arange(int(0.5 * fs)) / fs
    w = -np.exp(-(((t - 0.15) / 0.045) ** 2)) + 0.3 * np.exp(-(((t - 0.3) / 0.07) ** 2))
    return (pp_uv / 1.3 * w).astype(np.float32)


def sawtooth_train(rng, pp_uv, fs=SRC_SFREQ_HZ) -> np.ndarray:
    dur = rng.uniform(1.5, 4.5)
    f = rng.uniform(2.0, 4.5)
    t = np.arange(int(dur * fs)) / fs
    ph = (f * t) % 1.0
    saw = np.where(ph < 0.75, ph / 0.75, (1.0 - ph) / 0.25) - 0.5  # slow rise, sharp fall
    return (pp_uv * saw * np.sin(np.pi * t / dur) ** 0.5).astype(np.float32)


def hypersynchrony(rng, pp_uv, fs=SRC_SFREQ_HZ) -> np.ndarray:
    dur = rng.uniform(1.0, 4.0)
    t = np.arange(int(dur * fs)) / fs
    return (0.5 * pp_uv * np.sin(np.pi * t / dur) * np.sin(2 * np.pi * rng.uniform(3.0, 5.0) * t)).astype(np.float32)


def generate_eeg(
    rng: np.random.Generator, stages: np.ndarray, arousals: list[Arousal], subject: Subject,
    blinks_256: np.ndarray | None = None, eyes_open: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """7 EEG derivations (uV) at 256 Hz. ``blinks_256`` (eye signal) leaks onto frontal
    channels when given; ``eyes_open`` (0..1 per epoch) attenuates the posterior rhythm
    in W."""
    s = subject
    fs = SRC_SFREQ_HZ
    n_ep = len(stages)
    n = int(n_ep * 30 * fs)
    ar_win = [(a.onset_s, a.duration_s) for a in arousals]
    x: list = [np.zeros(n, dtype=np.float32) for _ in EEG_LABELS]  # per derivation, 128 Hz

    def add_source(idx: int, sig: np.ndarray) -> None:
        sig = np.ascontiguousarray(sig, dtype=np.float32)
        for c in range(len(EEG_LABELS)):
            if MIX[c, idx] != 0.0:
                saxpy(sig, x[c], a=float(MIX[c, idx]))  # x[c] += w * sig, in place

    # delta: shared + regional parts, generated at 16 Hz
    g = _epoch_gain(rng, stages, GAIN_DELTA)
    env = epoch_envelope(g, ramp_s=4.0)
    add_windows(env, ar_win, 0.25, mode="mul")
    sigma = s.delta_pp_uv / 2.6
    n16 = n_ep * 480
    common = band_noise(rng, n16, 16.0, 0.5, 2.2, tilt=0.8, edge_hz=0.4)
    for idx in (0, 1):
        d = 0.75 * common + 0.66 * band_noise(rng, n16, 16.0, 0.5, 2.2, tilt=0.8, edge_hz=0.4)
        add_source(idx, upsample(d * to_rate(env, 16.0) * sigma, 8))
    del common

    # theta (64 Hz)
    g = _epoch_gain(rng, stages, GAIN_THETA)
    env = epoch_envelope(g)
    add_windows(env, ar_win, 0.7, mode="mul")
    th = band_noise(rng, n // 2, 64.0, 4.0, 7.5) * to_rate(env, 64.0) * (s.theta_pp_uv / 2.8)
    add_source(2, upsample(th, 2))
    del th

    # posterior dominant rhythm, eyes-closed share varies epoch to epoch in W
    g = _epoch_gain(rng, stages, GAIN_ALPHA, cv=0.2)
    wake = stages == W
    if eyes_open is None:
        eyes_open = np.full(n_ep, 0.5)
    g[wake] *= (0.4 + 0.75 * (1.0 - np.asarray(eyes_open)[wake])).astype(np.float32)
    env = epoch_envelope(g, ramp_s=3.0)
    add_windows(env, ar_win, 0.8, mode="max")
    env64 = to_rate(env, 64.0) * (s.pdr_pp_uv / 2.8)
    a_common = narrow_noise(rng, n // 2, 64.0, s.pdr_hz, 1.3)
    for idx in (3, 4):
        a = 0.8 * a_common + 0.6 * narrow_noise(rng, n // 2, 64.0, s.pdr_hz, 1.3)
        add_source(idx, upsample(a * env64, 2))
    del a_common, env64

    # beta (128 Hz)
    g = _epoch_gain(rng, stages, GAIN_BETA)
    env = epoch_envelope(g)
    add_windows(env, ar_win, 1.8, mode="max")
    add_source(5, band_noise(rng, n, fs, 15.0, 30.0) * to_rate(env, fs) * 3.0)

    # transients
    in_arousal = np.zeros(n_ep * 30 + 1, dtype=bool)
    for on, du in ar_win:
        in_arousal[int(on) : int(on + du) + 1] = True

    def keep(times):
        return times[~in_arousal[np.minimum(times.astype(int), in_arousal.size - 1)]]

    rate_sp = s.spindle_per_min / 2.0 * np.array([0.0, 0.05, 1.0, 0.3, 0.02])
    t_sp = keep(event_times(rng, stages, rate_sp))
    fast = rng.random(t_sp.size) < 0.6
    sp_fast = np.zeros(n, dtype=np.float32)
    sp_slow = np.zeros(n, dtype=np.float32)
    amp = s.spindle_pp_uv * np.exp(0.25 * rng.standard_normal(t_sp.size))
    stamp(sp_fast, fs, t_sp[fast], [spindle(rng, s.spindle_fast_hz, a) for a in amp[fast]])
    stamp(sp_slow, fs, t_sp[~fast], [spindle(rng, s.spindle_slow_hz, a) for a in amp[~fast]])

    t_kc = keep(event_times(rng, stages, s.kc_per_min / 2.0 * np.array([0.0, 0.03, 1.0, 0.15, 0.0])))
    kc = np.zeros(n, dtype=np.float32)
    amp = s.kc_pp_uv * np.exp(0.2 * rng.standard_normal(t_kc.size))
    stamp(kc, fs, t_kc, [k_complex(rng, a) for a in amp])
    # a spindle often rides on the K-complex's positive phase
    with_sp = t_kc[rng.random(t_kc.size) < 0.35]
    stamp(sp_slow, fs, with_sp + 0.45, [spindle(rng, s.spindle_slow_hz, 0.8 * s.spindle_pp_uv) for _ in with_sp])
    add_source(6, sp_fast)
    add_source(7, sp_slow)
    add_source(8, kc)
    del sp_fast, sp_slow, kc

    t_vx = event_times(rng, stages, np.array([0.0, 2.5, 0.4, 0.0, 0.0]))
    vx = np.zeros(n, dtype=np.float32)
    stamp(vx, fs, t_vx, [vertex_wave(rng, s.vertex_pp_uv * np.exp(0.25 * rng.standard_normal())) for _ in t_vx])
    add_source(9, vx)

    t_saw = event_times(rng, stages, np.array([0.0, 0.0, 0.0, 0.0, 0.9]))
    vx[:] = 0.0
    stamp(vx, fs, t_saw, [sawtooth_train(rng, s.sawtooth_pp_uv) for _ in t_saw])
    add_source(10, vx)

    p_hh = float(np.interp(s.age_years, [1, 6, 11], [0.7, 0.4, 0.0]))
    if p_hh > 0:
        t_hh = event_times(rng, stages, np.array([0.0, p_hh, 0.0, 0.0, 0.0]))
        vx[:] = 0.0
        amp = float(np.interp(s.age_years, [1, 11], [220, 100]))
        stamp(vx, fs, t_hh, [hypersynchrony(rng, amp * np.exp(0.2 * rng.standard_normal())) for _ in t_hh])
        add_source(11, vx)
    del vx

    # per-channel 1/f background, channel-specific gain
    g = _epoch_gain(rng, stages, GAIN_BG, cv=0.08)
    bg_env = to_rate(epoch_envelope(g), fs) * s.bg_rms_uv
    ch_gain = np.exp(0.1 * rng.standard_normal(len(EEG_LABELS)))
    out: dict[str, np.ndarray] = {}
    for i in range(len(EEG_LABELS)):
        x[i] += pink_noise(rng, n) * bg_env * ch_gain[i]
    del bg_env
    deriv_gain = np.exp(0.1 * rng.standard_normal(len(EEG_LABELS))).astype(np.float32)
    for i, label in enumerate(EEG_LABELS):
        y = upsample(x[i], 2)
        y *= deriv_gain[i]
        y += rng.standard_normal(y.size, dtype=np.float32) * 0.7  # amplifier noise
        if blinks_256 is not None and label in ("EEG F4-M1", "EEG F3-M2"):
            y += 0.22 * blinks_256
        out[label] = y
        x[i] = None  # free as we go
    return out
