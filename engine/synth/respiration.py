"""Breathing: thoracic and abdominal effort (RIP belts), nasal pressure flow, snore,
SpO2 and capnography, all driven by one breathing-phase signal.

Rate by age (N2 norm in ``Subject.resp_rate_bpm``), a little faster in W/N1/R; breath-to-
breath variability smallest in N3 and largest in R and W (sighs in W). Events reshape the
signals: obstructive apnea -> flow < 10 %, effort continues with thoraco-abdominal paradox;
central -> flow and effort stop; mixed -> central then obstructive; hypopnea -> flow
30-60 % of baseline with inspiratory flow limitation (flattening). Recovery breaths are
larger. SpO2 falls ``lag`` seconds after the event and returns; CAPNO is a capnogram
(CO2 rises in expiration, ~0 in inspiration and when no air moves) with EtCO2 rising
after apneas.
"""

from __future__ import annotations

import numpy as np

from .events import CENTRAL, HYPOPNEA, MIXED, OBSTRUCTIVE, RATE_FACTOR, RespEvent
from .noise import band_noise, epoch_envelope, smooth, to_rate, upsample
from .params import Subject, W

RESP_SFREQ_HZ = 64.0
SNORE_SFREQ_HZ = 256.0
SPO2_SFREQ_HZ = 16.0
CAPNO_SFREQ_HZ = 32.0
TI = 0.4  # inspiratory fraction of a breath

# breath-to-breath variability of rate and amplitude by stage (W, N1, N2, N3, R)
RATE_VAR = np.array([0.12, 0.08, 0.05, 0.025, 0.15])
AMP_VAR = np.array([0.2, 0.12, 0.07, 0.035, 0.25])
AMP_STAGE = np.array([1.1, 0.95, 1.0, 1.05, 0.9])


def _fine_phase(phase: np.ndarray, factor: int) -> np.ndarray:
    """A float64 phase (rad) at a low rate -> wrapped float32 phase ``factor`` times
    denser (linear within each coarse step; exact for slowly varying frequency)."""
    step = np.diff(phase, append=2 * phase[-1] - phase[-2]) / factor
    base = np.mod(phase, 2 * np.pi).astype(np.float32)
    j = np.arange(factor, dtype=np.float32)[None, :]
    return (base[:, None] + step.astype(np.float32)[:, None] * j).reshape(-1)


def _ramp_mask(n, fs, a_s, b_s, ramp_s):
    """0..1 trapezoid: 1 inside [a, b], linear ramps of ramp_s outside."""
    t0 = int((a_s - ramp_s) * fs)
    t1 = int((b_s + ramp_s) * fs)
    t0c, t1c = max(t0, 0), min(t1, n)
    t = np.arange(t0c, t1c) / fs
    m = np.clip(np.minimum((t - (a_s - ramp_s)) / ramp_s, ((b_s + ramp_s) - t) / ramp_s), 0, 1)
    return t0c, t1c, m.astype(np.float32)


def _apply(env, fs, a_s, b_s, value, ramp_s=1.0):
    """Pull env toward ``value`` inside [a, b] (multiplicative, ramped)."""
    i0, i1, m = _ramp_mask(len(env), fs, a_s, b_s, ramp_s)
    env[i0:i1] *= 1.0 - m * (1.0 - value)


def generate_respiration(
    rng: np.random.Generator, stages: np.ndarray, events: list[RespEvent], arousals, subject: Subject
) -> dict[str, np.ndarray]:
    s = subject
    fs = RESP_SFREQ_HZ
    n_ep = len(stages)
    n = int(n_ep * 30 * fs)
    t_end = n_ep * 30.0

    # --- breathing phase: rate with slow stage-dependent variability
    rate_ep = (s.resp_rate_bpm / 60.0) * RATE_FACTOR[stages] * np.exp(0.04 * rng.standard_normal(n_ep))
    rate = to_rate(epoch_envelope(rate_ep.astype(np.float32), ramp_s=10.0), fs)
    var = to_rate(epoch_envelope(RATE_VAR[stages].astype(np.float32), ramp_s=6.0), fs)
    wob = band_noise(rng, n_ep * 120, 4.0, 0.01, 0.25)
    rate = rate * np.clip(1.0 + var * 1.8 * upsample(wob, 16), 0.6, 1.6)
    phase = np.cumsum(rate.astype(np.float64)) * (2 * np.pi / fs)
    psi = np.mod(phase / (2 * np.pi), 1.0)
    insp = psi < TI
    vol = np.where(insp, 0.5 * (1 - np.cos(np.pi * psi / TI)), 0.5 * (1 + np.cos(np.pi * (psi - TI) / (1 - TI))))
    vol = (2.0 * vol - 1.0).astype(np.float32)  # -1..1, volume-like (belts)
    flow_shape = np.where(insp, np.sin(np.pi * psi / TI), -(TI / (1 - TI)) * np.sin(np.pi * (psi - TI) / (1 - TI))).astype(np.float32)
    del psi
    # thorax lags the abdomen a little in normal breathing
    vol_th = (2.0 * np.where(np.mod(phase / (2 * np.pi) - 0.03, 1.0) < TI,
                             0.5 * (1 - np.cos(np.pi * np.mod(phase / (2 * np.pi) - 0.03, 1.0) / TI)),
                             0.5 * (1 + np.cos(np.pi * (np.mod(phase / (2 * np.pi) - 0.03, 1.0) - TI) / (1 - TI)))) - 1.0).astype(np.float32)

    # --- amplitude: stage level, breath-to-breath variability, sighs in W
    amp = to_rate(epoch_envelope(AMP_STAGE[stages].astype(np.float32), ramp_s=6.0), fs)
    avar = to_rate(epoch_envelope(AMP_VAR[stages].astype(np.float32), ramp_s=6.0), fs)
    amp = amp * np.clip(1.0 + avar * 1.8 * upsample(band_noise(rng, n_ep * 120, 4.0, 0.03, 0.6), 16), 0.3, 2.5)
    sighs = np.flatnonzero(stages == W)
    for ep in sighs[rng.random(sighs.size) < 0.25]:
        c = ep * 30 + rng.uniform(3, 27)
        i0, i1, m = _ramp_mask(n, fs, c - 1.0, c + 1.5, 1.5)
        amp[i0:i1] *= 1.0 + 1.2 * m

    # --- events
    flow_env = np.ones(n, dtype=np.float32)
    eff_env = np.ones(n, dtype=np.float32)
    parad = np.zeros(n, dtype=np.float32)  # 0 = in phase, 1 = thorax opposite abdomen
    limit = np.zeros(n, dtype=np.float32)  # inspiratory flow limitation (flattening)
    snore_boost = np.ones(n, dtype=np.float32)
    co2_rise = np.zeros(n, dtype=np.float32)
    for e in events:
        a, b = e.onset_s, e.onset_s + e.duration_s
        if e.type == HYPOPNEA:
            _apply(flow_env, fs, a, b, e.flow_factor, 0.8)
            _apply(eff_env, fs, a, b, e.effort_factor, 1.0)
            i0, i1, m = _ramp_mask(n, fs, a, b, 1.0)
            parad[i0:i1] = np.maximum(parad[i0:i1], 0.3 * m)
            limit[i0:i1] = np.maximum(limit[i0:i1], m)
            snore_boost[i0:i1] *= 1.0 + 1.5 * m
        elif e.type == CENTRAL:
            _apply(flow_env, fs, a, b, max(e.flow_factor, 0.02), 0.6)
            _apply(eff_env, fs, a, b, max(e.effort_factor, 0.02), 0.6)
        else:
            c = a + (e.duration_s * e.central_fraction if e.type == MIXED else 0.0)
            _apply(flow_env, fs, a, b, max(e.flow_factor, 0.02), 0.6)
            if e.type == MIXED:
                _apply(eff_env, fs, a, c, max(e.effort_factor, 0.02), 0.6)
            # effort continues (crescendo) against the closed airway, belts paradoxical
            i0, i1, m = _ramp_mask(n, fs, c + 0.8, b, 0.8)
            parad[i0:i1] = np.maximum(parad[i0:i1], m)
            tt = (np.arange(i0, i1) / fs - c) / max(b - c, 1.0)
            eff_env[i0:i1] *= 1.0 + 0.35 * np.clip(tt, 0, 1) * m
            # loud snoring when the airway reopens
            i0, i1, m = _ramp_mask(n, fs, b + 0.5, b + 8.0, 1.0)
            snore_boost[i0:i1] *= 1.0 + 2.0 * m
        if e.type != HYPOPNEA:
            i0, i1, m = _ramp_mask(n, fs, b + 1.0, b + 12.0, 4.0)
            co2_rise[i0:i1] = np.maximum(co2_rise[i0:i1], m * min(1.5 + 0.25 * e.duration_s, 6.0))
        # recovery breaths: larger for ~3 breaths
        i0, i1, m = _ramp_mask(n, fs, b + 0.6, b + 3.0 * 60 / s.resp_rate_bpm, 1.5)
        amp[i0:i1] *= 1.0 + 0.6 * m

    for ar in arousals:  # a deeper breath or two with each arousal
        i0, i1, m = _ramp_mask(n, fs, ar.onset_s + 0.5, ar.onset_s + min(ar.duration_s, 5.0), 1.0)
        amp[i0:i1] *= 1.0 + 0.3 * m

    # --- belts and flow
    abd_amp = 0.5 * s.effort_pp_uv * np.exp(0.15 * rng.standard_normal())
    th_amp = 0.5 * s.effort_pp_uv * np.exp(0.15 * rng.standard_normal()) * 0.8
    drift = upsample(band_noise(rng, n_ep * 120, 4.0, 0.005, 0.05), 16)
    abd = abd_amp * (amp * eff_env * vol + 0.08 * drift)
    th = th_amp * (amp * eff_env * ((1.0 - parad) * vol_th - parad * vol) + 0.08 * drift)
    del vol_th
    fl = flow_shape.copy()
    # flattened inspiratory flow (flow limitation) in hypopneas and snoring breaths
    lim = np.clip(limit + 0.3 * s.snore_level, 0, 1)
    pos = fl > 0
    flat = np.minimum(fl, 0.55) / 0.55
    fl[pos] = ((1 - lim) * fl + lim * flat * 0.85)[pos]
    flow = 0.5 * s.flow_pp_uv * amp * flow_env * fl
    flow += 0.01 * s.flow_pp_uv * rng.standard_normal(n).astype(np.float32)

    # --- snore (256 Hz): buzz during inspiration in sleep, silent when no air moves
    sleep_gain = np.array([0.0, 0.4, 1.0, 1.0, 0.7], dtype=np.float32)[stages]
    sleep_gain *= np.exp(0.3 * rng.standard_normal(n_ep)).astype(np.float32)
    sn_env = to_rate(epoch_envelope(sleep_gain, ramp_s=4.0), fs) * snore_boost * flow_env
    insp_env = np.clip(flow_shape, 0, None) * amp
    m256 = int(SNORE_SFREQ_HZ / fs)
    loud64 = smooth(sn_env * insp_env, 9) * np.float32(200.0 * s.snore_level)
    breath64 = (np.abs(flow_shape) * amp * flow_env * 3.0).astype(np.float32)
    f0 = rng.uniform(35.0, 60.0)
    t64 = np.arange(n) / fs
    phase64 = 2 * np.pi * f0 * t64 + 3 * np.sin(2 * np.pi * 0.7 * t64)
    del t64
    snore = np.empty(n * m256, dtype=np.float32)
    chunk = int(600 * fs)  # 10 minutes at a time keeps the 256-Hz temporaries small
    for a in range(0, n, chunk):
        b = min(a + chunk, n)
        b1 = min(b + 1, n)  # one sample more so interpolation runs across the seam

        def up(v, a=a, b=b, b1=b1):
            return upsample(v[a:b1], m256)[: (b - a) * m256]

        ph = _fine_phase(phase64[a:b1], m256)[: (b - a) * m256] if b1 - a > 1 else np.zeros(m256, np.float32)
        k = (b - a) * m256
        seg = np.sin(ph) + 0.5 * np.sin(2.0 * ph)
        seg += 0.6 * rng.standard_normal(k, dtype=np.float32)
        seg *= up(loud64)
        seg += up(breath64) * rng.standard_normal(k, dtype=np.float32)
        seg += 1.5 * rng.standard_normal(k, dtype=np.float32)
        snore[a * m256 : b * m256] = seg
    del loud64, breath64, phase64

    # --- SpO2 (16 Hz)
    fs_o = SPO2_SFREQ_HZ
    n_o = int(t_end * fs_o)
    spo2 = s.spo2_baseline + 0.35 * upsample(band_noise(rng, n_ep * 120, 4.0, 0.002, 0.03), 4)
    spo2 += 0.12 * band_noise(rng, n_o, fs_o, 0.05, 1.0)
    spo2 -= 0.4 * to_rate(epoch_envelope((stages == 4).astype(np.float32), ramp_s=20.0), fs_o)
    t_o = np.arange(n_o) / fs_o
    for e in events:
        if e.desat_depth <= 0:
            continue
        a = e.desat_onset_s
        nadir = a + e.desat_duration_s
        rec = nadir + float(rng.uniform(8.0, 16.0))
        i0, i1 = int(a * fs_o), min(int((rec + 2) * fs_o), n_o)
        tt = t_o[i0:i1]
        fall = 0.5 * (1 - np.cos(np.pi * np.clip((tt - a) / (nadir - a), 0, 1)))
        back = 0.5 * (1 + np.cos(np.pi * np.clip((tt - nadir) / (rec - nadir), 0, 1)))
        prof = np.where(tt <= nadir, fall, back)
        spo2[i0:i1] -= e.desat_depth * prof
    spo2 = np.clip(np.round(spo2, 1), 50.0, 100.0).astype(np.float32)

    # --- CAPNO (32 Hz): capnogram from the breathing phase
    k = int(fs / CAPNO_SFREQ_HZ)
    ph = np.mod(phase[::k] / (2 * np.pi), 1.0)
    exp_part = np.where(ph >= TI, 1 - np.exp(-(ph - TI) / 0.05), 0.0)
    plateau = exp_part * (1 + 0.05 * np.clip((ph - TI) / (1 - TI), 0, 1))
    reach = np.clip((flow_env[::k] - 0.08) / 0.5, 0, 1) ** 0.5  # no exhaled gas in apnea, diluted in hypopnea
    st_co2 = np.array([0.0, 0.5, 1.0, 1.5, 1.8], dtype=np.float32)[stages]
    et = s.etco2_mmhg + to_rate(epoch_envelope(st_co2, ramp_s=30.0), CAPNO_SFREQ_HZ) + co2_rise[::k]
    capno = smooth((et * reach * plateau).astype(np.float32), 3)
    capno += 0.3 * rng.standard_normal(capno.size).astype(np.float32)

    return {
        "CAPNO": capno.astype(np.float32),
        "SPO2": spo2,
        "RESP THORACIC": th.astype(np.float32),
        "RESP ABDOMINAL": abd.astype(np.float32),
        "SNORE": snore.astype(np.float32),
        "C-FLOW": flow.astype(np.float32),
    }


__all__ = ["generate_respiration", "OBSTRUCTIVE", "RESP_SFREQ_HZ"]
