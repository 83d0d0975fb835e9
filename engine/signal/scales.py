"""The vertical scale a channel row opens with: from its kind and its own robust amplitude.

A fixed scale per kind (150 µV for every EEG) fails on real files: DREAMS writes "MV" for
an ECG in the hundreds, Nox stores belts in volts, a 1-Hz Sleep-EDF chin channel is an
envelope of a few µV. So the scale follows the signal: 1.2 × its robust peak-to-peak (1st–99th
percentile, display-filtered: the rare larger waves are clipped to the row, not allowed to
shrink every other page), to 3 significant digits, kept within the range that is
plausible for the kind; airflow is centred on zero flow. SpO2 is drawn on a fixed clinical range (80–100 %,
lower when the night goes lower) and body position as steps between labelled levels.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from engine.channels.units import PLAUSIBLE_SPAN_UV, engineering, microvolt_factor, pretty_unit

SPAN_FACTOR = 1.2  # a row spans 1.2 × the robust peak-to-peak (1st–99th percentile): ~0.5 % clipped
SPO2_TOP = 100.0
SPO2_BOTTOM = 80.0
SPO2_FILL = 0.9  # the clinical range fills 90 % of the row: 100 % is not on the border
# µV per row when a signal gives nothing to measure (flat, empty)
FALLBACK_UV = {"eeg": 150.0, "eog": 300.0, "emg": 60.0, "leg": 100.0, "ecg": 1500.0}


@dataclass(frozen=True)
class RowScale:
    scale: float  # file units spanned by one row
    center: float  # file value at the row's centre
    display_factor: float = 1.0  # file unit -> shown unit (V -> µV: 1e6)
    display_unit: str = ""  # the unit shown
    range_text: str = ""  # replaces "x /row" for fixed ranges ("80–100 %")
    steps: tuple[tuple[float, str], ...] = ()  # labelled levels (position)
    note: str = ""  # what was corrected (a unit read from the amplitude)

    def text(self) -> str:
        if self.range_text:
            return self.range_text
        return f"{engineering(self.scale * self.display_factor, self.display_unit)}/row"


def _sig3(v: float) -> float:
    if not np.isfinite(v) or v <= 0:
        return v
    k = math.floor(math.log10(v)) - 2
    return round(v / 10**k) * 10**k


def robust_span(values: np.ndarray) -> tuple[float, float, float]:
    """(low, high, median) of the finite values: 1st and 99th percentiles."""
    v = np.asarray(values, np.float64)
    if len(v) > 40_000:  # percentiles of a strided subsample: the same to a fraction of a %
        v = v[:: len(v) // 20_000]
    v = v[np.isfinite(v)]
    if len(v) == 0:
        return 0.0, 0.0, 0.0
    lo, med, hi = linear_percentiles(v, (1, 50, 99))
    return lo, hi, med


def linear_percentiles(values: np.ndarray, percents: tuple[float, ...]) -> list[float]:
    """``np.percentile(values, percents)`` (its default linear interpolation, the same
    bits) from one ``np.partition``: np.percentile goes through np.unique, which imports
    numpy.ma (~20–40 ms before the first page). ``values``: finite, not empty."""
    n = len(values)
    where = []
    for q in percents:
        pos = (n - 1) * (q / 100)
        i = min(int(math.floor(pos)), n - 1)
        where.append((pos, i, min(i + 1, n - 1)))
    part = np.partition(values, sorted({k for _, i, j in where for k in (i, j)}))
    out = []
    for pos, i, j in where:
        a, b, t = float(part[i]), float(part[j]), pos - i
        diff = b - a  # numpy's _lerp: from the nearer end
        out.append(b - diff * (1 - t) if t >= 0.5 else a + diff * t)
    return out


def row_scale(kind: str, unit: str, values: np.ndarray, *, highpassed: bool = False,
              physical_range: tuple[float, float] = (-1.0, 1.0), detail: str = "") -> RowScale:
    """The opening scale of one row. ``values``: a few minutes of the signal in file units,
    through the row's display filter; ``highpassed``: that filter removes the offset (the
    row is centred on 0)."""
    lo, hi, med = robust_span(values)
    span = hi - lo
    if kind in PLAUSIBLE_SPAN_UV:
        # the unit is judged on the extremes (an ECG's R waves are 1 % of its samples)
        v = np.asarray(values, np.float64)
        v = v[np.isfinite(v)]
        top, bottom = linear_percentiles(v, (99.9, 0.1)) if len(v) else (0.0, 0.0)
        wide = top - bottom
        factor, note = microvolt_factor(unit, kind, wide if wide > 0 else None)
        min_uv = PLAUSIBLE_SPAN_UV[kind][0]
        span_uv = span * factor
        scale_uv = _sig3(max(span_uv * SPAN_FACTOR, min_uv)) if span_uv > 0 else FALLBACK_UV[kind]
        center = 0.0 if highpassed else (lo + hi) / 2
        return RowScale(scale_uv / factor, center, factor, "µV", note=note)
    if kind == "spo2" and span >= 0 and 50.0 <= med <= 100.5:
        bottom = min(SPO2_BOTTOM, 10.0 * math.floor(lo / 10.0)) if lo > 0 else SPO2_BOTTOM
        bottom = max(bottom, 50.0)
        scale = (SPO2_TOP - bottom) / SPO2_FILL
        return RowScale(scale, (SPO2_TOP + bottom) / 2, 1.0, "%",
                        range_text=f"{bottom:g}–{SPO2_TOP:g} %")
    if kind == "position":
        steps = position_steps(unit, values)
        if steps:
            vals = [v for v, _ in steps]
            a, b = min(vals), max(vals)
            scale = max(b - a, 1.0) / 0.8
            return RowScale(scale, (a + b) / 2, 1.0, pretty_unit(unit),
                            range_text=f"{steps[0][1]} … {steps[-1][1]}", steps=steps)
    if span <= 0:  # flat or empty: the header's physical range
        pmin, pmax = physical_range
        width = abs(pmax - pmin)
        span = width if width > 0 and np.isfinite(width) else max(abs(med), 1.0)
        lo, hi = med - span / 2, med + span / 2
    if kind == "pulse":
        span = max(span, 20.0)  # a steady pulse still shows a few bpm of change, not noise
    center = 0.0 if highpassed else (lo + hi) / 2
    if kind == "flow" and lo < 0 < hi and detail != "thermistor":  # zero flow on the row's centre line
        span, center = 2 * max(-lo, hi), 0.0
    scale = _sig3(span * SPAN_FACTOR)
    return RowScale(scale, center, 1.0, pretty_unit(unit))


def position_steps(unit: str, values: np.ndarray) -> tuple[tuple[float, str], ...]:
    """Labelled levels of a body-position channel: integer codes as recorded (vendors
    number positions differently, so the code is shown, not guessed), or angles every
    90°. Empty when the samples are neither (an analogue sensor voltage)."""
    v = np.asarray(values, np.float64)
    v = v[np.isfinite(v)]
    if len(v) == 0:
        return ()
    u = unit.strip().lower()
    if u in ("°", "deg", "degree", "degrees"):
        return tuple((float(a), f"{a:+d}°" if a else "0°") for a in (-180, -90, 0, 90, 180))
    r = np.round(v)
    n_levels = int(np.count_nonzero(np.diff(np.sort(r)))) + 1  # len(np.unique(r)), without numpy.ma
    if np.all(np.abs(v - r) < 1e-3) and 1 <= n_levels <= 8 and r.min() >= -1 and r.max() <= 9:
        lo, hi = int(r.min()), int(max(r.max(), r.min() + 1))
        return tuple((float(k), f"pos {k}") for k in range(lo, hi + 1))
    return ()
