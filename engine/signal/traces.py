"""What the signal view draws: per signal and window, a filtered, decimated trace.

``TraceSource`` is the one place the viewer gets samples from. It reads the window plus
filter padding from the study's cache, filters, and decimates to the pixel budget; for
long windows it draws from the envelope pyramid once built. Recent traces are kept, so
paging back is free, and ``prefetch`` warms the next page while the GUI is idle.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

import numpy as np

from engine.signal.decimate import decimate_for_display
from engine.signal.filters import DisplayFilter, apply_filter
from engine.signal.pyramid import PyramidSet

RAW_LIMIT_S = 900.0  # up to 15 min, read and filter samples; longer: use the pyramid
TRACE_CACHE_ITEMS = 512


class TraceSource:
    def __init__(self, study, pyramids: PyramidSet | None = None):
        self.study = study
        self.pyramids = pyramids or PyramidSet()
        self._cache: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def trace(self, sig: int, start_s: float, stop_s: float, max_points: int,
              filt: DisplayFilter) -> tuple[np.ndarray, np.ndarray]:
        """(x_s float64, y float32 physical) for one signal over [start_s, stop_s)."""
        key = (sig, round(start_s, 6), round(stop_s, 6), max_points, filt)
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None:
                self._cache.move_to_end(key)
                return hit
        out = self._compute(sig, start_s, stop_s, max_points, filt)
        with self._lock:
            self._cache[key] = out
            while len(self._cache) > TRACE_CACHE_ITEMS:
                self._cache.popitem(last=False)
        return out

    def _compute(self, sig, start_s, stop_s, max_points, filt):
        info = self.study.signals[sig]
        sf = info.sfreq_hz
        start_s = max(start_s, 0.0)
        stop_s = min(stop_s, self.study.duration_s)
        if stop_s <= start_s:
            return np.zeros(0), np.zeros(0, np.float32)
        if stop_s - start_s > RAW_LIMIT_S and self.study.is_continuous:
            pyr = self.pyramids.get(sig)
            if pyr is not None:
                tr = pyr.trace(start_s, stop_s, max_points)
                if tr is not None:
                    return tr
            # no pyramid yet: decimate from raw (unfiltered: filtering hours is pointless
            # at this zoom, and the envelope is what a scorer reads there)
            y = self.study.read(sig, start_s, stop_s)
            return decimate_for_display(y, start_s, sf, max_points)
        pad = filt.pad_s() if filt.enabled else 0.0
        a = max(0.0, start_s - pad)
        b = min(self.study.duration_s, stop_s + pad)
        y = self.study.read(sig, a, b)
        y = apply_filter(y, sf, filt)
        i0 = int(round((start_s - a) * sf))
        n = int(round((stop_s - start_s) * sf))
        y = y[i0:i0 + n]
        return decimate_for_display(y, a + i0 / sf, sf, max_points)

    def prefetch(self, sigs_filters, start_s: float, stop_s: float, max_points: int) -> None:
        for sig, filt in sigs_filters:
            self.trace(sig, start_s, stop_s, max_points, filt)

    def clear(self) -> None:
        with self._lock:
            self._cache.clear()
