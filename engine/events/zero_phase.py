"""Zero-phase IIR filtering of a whole night without its float64 copies (issue 16).

``sosfiltfilt_lean(sos, x, prep)`` gives the same numbers as
``scipy.signal.sosfiltfilt(sos, prep(x))`` (odd padding, scipy's default pad length and
initial conditions) bit for bit, but reads ``x`` (e.g. float32 samples at the native rate)
a slice at a time and holds one float64 array of the output: scipy's call makes the padded
copy, the forward output, a reversed copy and the backward output (~4x the night in
float64). The forward pass runs over the padded night in slices, carrying the filter state
from slice to slice (a direct-form II transposed section does the same arithmetic either
way), and the backward pass runs from the end in slices, writing over the forward output
in place.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

__all__ = ["sosfiltfilt_lean", "CHUNK_SAMPLES"]

CHUNK_SAMPLES = 1 << 20  # 8 MB of float64 per slice


def _pad_len(sos: np.ndarray) -> int:
    """scipy.signal.sosfiltfilt's default pad length."""
    n_taps = 2 * len(sos) + 1
    n_taps -= min(int((sos[:, 2] == 0).sum()), int((sos[:, 5] == 0).sum()))
    return 3 * n_taps


def _identity(a: np.ndarray) -> np.ndarray:
    return a


def sosfiltfilt_lean(sos: np.ndarray, x: np.ndarray, prep: Callable[[np.ndarray], np.ndarray] = _identity,
                     chunk: int = CHUNK_SAMPLES) -> np.ndarray:
    """``scipy.signal.sosfiltfilt(sos, prep(x))`` for 1-D ``x``, as float64, holding one
    float64 copy of the night. ``prep`` maps a slice of ``x`` to the values to filter
    (elementwise, e.g. NaN to 0); its dtype is the one the padding is computed in, as
    scipy would."""
    from scipy import signal as sps  # lazy: keeps scipy off the start-up path

    sos = np.asarray(sos, np.float64)
    n = int(x.size)
    pad = _pad_len(sos)
    if n <= pad or x.ndim != 1:
        return np.asarray(sps.sosfiltfilt(sos, prep(np.asarray(x))), np.float64)
    chunk = max(1, int(chunk))
    # odd extension at both ends, as scipy's odd_ext (in prep's dtype)
    head = prep(np.asarray(x[: pad + 1]))
    tail = prep(np.asarray(x[n - pad - 1:]))
    left = 2 * head[:1] - head[pad:0:-1]
    right = 2 * tail[-1:] - tail[-2::-1]
    zi = sps.sosfilt_zi(sos)
    out = np.empty(n + 2 * pad, np.float64)
    # forward, over [left | x | right]
    state = zi * np.float64(left[0])
    out[:pad], state = sps.sosfilt(sos, np.asarray(left, np.float64), zi=state)
    for a in range(0, n, chunk):
        b = min(n, a + chunk)
        out[pad + a: pad + b], state = sps.sosfilt(sos, np.asarray(prep(np.asarray(x[a:b])), np.float64), zi=state)
    out[pad + n:], state = sps.sosfilt(sos, np.asarray(right, np.float64), zi=state)
    # backward, from the end, in place
    state = zi * out[-1]
    total = out.size
    for b in range(total, 0, -chunk):
        a = max(0, b - chunk)
        seg, state = sps.sosfilt(sos, out[a:b][::-1], zi=state)
        out[a:b] = seg[::-1]
    return out[pad: pad + n]
