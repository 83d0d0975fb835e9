"""Reconstructed channels as ghost rows: the model's estimate of a channel the study
lacks (or that is flat), with its uncertainty band, labelled as reconstructed."""

from __future__ import annotations

import numpy as np

from engine.api import CANONICAL_CHANNELS, DisplayFilter, minmax_envelope, row_scale
from gui.viewer.display_state import ChannelDisplay

GHOST_PREFIX = "⟲ "


def ghost_sig(canonical: int) -> int:
    return -(canonical + 1)


def canonical_of_ghost(sig: int) -> int:
    return -sig - 1


def ghost_row(canonical: int, pieces: list, recorded: ChannelDisplay | None = None,
              unit_scale: float = 1.0) -> ChannelDisplay:
    """The row of a reconstruction (values in the model's canonical unit). Over a recorded
    channel's flat stretch it takes that channel's scale and shown unit (drawn right under
    it, comparable at a glance; ``unit_scale`` turns the file's unit into the canonical
    one); a channel the study never had is scaled from the reconstruction itself."""
    ch = CANONICAL_CHANNELS[canonical]
    reason = pieces[0].reason if pieces else "missing"
    sfreq = pieces[0].sfreq_hz if pieces else 128.0
    if recorded is not None and ch.model_view == "waveform" and unit_scale:
        k = float(unit_scale)
        return ChannelDisplay(sig=ghost_sig(canonical), label=f"{GHOST_PREFIX}{recorded.label} reconstructed",
                              unit=ch.unit, kind=recorded.kind, visible=True, scale=recorded.scale * k,
                              center=recorded.center * k, filter=DisplayFilter(enabled=False),
                              mapped_to=ch.name, display_factor=recorded.display_factor / k,
                              display_unit=recorded.display_unit or recorded.unit, sfreq_hz=sfreq,
                              range_text=recorded.range_text, steps=recorded.steps,
                              default_scale=recorded.scale * k, reconstruction=reason)
    y = np.concatenate([p.mean for p in pieces[:20]]) if pieces else np.zeros(1)
    rs = row_scale(ch.kind, ch.unit, y)
    return ChannelDisplay(sig=ghost_sig(canonical), label=f"{GHOST_PREFIX}{ch.model_label} reconstructed",
                          unit=ch.unit, kind=ch.kind, visible=True, scale=rs.scale, center=rs.center,
                          filter=DisplayFilter(enabled=False), mapped_to=ch.name,
                          display_factor=rs.display_factor, display_unit=rs.display_unit, sfreq_hz=sfreq,
                          range_text=rs.range_text, default_scale=rs.scale, reconstruction=reason)


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


def ghost_rows(chans, pieces_of, rows, chmap) -> list[ChannelDisplay]:
    """Rows for the reconstructed canonical channels ``chans``: a recorded channel's flat
    stretch is drawn right under that channel, on its scale; a requested missing channel
    gets its own row. ``pieces_of(c)``: that channel's reconstruction pieces."""
    from engine.api import CANONICAL_NAMES

    out = []
    for c in chans:
        pieces = pieces_of(c)
        name = CANONICAL_NAMES[c]
        recorded = None
        if pieces and pieces[0].reason == "flat":
            recorded = next((r for r in rows if r.sig >= 0 and r.mapped_to == name), None)
        scale = chmap[name].scale if chmap is not None and recorded is not None else 1.0
        out.append(ghost_row(c, pieces, recorded, scale))
    return out
