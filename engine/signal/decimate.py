"""Min/max ("peak") decimation: never more than ~2 points per pixel per channel."""

from __future__ import annotations

import warnings

import numpy as np


def minmax_envelope(y: np.ndarray, bin_size: int) -> tuple[np.ndarray, np.ndarray]:
    """Per bin of ``bin_size`` samples the (min, max), as two float32 arrays [n_bins].
    A trailing partial bin counts as a bin; all-NaN bins give NaN."""
    n = len(y)
    n_bins = -(-n // bin_size)
    if n_bins == 0:
        return np.zeros(0, np.float32), np.zeros(0, np.float32)
    pad = n_bins * bin_size - n
    if pad:
        y = np.concatenate([y, np.full(pad, y[-1], dtype=y.dtype)])
    body = y.reshape(n_bins, bin_size)
    if np.isnan(body).any():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            return (np.nanmin(body, axis=1).astype(np.float32),
                    np.nanmax(body, axis=1).astype(np.float32))
    return body.min(axis=1).astype(np.float32), body.max(axis=1).astype(np.float32)


def interleave(t0_s: float, bin_s: float, lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Turn an envelope into a drawable trace: x repeated twice per bin, y = lo, hi, ..."""
    n = len(lo)
    x = np.repeat(t0_s + (np.arange(n) + 0.5) * bin_s, 2)
    y = np.empty(2 * n, np.float32)
    y[0::2] = lo
    y[1::2] = hi
    return x, y


def decimate_for_display(y: np.ndarray, t0_s: float, sfreq_hz: float,
                         max_points: int) -> tuple[np.ndarray, np.ndarray]:
    """Trace (x_s, y) for a window: raw samples when they fit, else a min/max envelope of
    at most ``max_points`` points."""
    n = len(y)
    if n <= max_points:
        return t0_s + np.arange(n) / sfreq_hz, y
    bin_size = int(np.ceil(2 * n / max_points))
    lo, hi = minmax_envelope(y, bin_size)
    x, yy = interleave(t0_s, bin_size / sfreq_hz, lo, hi)
    # a partial last bin: keep its point inside the window
    np.minimum(x, t0_s + (n - 1) / sfreq_hz, out=x)
    return x, yy
