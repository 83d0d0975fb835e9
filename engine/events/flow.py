"""Breath-by-breath amplitude of a respiratory signal (airflow, nasal pressure, CPAP flow,
a belt) and its AASM pre-event baseline.

Every trace is brought to a common work rate (10 Hz) after an anti-alias low-pass, then
band-passed to breathing (0.05-2 Hz: drift, a cannula's offset and a CPAP leak's slow
flow removed). The amplitude is the peak-to-trough excursion of that band in a centred
window of 1.25 breath periods (the night's median period), so each sample sees one whole
breath (a real flow curve is not a sine: its envelope would swing within each breath).
Near-silence (under 10 % of the night's median excursion) and a sensor knocked off its
level (a DC step, invalid while it settles) never enter a baseline, and no baseline
reaches back across such a step. The baseline at time t is the median amplitude of the
*unreduced* breathing in the 120 s before t (seconds at least half of that window's 90th
percentile — the breaths of earlier events do not drag it down), per the AASM "pre-event
baseline / 2-minute window"; through a pause the last baseline holds. The breath period
at t is the median spacing of the breaths (rising crossings with hysteresis, unreduced
breathing) in the same window. ``ratio`` = amplitude / baseline, so a 90 % drop is
``ratio <= 0.10``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.events.zero_phase import sosfiltfilt_lean

__all__ = ["WORK_HZ", "BASELINE_S", "AmplitudeTrace", "to_work_rate", "amplitude_trace", "runs"]

WORK_HZ = 10.0
BASELINE_S = 120.0
DEFAULT_PERIOD_S = 3.0  # used until enough breaths are seen (a child's ~20/min)


@dataclass(frozen=True)
class AmplitudeTrace:
    """Everything at ``WORK_HZ`` from t = 0 of the study."""

    amplitude: np.ndarray  # peak-to-trough excursion of the breathing band (signal units)
    baseline: np.ndarray  # pre-event baseline amplitude (NaN where none yet)
    ratio: np.ndarray  # amplitude / baseline (NaN where invalid)
    period_s: np.ndarray  # baseline breath period
    valid: np.ndarray  # bool: the signal is usable here
    label: str = ""
    window_s: float = 0.0  # the amplitude window (one breath and a quarter)

    @property
    def n(self) -> int:
        return int(self.amplitude.size)


def runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and stop indices (half-open) of the True runs of ``mask``."""
    m = np.asarray(mask, bool)
    edges = np.diff(np.concatenate([[0], m.astype(np.int8), [0]]))
    return np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)


def to_work_rate(x: np.ndarray, sfreq_hz: float, n_out: int, offset_s: float = 0.0,
                 lowpass_hz: float = 3.0) -> tuple[np.ndarray, np.ndarray]:
    """``x`` (NaN = missing) resampled onto the work grid of ``n_out`` samples starting at
    study time 0 (``offset_s`` = where ``x`` starts); returns (values, valid)."""
    from scipy import signal as sps  # lazy: keeps scipy off the start-up path
    x = np.asarray(x)
    if not np.issubdtype(x.dtype, np.floating):
        x = x.astype(np.float64)
    # issue 16: the night stays in its own dtype (float32 samples at the native rate); the
    # float64 values (NaN as 0), their low-pass and the resampling are taken a slice at a
    # time, with the same numbers as on whole-night float64 copies
    if sfreq_hz > 2.5 * lowpass_hz and x.size > 30:
        sos = sps.butter(4, lowpass_hz, fs=sfreq_hz, output="sos")
        xf = sosfiltfilt_lean(sos, x, _zero_missing)
    else:
        xf = _zero_missing(x)
    t_out = np.arange(n_out) / WORK_HZ - offset_s
    y = _interp_night(t_out, xf, sfreq_hz)
    idx = np.clip(np.round(t_out * sfreq_hz).astype(np.int64), 0, max(0, x.size - 1))
    valid = np.isfinite(y) & (np.isfinite(x[idx]) if x.size else False)
    return np.where(valid, y, 0.0), valid


def _zero_missing(x: np.ndarray) -> np.ndarray:
    """float64 values of ``x`` with NaN / inf as 0."""
    x64 = np.asarray(x, np.float64)
    return np.where(np.isfinite(x64), x64, 0.0)


_INTERP_CHUNK = 36000  # output samples (1 h at the work rate) per slice of the night


def _interp_night(t_out: np.ndarray, xf: np.ndarray, sfreq_hz: float) -> np.ndarray:
    """``np.interp(t_out, arange(xf.size) / sfreq_hz, xf, left=nan, right=nan)`` without
    the whole night's time axis: each slice of ``t_out`` (increasing) is interpolated on the
    samples around it (two to spare on each side, or up to the night's own ends), whose
    times are the same numbers as the full axis's."""
    n_in = xf.size
    if n_in < 2:
        return np.interp(t_out, np.arange(n_in) / sfreq_hz, xf, left=np.nan, right=np.nan)
    out = np.empty(t_out.size)
    for a in range(0, t_out.size, _INTERP_CHUNK):
        t = t_out[a: a + _INTERP_CHUNK]
        j0 = int(np.clip(np.floor(t[0] * sfreq_hz) - 2, 0, n_in))
        j1 = int(np.clip(np.ceil(t[-1] * sfreq_hz) + 3, 0, n_in))
        j0 = max(0, min(j0, j1 - 2))
        j1 = max(j1, j0 + 2)
        out[a: a + t.size] = np.interp(t, np.arange(j0, j1) / sfreq_hz, xf[j0:j1], left=np.nan, right=np.nan)
    return out


def _band(y: np.ndarray) -> np.ndarray:
    from scipy import signal as sps  # lazy: keeps scipy off the start-up path
    sos = sps.butter(2, [0.05, 2.0], btype="bandpass", fs=WORK_HZ, output="sos")
    return sps.sosfiltfilt(sos, y) if y.size > 60 else y - np.mean(y)


def _flat(raw_work: np.ndarray, valid: np.ndarray, min_s: float = 10.0) -> np.ndarray:
    """Where the signal does not move at all for ``min_s`` (a disconnected sensor that
    writes a constant): those stretches are not breathing, not apnea either."""
    d = np.abs(np.diff(raw_work, prepend=raw_work[:1]))
    still = d < 1e-9
    a, b = runs(still)
    out = np.zeros(raw_work.size, bool)
    n = int(min_s * WORK_HZ)
    for s, e in zip(a, b):
        if e - s >= n:
            out[s:e] = True
    return out


def _dc_shift(raw: np.ndarray, y: np.ndarray, amp: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """A sensor knocked or displaced: the signal's slow level (below the breathing band)
    leaves its 5-min median by more than 1.5x the typical breath excursion; the breathing
    seen while it settles back is not the patient's."""
    from scipy.ndimage import median_filter

    step = int(WORK_HZ)
    if raw.size < 60 * step:
        return np.zeros(raw.size, bool)
    slow = (raw - y)[::step]
    ok = valid[::step]
    level = median_filter(np.where(ok, slow, np.median(slow[ok]) if ok.any() else 0.0), size=301, mode="nearest")
    typical = float(np.median(amp[valid])) if valid.any() else 0.0
    if typical <= 0:
        return np.zeros(raw.size, bool)
    off = ok & (np.abs(slow - level) > 1.5 * typical)
    return np.repeat(off, step)[: raw.size] if off.size * step >= raw.size else np.pad(
        np.repeat(off, step), (0, raw.size - off.size * step))


def _sliding(values_t: np.ndarray, values: np.ndarray, grid_t: np.ndarray, fn, window_s: float,
             reset_t: np.ndarray | None = None) -> np.ndarray:
    """fn(values in [max(t - window_s, reset), t)) for each t of ``grid_t`` (NaN when empty)."""
    lo_t = grid_t - window_s if reset_t is None else np.maximum(grid_t - window_s, reset_t)
    lo = np.searchsorted(values_t, lo_t, side="left")
    hi = np.searchsorted(values_t, grid_t, side="left")
    out = np.full(grid_t.size, np.nan)
    for i, (a, b) in enumerate(zip(lo, hi)):
        if b > a:
            out[i] = fn(values[a:b])
    return out


PERIOD_GRID_S = 5
_CHUNK = 3600


def _rolling_baseline(v: np.ndarray, reset_t: np.ndarray, t_sec: np.ndarray) -> np.ndarray:
    """``_baseline_fn`` over the 120 one-second values before each second (NaN = not
    usable; nothing before the last reset), vectorised: each window's values sorted, the
    90th percentile and the median of the kept top part read off by position."""
    w = int(BASELINE_S)
    n = v.size
    out = np.full(n, np.nan)
    padded = np.concatenate([np.full(w, np.nan), v])
    reset_idx = np.where(np.isfinite(reset_t), np.ceil(reset_t - 1e-9), -np.inf)
    for a in range(0, n, _CHUNK):
        b = min(n, a + _CHUNK)
        win = np.lib.stride_tricks.sliding_window_view(padded, w)[a:b].copy()  # row i: seconds [i-w, i)
        sec_idx = np.arange(a, b)[:, None] - w + np.arange(w)[None, :]
        win[sec_idx < reset_idx[a:b, None]] = np.nan
        srt = np.sort(win, axis=1)  # NaN last
        k = np.isfinite(srt).sum(1)
        rows = np.arange(b - a)
        p90 = _at(srt, rows, 0.9 * (k - 1))
        below = (srt < 0.5 * p90[:, None]).sum(1)
        kept = k - below
        med = _at(srt, rows, below + 0.5 * (kept - 1))
        ok = (k >= 5) & (kept >= 1)
        out[a:b] = np.where(ok, med, np.nan)
    return out


def _at(srt: np.ndarray, rows: np.ndarray, pos: np.ndarray) -> np.ndarray:
    """Linear interpolation in each sorted row at fractional position ``pos``."""
    pos = np.clip(np.nan_to_num(pos, nan=0.0), 0, srt.shape[1] - 1)
    lo = np.floor(pos).astype(int)
    hi = np.minimum(lo + 1, srt.shape[1] - 1)
    f = pos - lo
    a, b = srt[rows, lo], srt[rows, hi]
    b = np.where(np.isfinite(b), b, a)
    return a + (b - a) * f


def _baseline_fn(v: np.ndarray) -> float:
    if v.size < 5:
        return np.nan
    keep = v[v >= 0.5 * np.percentile(v, 90)]
    return float(np.median(keep)) if keep.size else np.nan


def breath_starts(y: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Sample indices where a breath (inspiration) starts: the band-passed signal rising
    through +h after having been below -h, h = a quarter of its local median magnitude
    (so the noise of an apnea does not count as breaths)."""
    if y.size < 2:
        return np.zeros(0, np.int64)
    step = int(WORK_HZ)
    mag = np.abs(y[::step])
    from scipy.ndimage import median_filter

    scale = median_filter(mag, size=61, mode="nearest")
    h = 0.25 * np.repeat(scale, step)[: y.size]
    if h.size < y.size:
        h = np.pad(h, (0, y.size - h.size), mode="edge")
    state = np.where(y > h, 1, np.where(y < -h, -1, 0))
    nz = np.flatnonzero(state != 0)
    if nz.size < 2:
        return np.zeros(0, np.int64)
    s = state[nz]
    rise = nz[1:][(s[1:] == 1) & (s[:-1] == -1)]
    return rise[valid[rise]]


def _range(y: np.ndarray, w: int) -> np.ndarray:
    from scipy.ndimage import maximum_filter1d, minimum_filter1d

    return maximum_filter1d(y, w, mode="nearest") - minimum_filter1d(y, w, mode="nearest")


def amplitude_trace(x: np.ndarray, sfreq_hz: float, duration_s: float, *, offset_s: float = 0.0,
                    extra_invalid: np.ndarray | None = None, label: str = "") -> AmplitudeTrace:
    """The amplitude, baseline and ratio of one respiratory signal over the study.

    Amplitude = peak-to-trough excursion in a centred window of 1.25 breath periods (the
    night's median), so every sample sees one whole breath; a run of low amplitude is
    therefore ``window_s`` shorter than the reduction itself (``respiratory`` widens it back)."""
    n = int(round(duration_s * WORK_HZ))
    raw, valid = to_work_rate(x, sfreq_hz, n, offset_s)
    valid &= ~_flat(raw, valid)
    if extra_invalid is not None:
        valid &= ~np.asarray(extra_invalid, bool)[:n]
    y = _band(np.where(valid, raw, 0.0))
    starts = breath_starts(y, valid)
    per = np.diff(starts) / WORK_HZ if starts.size > 1 else np.zeros(0)
    sane = (per >= 0.8) & (per <= 15.0)  # 4-75 breaths a minute
    night_period = float(np.median(per[sane])) if sane.sum() >= 5 else DEFAULT_PERIOD_S
    window_s = float(np.clip(1.25 * night_period, 1.5, 10.0))
    w = max(3, int(round(window_s * WORK_HZ)))
    amp = _range(y, w) if y.size else y
    shift = _dc_shift(raw, y, amp, valid)
    valid &= ~shift
    # baseline on a 1-s grid; windows do not reach back across a displaced sensor
    sec = np.arange(0, n, int(WORK_HZ))
    t_sec = sec / WORK_HZ
    ok = valid[sec]
    # near-silence (under 10 % of the night's median excursion) is no breathing and never
    # enters a baseline: through a long pause the last baseline holds
    night_amp = float(np.median(amp[valid])) if valid.any() else 0.0
    ok &= amp[sec] >= 0.1 * night_amp
    reset_t = _reset_times(shift[sec], t_sec)
    base_sec = _rolling_baseline(np.where(ok, amp[sec], np.nan), reset_t, t_sec)
    # the breath period: spacing of the breaths of unreduced breathing
    base_at = np.interp(starts / WORK_HZ, t_sec, np.nan_to_num(base_sec, nan=np.inf)) if starts.size else starts
    good = starts[amp[starts] >= 0.5 * base_at] if starts.size else starts
    if good.size > 1:
        gp = np.diff(good) / WORK_HZ
        t_per = good[1:] / WORK_HZ
        keep = (gp >= 0.8) & (gp <= 15.0)
        coarse = t_sec[::PERIOD_GRID_S]  # the breath period changes slowly: every 5 s is enough
        per_c = _sliding(t_per[keep], gp[keep], coarse,
                         lambda v: float(np.median(v)) if v.size >= 3 else np.nan, BASELINE_S,
                         reset_t[::PERIOD_GRID_S])
        fin = np.isfinite(per_c)
        per_sec = np.full(t_sec.size, np.nan)
        if fin.any():
            per_sec = np.interp(t_sec, coarse[fin], per_c[fin])
            per_sec[t_sec < coarse[fin][0]] = np.nan  # filled from the first known value below
    else:
        per_sec = np.full(t_sec.size, np.nan)
    base_sec = _fill(base_sec, reset_t)
    per_sec = _fill(per_sec, reset_t)
    per_sec = np.where(np.isfinite(per_sec), per_sec, night_period)
    t = np.arange(n) / WORK_HZ
    baseline = np.interp(t, t_sec, base_sec) if t_sec.size else np.full(n, np.nan)
    period = np.interp(t, t_sec, per_sec) if t_sec.size else np.full(n, night_period)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(valid & (baseline > 0), amp / baseline, np.nan)
    return AmplitudeTrace(amp, baseline, ratio, period, valid, label, window_s)


def _reset_times(shift_sec: np.ndarray, t_sec: np.ndarray) -> np.ndarray:
    """For each second, the end of the last sensor displacement before it (or -inf)."""
    out = np.full(t_sec.size, -np.inf)
    a, b = runs(shift_sec)
    for e in b:
        out[e:] = t_sec[e] if e < t_sec.size else np.inf
    return out


def _fill(v: np.ndarray, reset_t: np.ndarray) -> np.ndarray:
    """Within each stretch between displacements: carry values over gaps forward, and
    back-fill its start (the night's first minutes have no past to compare with)."""
    v = np.asarray(v, float).copy()
    seg_id = np.unique(reset_t, return_inverse=True)[1]
    for sid in np.unique(seg_id):
        idx = np.flatnonzero(seg_id == sid)
        seg = v[idx]
        ok = np.flatnonzero(np.isfinite(seg))
        if not ok.size:
            continue
        seg[: ok[0]] = seg[ok[0]]
        fwd = np.maximum.accumulate(np.where(np.isfinite(seg), np.arange(seg.size), 0))
        v[idx] = seg[fwd]
    return v


