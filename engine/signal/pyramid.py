"""Min/max envelope pyramid for long windows (hours, the whole night).

Built in the background as a generator (one signal level at a time, cancellable), so
the whole-night view draws from a few thousand precomputed points instead of reading
millions of samples.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np

from engine.signal.decimate import interleave, minmax_envelope

BASE_BIN = 64  # samples per bin at level 0
FACTOR = 8  # each level is 8x coarser
N_LEVELS = 4  # 64, 512, 4096, 32768 samples per bin
CHUNK_RECORDS_S = 600.0  # read ten minutes at a time while building


@dataclass
class SignalPyramid:
    sfreq_hz: float
    levels: list[tuple[np.ndarray, np.ndarray]]  # per level (lo, hi), float32

    def bin_size(self, level: int) -> int:
        return BASE_BIN * FACTOR ** level

    def trace(self, start_s: float, stop_s: float, max_points: int):
        """(x_s, y) envelope for a window, from the finest level that fits max_points, or
        None when even raw samples would fit (the caller reads raw then)."""
        n = (stop_s - start_s) * self.sfreq_hz
        if n <= max_points:
            return None
        for lev in range(len(self.levels)):
            bs = self.bin_size(lev)
            if 2 * n / bs <= max_points * 1.5 or lev == len(self.levels) - 1:
                lo, hi = self.levels[lev]
                b0 = max(0, int(start_s * self.sfreq_hz // bs))
                b1 = min(len(lo), int(np.ceil(stop_s * self.sfreq_hz / bs)))
                if lev + 1 < len(self.levels) and 2 * (b1 - b0) > max_points * 3:
                    continue
                return interleave(b0 * bs / self.sfreq_hz, bs / self.sfreq_hz, lo[b0:b1], hi[b0:b1])
        return None


class PyramidSet:
    """Pyramids of a study's signals as they get built (thread-safe dict)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._by_signal: dict[int, SignalPyramid] = {}

    def get(self, sig: int) -> SignalPyramid | None:
        with self._lock:
            return self._by_signal.get(sig)

    def put(self, sig: int, p: SignalPyramid) -> None:
        with self._lock:
            self._by_signal[sig] = p

    def __len__(self) -> int:
        with self._lock:
            return len(self._by_signal)


def build_signal_pyramid(study, sig: int, cancel: threading.Event | None = None) -> SignalPyramid | None:
    info = study.signals[sig]
    sf = info.sfreq_hz
    if info.n_samples < BASE_BIN * 4:
        return SignalPyramid(sf, [])
    chunk = max(BASE_BIN * FACTOR ** (N_LEVELS - 1), int(CHUNK_RECORDS_S * sf) // BASE_BIN * BASE_BIN)
    los, his = [], []
    for i0 in range(0, info.n_samples, chunk):
        if cancel is not None and cancel.is_set():
            return None
        y = study.read_samples(sig, i0, min(info.n_samples, i0 + chunk))
        lo, hi = minmax_envelope(y, BASE_BIN)
        los.append(lo)
        his.append(hi)
    lo, hi = np.concatenate(los), np.concatenate(his)
    levels = [(lo, hi)]
    for _ in range(1, N_LEVELS):
        n = len(lo) // FACTOR * FACTOR
        if n == 0:
            break
        lo = np.fmin.reduce(lo[:n].reshape(-1, FACTOR), axis=1)
        hi = np.fmax.reduce(hi[:n].reshape(-1, FACTOR), axis=1)
        levels.append((lo, hi))
    return SignalPyramid(sf, levels)


def build_pyramids(study, pyramids: PyramidSet, order: list[int] | None = None,
                   cancel: threading.Event | None = None):
    """Generator: builds one signal's pyramid per step and yields its index."""
    for sig in order if order is not None else range(len(study.signals)):
        if cancel is not None and cancel.is_set():
            return
        p = build_signal_pyramid(study, sig, cancel)
        if p is None:
            return
        pyramids.put(sig, p)
        yield sig
