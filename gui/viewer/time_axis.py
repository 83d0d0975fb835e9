"""Bottom axis that labels recording seconds with the clock time of day."""

from __future__ import annotations

import datetime as dt

import pyqtgraph as pg
from PySide6.QtCore import QPointF


def clock_text(start: dt.datetime, t_s: float, seconds: bool = True) -> str:
    t = start + dt.timedelta(seconds=float(t_s))
    return t.strftime("%H:%M:%S" if seconds else "%H:%M")


class ClockAxis(pg.AxisItem):
    """Major ticks labelled, minor ticks (a fifth of a major) not: ``tickSpacing`` keeps
    majors at >= 110 px, so a minor label (a clock time, ~50 px) never fits between two
    and pyqtgraph would drop it anyway, after measuring its text (~1–2 ms a flip).

    A page flip moves the range by a whole window: the ticks land on the same pixels and
    only the labels' times change. pyqtgraph lays the axis out again on every range change
    (tick values, positions, one text measurement per label: ~1.5 ms of a ~12-ms flip);
    here a layout is kept with what it depends on (the axis's and view's geometry, the
    span, where the range starts between two minor ticks, pens and font) and, while that
    is unchanged, reused with the new times written into the same places."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._start = dt.datetime(2000, 1, 1)
        self.setStyle(maxTextLevel=0)
        self._layout_key: tuple | None = None
        self._layout: tuple | None = None  # (axisSpec, tickSpecs, textSpecs, label offsets from the range start)
        self._major = 1.0  # the kept layout's labelled tick spacing, s
        self.layouts_made = 0  # how many times pyqtgraph laid the axis out (tests, benches)

    @property
    def start(self) -> dt.datetime:
        """The recording's clock at 0 s: what the labels count from."""
        return self._start

    @start.setter
    def start(self, value: dt.datetime) -> None:
        if value != self._start:
            self._start = value
            self.picture = None  # pyqtgraph redraws its cached picture only when the range moves
            self.update()

    def _key(self) -> tuple | None:
        lo, hi = (float(v) for v in self.range)
        span = hi - lo
        if not span > 0:
            return None
        bounds = self.mapRectFromParent(self.geometry())
        view = self.linkedView()
        ticks = view.mapRectToItem(self, view.boundingRect()) if view is not None else bounds
        minor = self.tickSpacing(lo, hi, bounds.width())[-1][0]
        phase = lo / minor - round(lo / minor)  # where the range starts between two minor ticks
        style = tuple((k, v) for k, v in sorted(self.style.items()) if isinstance(v, (int, float, bool, str)))
        return (round(span, 9), round(phase, 6), bounds.getRect(), ticks.getRect(), style,
                id(self.style.get("tickFont")), self.pen().color().rgba(), self.pen().widthF(),
                self.textPen().color().rgba(), self.orientation)

    def generateDrawSpecs(self, p):  # noqa: N802 — pyqtgraph's name
        key = self._key()
        lo, hi = (float(v) for v in self.range)
        if key is not None and key == self._layout_key and self._layout is not None:
            axis_spec, tick_specs, text_specs, offsets = self._layout
            strings = self.tickStrings([lo + o for o in offsets], 1.0, self._major)
            return axis_spec, tick_specs, [(r, f, s) for (r, f, _), s in zip(text_specs, strings)]
        specs = super().generateDrawSpecs(p)
        self.layouts_made += 1
        self._layout_key = self._layout = None
        if specs is None or key is None or self.orientation not in ("bottom", "top"):
            return specs
        axis_spec, tick_specs, text_specs = specs
        width = key[2][2]  # the axis's own width (its bounds in the key)
        self._major = self.tickSpacing(lo, hi, width)[0][0]
        offsets = []
        for rect, _, _ in text_specs:  # the label's tick: its rect's centre, on a major tick
            v = lo + rect.center().x() * (hi - lo) / width
            offsets.append(round(v / self._major) * self._major - lo)
        self._layout_key = key
        self._layout = (axis_spec, [(pen, QPointF(a), QPointF(b)) for pen, a, b in tick_specs],
                        list(text_specs), offsets)
        return specs

    def tickSpacing(self, minVal, maxVal, size):  # noqa: N802 (Qt naming)
        span = maxVal - minVal
        for major in (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200):
            if span / major <= max(2.0, size / 110.0):
                return [(major, 0), (major / 5 if major >= 5 else major, 0)]
        return [(14400, 0), (3600, 0)]

    def tickStrings(self, values, scale, spacing):  # noqa: N802
        return [clock_text(self.start, v, seconds=spacing < 60) for v in values]
