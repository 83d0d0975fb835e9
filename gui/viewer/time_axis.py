"""Bottom axis that labels recording seconds with the clock time of day."""

from __future__ import annotations

import datetime as dt

import pyqtgraph as pg


def clock_text(start: dt.datetime, t_s: float, seconds: bool = True) -> str:
    t = start + dt.timedelta(seconds=float(t_s))
    return t.strftime("%H:%M:%S" if seconds else "%H:%M")


class ClockAxis(pg.AxisItem):
    """Major ticks labelled, minor ticks (a fifth of a major) not: ``tickSpacing`` keeps
    majors at >= 110 px, so a minor label (a clock time, ~50 px) never fits between two
    and pyqtgraph would drop it anyway, after measuring its text (~1–2 ms a flip)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.start = dt.datetime(2000, 1, 1)
        self.setStyle(maxTextLevel=0)

    def tickSpacing(self, minVal, maxVal, size):  # noqa: N802 (Qt naming)
        span = maxVal - minVal
        for major in (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200):
            if span / major <= max(2.0, size / 110.0):
                return [(major, 0), (major / 5 if major >= 5 else major, 0)]
        return [(14400, 0), (3600, 0)]

    def tickStrings(self, values, scale, spacing):  # noqa: N802
        return [clock_text(self.start, v, seconds=spacing < 60) for v in values]
