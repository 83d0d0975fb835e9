"""Reconstructed channels as ghost rows: the model's estimate of a channel the study
lacks (or that is flat), with its uncertainty band, labelled as reconstructed."""

from __future__ import annotations

import numpy as np

from engine.api import CANONICAL_CHANNELS, DisplayFilter, minmax_envelope
from gui.viewer.display_state import DEFAULT_SCALE, ChannelDisplay

GHOST_PREFIX = "⟲ "


def ghost_sig(canonical: int) -> int:
    return -(canonical + 1)


def canonical_of_ghost(sig: int) -> int:
    return -sig - 1


def ghost_row(canonical: int, pieces: list) -> ChannelDisplay:
    ch = CANONICAL_CHANNELS[canonical]
    if ch.kind in DEFAULT_SCALE and ch.model_view == "waveform":
        scale, center = DEFAULT_SCALE[ch.kind]
    else:
        y = np.concatenate([p.mean for p in pieces[:20]]) if pieces else np.zeros(1)
        lo, hi = np.nanpercentile(y, [1, 99]) if np.isfinite(y).any() else (0.0, 1.0)
        scale, center = max(float(hi - lo) * 1.2, 1e-6), float((hi + lo) / 2)
    return ChannelDisplay(sig=ghost_sig(canonical), label=f"{GHOST_PREFIX}{ch.model_label} reconstructed",
                          unit=ch.unit, kind=ch.kind, visible=True, scale=scale, center=center,
                          filter=DisplayFilter(enabled=False), mapped_to=ch.name)


def window_trace(pieces: list, start_s: float, stop_s: float, max_points: int):
    """(x, mean, low, high) over [start_s, stop_s) from reconstruction pieces (128 Hz),
    NaN where nothing was reconstructed; min/max-decimated to ``max_points``."""
    if not pieces:
        return None
    sf = pieces[0].sfreq_hz
    n = int(round((stop_s - start_s) * sf))
    if n <= 0:
        return None
    mean = np.full(n, np.nan, np.float32)
    low = np.full(n, np.nan, np.float32)
    high = np.full(n, np.nan, np.float32)
    hit = False
    for p in pieces:
        a = int(round((p.start_s - start_s) * sf))
        b = a + len(p.mean)
        if b <= 0 or a >= n:
            continue
        i0, i1 = max(a, 0), min(b, n)
        mean[i0:i1] = p.mean[i0 - a:i1 - a]
        low[i0:i1] = p.low[i0 - a:i1 - a]
        high[i0:i1] = p.high[i0 - a:i1 - a]
        hit = True
    if not hit:
        return None
    if n <= max_points:
        return start_s + np.arange(n) / sf, mean, low, high
    bs = int(np.ceil(2 * n / max_points))
    mlo, mhi = minmax_envelope(mean, bs)
    lo, _ = minmax_envelope(low, bs)
    _, hi = minmax_envelope(high, bs)
    x = start_s + (np.arange(len(mlo)) + 0.5) * bs / sf
    xs = np.repeat(x, 2)
    ys = np.empty(2 * len(mlo), np.float32)
    ys[0::2], ys[1::2] = mlo, mhi
    return xs, ys, np.repeat(lo, 2), np.repeat(hi, 2)
