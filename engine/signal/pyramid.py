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


def _levels_from_base(lo: np.ndarray, hi: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    levels = [(lo, hi)]
    for _ in range(1, N_LEVELS):
        n = len(lo) // FACTOR * FACTOR
        if n == 0:
            break
        lo = np.fmin.reduce(lo[:n].reshape(-1, FACTOR), axis=1)
        hi = np.fmax.reduce(hi[:n].reshape(-1, FACTOR), axis=1)
        levels.append((lo, hi))
    return levels


class _Envelopes:
    """Per-signal min/max of consecutive bins, fed chunk by chunk (a bin may straddle
    two chunks: the remainder waits for the next one)."""

    def __init__(self, bins: dict[int, int]):
        self.bins = bins
        self.lo: dict[int, list] = {i: [] for i in bins}
        self.hi: dict[int, list] = {i: [] for i in bins}
        self.rest = {i: np.zeros(0, np.float32) for i in bins}

    def add(self, i: int, y: np.ndarray) -> None:
        if len(self.rest[i]):
            y = np.concatenate([self.rest[i], y])
        n = len(y) // self.bins[i] * self.bins[i]
        lo, hi = minmax_envelope(y[:n], self.bins[i])
        self.lo[i].append(lo)
        self.hi[i].append(hi)
        self.rest[i] = y[n:]

    def finish(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        if len(self.rest[i]):
            lo, hi = minmax_envelope(self.rest[i], len(self.rest[i]))
            self.lo[i].append(lo)
            self.hi[i].append(hi)
        empty = np.zeros(0, np.float32)
        return (np.concatenate(self.lo[i]) if self.lo[i] else empty,
                np.concatenate(self.hi[i]) if self.hi[i] else empty)


def build_pyramids(study, pyramids: PyramidSet, order: list[int] | None = None,
                   cancel: threading.Event | None = None):
    """Generator: one streaming pass over the recording (nothing cached), min/max of every
    signal per ``BASE_BIN`` samples; yields the fraction done after each chunk, and
    publishes all signals' pyramids at the end. ``order`` limits it to those signals."""
    sigs = list(order) if order is not None else list(range(len(study.signals)))
    if not study.is_continuous or study.n_records == 0:
        return
    env = _Envelopes({i: BASE_BIN for i in sigs})
    for r0, blocks in study.iter_blocks(CHUNK_RECORDS_S, cancel):
        for i in sigs:
            env.add(i, blocks[i])
        yield min(1.0, (r0 + 1) / study.n_records)
    if cancel is not None and cancel.is_set():
        return
    for i in sigs:
        lo, hi = env.finish(i)
        pyramids.put(i, SignalPyramid(study.signals[i].sfreq_hz, _levels_from_base(lo, hi)))
    yield 1.0


def stream_envelopes(study, sigs: list[int], start_s: float, stop_s: float, max_points: int):
    """Min/max envelopes of several signals over a long window in one streaming pass
    (for a long view before the pyramid is ready): {sig: (x_s, y)}, nothing cached."""
    rd = study.record_duration_s
    r0 = max(0, int(start_s // rd))
    r1 = min(study.n_records, int(np.ceil(stop_s / rd)))
    env = _Envelopes({i: max(1, int(np.ceil(2 * (stop_s - start_s) * study.signals[i].sfreq_hz / max_points)))
                      for i in sigs})
    for _, blocks in study.iter_blocks(CHUNK_RECORDS_S, first_record=r0, stop_record=r1, sigs=sigs):
        for i in sigs:
            env.add(i, blocks[i])
    out = {}
    for i in sigs:
        lo, hi = env.finish(i)
        out[i] = interleave(r0 * rd, env.bins[i] / study.signals[i].sfreq_hz, lo, hi)
    return out
