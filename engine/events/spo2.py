"""SpO2: artefact handling and desaturations.

Cleaning (at 1 Hz): values outside 50-100 % are dropouts (oximeters write 0, -1, 127 or
the lowest digital value when the probe is off); a jump of more than 4 % in one second
in either direction is a motion artefact and the seconds around it are dropped; gaps of
up to 10 s are bridged linearly, longer ones stay gaps. A channel with less than 20 % of
valid seconds is not used at all (``usable`` False, with the reason).

Desaturations: the trace's turning points with a 1 % hysteresis (peaks and troughs); a
desaturation runs from a peak to the following trough when the fall is at least the
threshold (3 %) — onset at the peak, the nadir at the trough. A fall longer than 120 s is
measured from the highest value of the last 120 s before the trough.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.events.flow import runs

__all__ = ["Spo2Trace", "clean_spo2", "Desaturation", "find_desaturations"]

JUMP_PCT_PER_S = 4.0
BRIDGE_S = 10
MIN_VALID_FRACTION = 0.2
MAX_FALL_S = 120


@dataclass(frozen=True)
class Spo2Trace:
    values: np.ndarray  # % at 1 Hz from study time 0, NaN = not valid
    usable: bool
    reason: str = ""
    invalid_s: float = 0.0


@dataclass(frozen=True)
class Desaturation:
    onset_s: float  # the peak before the fall
    nadir_s: float
    drop_pct: float
    baseline_pct: float
    nadir_pct: float

    @property
    def duration_s(self) -> float:
        return max(1.0, self.nadir_s - self.onset_s)


def clean_spo2(x: np.ndarray, sfreq_hz: float, duration_s: float, offset_s: float = 0.0) -> Spo2Trace:
    """SpO2 in % resampled to 1 Hz over [0, duration_s) with dropouts and artefacts as NaN."""
    x = np.asarray(x)
    if not np.issubdtype(x.dtype, np.floating):
        x = x.astype(np.float64)
    n = int(np.ceil(duration_s))
    if x.size == 0 or n == 0:
        return Spo2Trace(np.full(n, np.nan), False, "no SpO2 samples")
    s, c = _per_second_sums(x, sfreq_hz, n, offset_s)
    with np.errstate(invalid="ignore", divide="ignore"):
        v = np.where(c > 0, s / np.maximum(c, 1), np.nan)
    # motion artefacts: implausible jumps, and the two seconds either side
    d = np.abs(np.diff(v))
    jump = np.flatnonzero(np.nan_to_num(d, nan=0.0) > JUMP_PCT_PER_S)
    for j in jump:
        v[max(0, j - 1): j + 3] = np.nan
    invalid_s = float(np.count_nonzero(~np.isfinite(v)))
    # bridge short gaps
    a, b = runs(~np.isfinite(v))
    for s0, e0 in zip(a, b):
        if e0 - s0 <= BRIDGE_S and s0 > 0 and e0 < n:
            v[s0:e0] = np.linspace(v[s0 - 1], v[e0], e0 - s0 + 2)[1:-1]
    frac = float(np.isfinite(v).mean()) if n else 0.0
    if frac < MIN_VALID_FRACTION:
        return Spo2Trace(v, False, f"SpO2 not usable: only {100 * frac:.0f} % of the seconds hold a "
                                   "plausible value (50-100 %)", invalid_s)
    return Spo2Trace(v, True, "", invalid_s)


_CHUNK_SAMPLES = 1 << 20


def _per_second_sums(x: np.ndarray, sfreq_hz: float, n: int, offset_s: float) -> tuple[np.ndarray, np.ndarray]:
    """Sum (float64) and count of the valid samples (50-100 %) in each second [0, n).

    Issue 16: a slice of the night at a time (float32 samples stay float32 until each
    slice), never splitting a second between slices, so every second's sum adds the same
    samples in the same order as one pass over the night: the same numbers."""
    s = np.zeros(n)
    c = np.zeros(n, np.int64)
    a = 0
    while a < x.size:
        size = _CHUNK_SAMPLES
        while True:
            b = min(x.size, a + size)
            k = np.floor(offset_s + np.arange(a, b) / sfreq_hz + 1e-9).astype(np.int64)  # non-decreasing
            if b == x.size:
                break
            cut = int(np.searchsorted(k, k[-1]))  # the slice's last second goes to the next slice
            if cut > 0:
                b, k = a + cut, k[:cut]
                break
            size *= 2  # one second longer than a slice: take a longer one
        v = np.asarray(x[a:b], np.float64)
        inside = (k >= 0) & (k < n) & np.isfinite(v) & (v >= 50.0) & (v <= 100.0)
        s += np.bincount(k[inside], weights=v[inside], minlength=n)[:n]
        c += np.bincount(k[inside], minlength=n)[:n]
        a = b
    return s, c


def _turning_points(v: np.ndarray, hyst: float) -> list[tuple[int, str]]:
    """Peaks and troughs of a gap-free segment with hysteresis ``hyst``."""
    out: list[tuple[int, str]] = []
    if v.size == 0:
        return out
    mode = "up"
    ext_i = 0
    for i in range(1, v.size):
        if mode == "up":
            if v[i] >= v[ext_i]:
                ext_i = i
            elif v[i] <= v[ext_i] - hyst:
                out.append((ext_i, "peak"))
                mode, ext_i = "down", i
        else:
            if v[i] <= v[ext_i]:
                ext_i = i
            elif v[i] >= v[ext_i] + hyst:
                out.append((ext_i, "trough"))
                mode, ext_i = "up", i
    out.append((ext_i, "peak" if mode == "up" else "trough"))
    return out


def find_desaturations(trace: Spo2Trace, drop_pct: float = 3.0, hysteresis_pct: float = 1.0) -> list[Desaturation]:
    """Falls of at least ``drop_pct`` from a peak to the next trough (see module doc)."""
    v = trace.values
    out: list[Desaturation] = []
    if not trace.usable:
        return out
    a, b = runs(np.isfinite(v))
    for s0, e0 in zip(a, b):
        seg = v[s0:e0]
        tps = _turning_points(seg, hysteresis_pct)
        for (i, kind), (j, kind2) in zip(tps, tps[1:]):
            if kind != "peak" or kind2 != "trough":
                continue
            p = i
            if j - p > MAX_FALL_S:
                p = j - MAX_FALL_S + int(np.argmax(seg[j - MAX_FALL_S: j]))
            drop = float(seg[p] - seg[j])
            if drop >= drop_pct - 1e-9:
                # the fall starts where the trace last left the peak value
                out.append(Desaturation(float(s0 + p), float(s0 + j), round(drop, 3), float(seg[p]), float(seg[j])))
    return out
