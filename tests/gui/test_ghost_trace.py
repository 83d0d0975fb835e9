"""Ghost rows over long windows (issue 16): hours and the whole night draw from per-piece
envelopes computed once, never from a full-rate buffer of the window, and show exactly
the min/max a full-rate pass would."""

import gc

import numpy as np

from gui.assistant import ghosts
from gui.assistant.ghosts import COARSE_BIN, window_trace

SF = 128.0
EPOCH = 3840


class Piece:  # the fields of engine's ChannelReconstruction that drawing reads
    def __init__(self, start_s, mean, band):
        self.start_s, self.sfreq_hz = start_s, SF
        self.mean, self.low, self.high = mean, mean - band, mean + band


def _night(n_epochs=1200, per_piece=4, seed=0):
    rng = np.random.default_rng(seed)
    pieces = []
    for e in range(0, n_epochs, per_piece):
        if 300 <= e < 340:
            continue  # nothing reconstructed here
        m = rng.normal(95, 2, per_piece * EPOCH).astype(np.float32)
        m[: EPOCH // 2] = np.nan if e % 40 == 0 else m[: EPOCH // 2]  # a hidden half epoch now and then
        pieces.append(Piece(e * 30.0, m, np.float32(1.5)))
    rng.shuffle(pieces)  # the model works outward from the page: not in time order
    return pieces


def _full(pieces, n):
    out = {k: np.full(n, np.nan, np.float32) for k in ("mean", "low", "high")}
    for p in pieces:
        a = int(round(p.start_s * SF))
        for k in out:
            out[k][a:a + len(p.mean)] = getattr(p, k)
    return out


def _fold(a, k, fn):
    m = -(-len(a) // k) * k
    a = np.concatenate([a, np.full(m - len(a), np.nan, np.float32)])
    return fn.reduce(a.reshape(-1, k), axis=1)


def test_whole_night_matches_a_full_rate_pass():
    pieces = _night()
    n = 1200 * EPOCH
    max_points = 3800
    xs, ys, lo, hi = window_trace(pieces, 0.0, n / SF, max_points)
    k = int(np.ceil(2 * (n // COARSE_BIN) / max_points)) * COARSE_BIN
    full = _full(pieces, n)
    np.testing.assert_array_equal(ys[0::2], _fold(full["mean"], k, np.fmin))
    np.testing.assert_array_equal(ys[1::2], _fold(full["mean"], k, np.fmax))
    np.testing.assert_array_equal(lo[0::2], _fold(full["low"], k, np.fmin))
    np.testing.assert_array_equal(hi[0::2], _fold(full["high"], k, np.fmax))
    assert len(xs) <= max_points + 2
    gap = (xs > 300 * 30 + 60) & (xs < 340 * 30 - 60)
    assert gap.any() and np.isnan(ys[gap]).all()  # the unreconstructed stretch stays empty


def test_envelopes_are_computed_once_and_freed_with_their_piece():
    pieces = _night(n_epochs=400)
    window_trace(pieces, 0.0, 400 * 30.0, 1900)
    assert all(id(p) in ghosts._ENVELOPES for p in pieces)
    cached = {k: v for k, v in ghosts._ENVELOPES.items()}
    for _ in range(10):
        window_trace(pieces, 0.0, 400 * 30.0, 1900)
    assert all(ghosts._ENVELOPES[k] is v for k, v in cached.items())  # computed once, reused
    before = len(ghosts._ENVELOPES)
    del pieces
    gc.collect()
    assert len(ghosts._ENVELOPES) < before


def test_short_windows_keep_full_rate():
    pieces = _night(n_epochs=40)
    x, mean, lo, hi = window_trace(pieces, 60.0, 90.0, 8000)
    assert len(x) == 30 * 128  # every sample of a 30-s page
    full = _full(pieces, 40 * EPOCH)
    np.testing.assert_array_equal(mean, full["mean"][60 * 128:90 * 128])
