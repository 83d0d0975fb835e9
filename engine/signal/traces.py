"""What the signal view draws: per signal and window, a filtered, decimated trace.

``TraceSource`` is the one place the viewer gets samples from. ``page`` computes every
visible signal of a window at once: signals that share a rate and a filter are read,
stacked and filtered in one call, then decimated to the pixel budget; long windows draw
from the envelope pyramid once it is built, or from one streaming pass before that.
Recent traces are kept, so paging back is free; the viewer reads the next page through
``page`` while the GUI is idle (and draws it ahead: gui/viewer/trace_layer.py).
"""

from __future__ import annotations

import threading
from collections import OrderedDict, defaultdict

import numpy as np

from engine.signal.decimate import decimate_for_display
from engine.signal.filters import DisplayFilter, apply_filter
from engine.signal.pyramid import PyramidSet, stream_envelopes

RAW_LIMIT_S = 900.0  # up to 15 min, read and filter samples; longer: use the pyramid
TRACE_CACHE_ITEMS = 768

Trace = tuple[np.ndarray, np.ndarray]  # (x_s float64, y float32 physical)


class TraceSource:
    def __init__(self, study, pyramids: PyramidSet | None = None):
        self.study = study
        self.pyramids = pyramids or PyramidSet()
        self._cache: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def trace(self, sig: int, start_s: float, stop_s: float, max_points: int,
              filt: DisplayFilter) -> Trace:
        """One signal's trace over [start_s, stop_s)."""
        return self.page([(sig, filt)], start_s, stop_s, max_points)[0]

    def page(self, requests: list[tuple[int, DisplayFilter]], start_s: float, stop_s: float,
             max_points: int) -> list[Trace]:
        """Traces for (signal, filter) requests over one window, in request order."""
        keys = [(sig, round(start_s, 6), round(stop_s, 6), max_points, f) for sig, f in requests]
        out: list[Trace | None] = [None] * len(requests)
        with self._lock:
            for k, key in enumerate(keys):
                hit = self._cache.get(key)
                if hit is not None:
                    self._cache.move_to_end(key)
                    out[k] = hit
        todo = [k for k in range(len(requests)) if out[k] is None]
        if todo:
            computed = self._compute([requests[k] for k in todo], start_s, stop_s, max_points)
            with self._lock:
                for k, tr in zip(todo, computed):
                    out[k] = tr
                    self._cache[keys[k]] = tr
                while len(self._cache) > TRACE_CACHE_ITEMS:
                    self._cache.popitem(last=False)
        return out  # type: ignore[return-value]

    def _compute(self, requests, start_s, stop_s, max_points) -> list[Trace]:
        study = self.study
        a_s, b_s = max(start_s, 0.0), min(stop_s, study.duration_s)
        empty = (np.zeros(0), np.zeros(0, np.float32))
        if b_s <= a_s:
            return [empty] * len(requests)
        if b_s - a_s > RAW_LIMIT_S and study.is_continuous:
            return self._long(requests, a_s, b_s, max_points)
        result: list[Trace | None] = [None] * len(requests)
        groups: dict = defaultdict(list)
        for k, (sig, f) in enumerate(requests):
            groups[(study.signals[sig].sfreq_hz, f)].append(k)
        for (sf, f), ks in groups.items():
            pad = f.pad_s() if f.enabled else 0.0
            a = max(0.0, a_s - pad)
            b = min(study.duration_s, b_s + pad)
            block = np.stack([study.read(requests[k][0], a, b) for k in ks])
            block = apply_filter(block, sf, f)
            i0 = int(round((a_s - a) * sf))
            n = int(round((b_s - a_s) * sf))
            for row, k in enumerate(ks):
                result[k] = decimate_for_display(block[row, i0:i0 + n], a + i0 / sf, sf, max_points)
        return result  # type: ignore[return-value]

    def _long(self, requests, a_s, b_s, max_points) -> list[Trace]:
        """Hours on screen: the pyramid's envelope (unfiltered: at this zoom the envelope
        is what a scorer reads), or one streaming pass while it is being built."""
        result: list[Trace | None] = [None] * len(requests)
        missing = []
        for k, (sig, _) in enumerate(requests):
            pyr = self.pyramids.get(sig)
            tr = pyr.trace(a_s, b_s, max_points) if pyr is not None else None
            if tr is None and pyr is None:
                missing.append(k)
            elif tr is None:
                y = self.study.read(sig, a_s, b_s)
                tr = decimate_for_display(y, a_s, self.study.signals[sig].sfreq_hz, max_points)
            result[k] = tr
        if missing:
            sigs = sorted({requests[k][0] for k in missing})
            env = stream_envelopes(self.study, sigs, a_s, b_s, max_points)
            for k in missing:
                result[k] = env[requests[k][0]]
        return result  # type: ignore[return-value]

    def clear(self) -> None:
        with self._lock:
            self._cache.clear()
