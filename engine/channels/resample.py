"""Anti-aliased resampling to the model rate."""

from __future__ import annotations

from fractions import Fraction

import numpy as np

# below this rate a signal is slow (SpO2, CO2 trend): interpolate, don't polyphase-filter,
# so a step in saturation does not ring
SLOW_SFREQ_HZ = 16.0


def resample(x: np.ndarray, sfreq_hz: float, target_hz: float) -> np.ndarray:
    """Resample 1-D ``x`` from ``sfreq_hz`` to ``target_hz`` (float32 out).

    Downsampling uses a polyphase FIR with an anti-aliasing low-pass (scipy's Kaiser
    window design); slow signals are linearly interpolated. NaN (gaps) are filled
    with the channel mean before filtering and put back after.
    """
    from scipy.signal import resample_poly  # lazy: keeps scipy off the start-up path
    x = np.asarray(x, dtype=np.float64)
    n_out = int(round(len(x) * target_hz / sfreq_hz))
    if sfreq_hz == target_hz:
        return x.astype(np.float32)
    if len(x) == 0:
        return np.zeros(0, np.float32)
    nan = np.isnan(x)
    if nan.any():
        fill = np.nanmean(x) if not nan.all() else 0.0
        x = np.where(nan, fill, x)
    if sfreq_hz < SLOW_SFREQ_HZ:
        t_in = np.arange(len(x)) / sfreq_hz
        t_out = np.arange(n_out) / target_hz
        y = np.interp(t_out, t_in, x)
    else:
        frac = Fraction(target_hz / sfreq_hz).limit_denominator(1000)
        y = resample_poly(x, frac.numerator, frac.denominator, padtype="line")
        y = y[:n_out] if len(y) >= n_out else np.pad(y, (0, n_out - len(y)), mode="edge")
    if nan.any():
        idx = np.minimum((np.arange(n_out) * sfreq_hz / target_hz).astype(int), len(nan) - 1)
        y[nan[idx]] = np.nan
    return y.astype(np.float32)
