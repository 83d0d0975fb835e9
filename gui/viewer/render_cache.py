"""Layers that rarely change, drawn once into a pixmap and blitted on every repaint.

A page flip moves only the window marker on the overview, hypnogram and hypnodensity
strips, but Qt repaints every item under the marker's old and new rectangle: a
whole-night ``BarGraphItem`` (one block per epoch) replays its whole picture each time
(~4 ms a strip on a 10-h night). With ``DeviceCoordinateCache`` Qt keeps the item's
rendering and repaints it only when its data or the view's scale change.

The strips' axes too: a flip exposes a few pixels' column of each strip, and Qt replayed
each axis's whole picture (every label's text) for it (~0.35 ms a flip over the
overview and the hypnogram). An axis calls ``update()`` when its range or ticks change,
which redraws its cache.
"""

from __future__ import annotations

from PySide6.QtWidgets import QGraphicsItem


def cache_static(*items) -> None:
    """Cache each item's rendering in device coordinates (redrawn only when it changes)."""
    for it in items:
        it.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)


def cache_axes(plot_item) -> None:
    """``cache_static`` for each shown axis of a plot whose range a page flip leaves alone."""
    for name in ("left", "bottom", "right", "top"):
        axis = plot_item.getAxis(name)
        if axis.isVisible():
            cache_static(axis)
