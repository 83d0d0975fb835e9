"""Reconstructed channels as ghost rows: the model's estimate of a channel the study
lacks (or that is flat), with its uncertainty band, labelled as reconstructed."""

from __future__ import annotations

import weakref

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
    if int(np.ceil(2 * n / max(max_points, 2))) >= 2 * COARSE_BIN:
        return _coarse_window_trace(pieces, start_s, n, sf, max_points)
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


# Long windows (hours, the whole night) draw from a per-piece envelope computed once:
# filling a full-rate buffer for the window would touch every reconstructed sample on
# every redraw (4.6 M per channel and 55 MB of temporaries for a 10-h night).
COARSE_BIN = 32  # samples per cached envelope bin (0.25 s at 128 Hz)
_ENVELOPES: dict[int, tuple] = {}  # id(piece) -> (weakref to it, its envelope); freed with the piece


def _fold(a: np.ndarray, k: int, fn) -> np.ndarray:
    """Reduce consecutive groups of ``k`` with ``fn`` (np.fmin / np.fmax: NaN only where a
    whole group is NaN); a partial last group is padded with NaN."""
    m = -(-len(a) // k) * k
    if m != len(a):
        a = np.concatenate([a, np.full(m - len(a), np.nan, a.dtype)])
    return fn.reduce(a.reshape(-1, k), axis=1)


def piece_envelope(p) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(min of mean, max of mean, min of low, max of high) per COARSE_BIN samples of one
    reconstruction piece; computed once per piece."""
    hit = _ENVELOPES.get(id(p))
    if hit is not None and hit[0]() is p:
        return hit[1]
    env = (_fold(p.mean, COARSE_BIN, np.fmin), _fold(p.mean, COARSE_BIN, np.fmax),
           _fold(p.low, COARSE_BIN, np.fmin), _fold(p.high, COARSE_BIN, np.fmax))
    key = id(p)
    try:
        ref = weakref.ref(p, lambda _r, k=key: _ENVELOPES.pop(k, None))
    except TypeError:  # not weak-referenceable: do not cache
        return env
    _ENVELOPES[key] = (ref, env)
    return env


def _coarse_window_trace(pieces, start_s: float, n: int, sf: float, max_points: int):
    nc = -(-n // COARSE_BIN)
    lo_m = np.full(nc, np.nan, np.float32)
    hi_m = np.full(nc, np.nan, np.float32)
    lo_b = np.full(nc, np.nan, np.float32)
    hi_b = np.full(nc, np.nan, np.float32)
    hit = False
    for p in pieces:
        a = int(round((p.start_s - start_s) * sf)) // COARSE_BIN  # on the window's coarse grid
        env = piece_envelope(p)
        b = a + len(env[0])
        if b <= 0 or a >= nc:
            continue
        i0, i1 = max(a, 0), min(b, nc)
        for dst, src, fn in ((lo_m, env[0], np.fmin), (hi_m, env[1], np.fmax),
                             (lo_b, env[2], np.fmin), (hi_b, env[3], np.fmax)):
            dst[i0:i1] = fn(dst[i0:i1], src[i0 - a:i1 - a])
        hit = True
    if not hit:
        return None
    k = max(1, int(np.ceil(2 * nc / max(max_points, 2))))  # coarse bins per display bin
    mlo, mhi = _fold(lo_m, k, np.fmin), _fold(hi_m, k, np.fmax)
    lo, hi = _fold(lo_b, k, np.fmin), _fold(hi_b, k, np.fmax)
    x = start_s + (np.arange(len(mlo)) + 0.5) * k * COARSE_BIN / sf
    xs = np.repeat(x, 2)
    ys = np.empty(2 * len(mlo), np.float32)
    ys[0::2], ys[1::2] = mlo, mhi
    return xs, ys, np.repeat(lo, 2), np.repeat(hi, 2)
