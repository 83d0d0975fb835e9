"""Hypoventilation from capnography (end-tidal or transcutaneous CO2), by the AASM rules.

* pediatric: PCO2 > 50 mmHg for more than 25 % of total sleep time (of the recording when
  nothing is staged) — the stretches above 50 mmHg lasting >= 60 s are then suggested;
* adult: PCO2 > 55 mmHg for >= 10 min.

End-tidal CO2 is read from the capnogram as each second's highest value over a 6-s
window (the plateau of the breath's expiration); values outside 10-100 mmHg are no
reading (an apnea exhales nothing; a disconnected line reads ~0) and never count either
way. A transcutaneous trace (no breath waveform) reads as itself.
"""

from __future__ import annotations

import numpy as np

from engine.events.flow import runs

__all__ = ["etco2_per_second", "hypoventilation"]

PED_LIMIT_MMHG = 50.0
PED_FRACTION = 0.25
PED_MIN_RUN_S = 60
ADULT_LIMIT_MMHG = 55.0
ADULT_MIN_RUN_S = 600
_CHUNK_SAMPLES = 1 << 20


def etco2_per_second(x: np.ndarray, sfreq_hz: float, duration_s: float, offset_s: float = 0.0) -> np.ndarray:
    """End-tidal CO2 in mmHg at 1 Hz over [0, duration_s) (NaN: no valid reading)."""
    from scipy.ndimage import maximum_filter1d  # lazy: keeps scipy off the start-up path
    n = int(np.ceil(duration_s))
    x = np.asarray(x)
    per = np.full(n, -np.inf)
    # issue 16: a slice of the night at a time (no whole-night float64 copy, time axis or
    # second index); a maximum does not depend on the order its values come in
    for a in range(0, x.size, _CHUNK_SAMPLES):
        b = min(x.size, a + _CHUNK_SAMPLES)
        v = np.asarray(x[a:b], np.float64)
        k = np.floor(offset_s + np.arange(a, b) / sfreq_hz + 1e-9).astype(np.int64)
        inside = (k >= 0) & (k < n) & np.isfinite(v)
        np.maximum.at(per, k[inside], v[inside])
    peak = maximum_filter1d(per, size=6, mode="nearest")
    return np.where((peak >= 10.0) & (peak <= 100.0), peak, np.nan)


def hypoventilation(etco2: np.ndarray, pediatric: bool, stages=None, epoch_s: float = 30.0):
    """``(events, stats)``: events as (onset_s, duration_s, rule, attrs); stats with the
    share of sleep (or recording) time above 50 mmHg."""
    v = np.asarray(etco2, float)
    n = v.size
    asleep = np.ones(n, bool)
    basis = "recording"
    if stages is not None and (np.asarray(stages) >= 0).any():
        st = np.asarray(stages, int)
        ep = np.clip((np.arange(n) // epoch_s).astype(int), 0, st.size - 1)
        asleep = np.isin(st[ep], [1, 2, 3, 4])
        basis = "sleep"
    measured = asleep & np.isfinite(v)
    over50 = measured & (v > PED_LIMIT_MMHG)
    frac = float(over50.sum() / measured.sum()) if measured.any() else 0.0
    stats = {"etco2_over_50_pct": round(100 * frac, 1), "etco2_basis": basis,
             "etco2_valid_min": round(float(measured.sum()) / 60, 1)}
    events = []
    if pediatric:
        if frac > PED_FRACTION:
            a, b = runs(over50)
            for s, e in zip(a, b):
                if e - s >= PED_MIN_RUN_S:
                    events.append((float(s), float(e - s),
                                   f"aasm-pediatric hypoventilation: PCO2 > {PED_LIMIT_MMHG:g} mmHg for > "
                                   f"{100 * PED_FRACTION:g} % of {'sleep' if basis == 'sleep' else 'the recording'}",
                                   {"etco2_max_mmhg": round(float(np.nanmax(v[s:e])), 1),
                                    "etco2_over_50_pct": stats["etco2_over_50_pct"], "duration_s": float(e - s)}))
    else:
        over55 = measured & (v > ADULT_LIMIT_MMHG)
        a, b = runs(over55)
        for s, e in zip(a, b):
            if e - s >= ADULT_MIN_RUN_S:
                events.append((float(s), float(e - s),
                               f"aasm-adult hypoventilation: PCO2 > {ADULT_LIMIT_MMHG:g} mmHg for >= "
                               f"{ADULT_MIN_RUN_S // 60} min",
                               {"etco2_max_mmhg": round(float(np.nanmax(v[s:e])), 1), "duration_s": float(e - s)}))
    return events, stats
