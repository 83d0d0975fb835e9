"""Layers that rarely change, drawn once into a pixmap and blitted on every repaint.

A page flip moves only the window marker on the overview, hypnogram and hypnodensity
strips, but Qt repaints every item under the marker's old and new rectangle: a
whole-night ``BarGraphItem`` (one block per epoch) replays its whole picture each time
(~4 ms a strip on a 10-h night). With ``DeviceCoordinateCache`` Qt keeps the item's
rendering and repaints it only when its data or the view's scale change.
"""

from __future__ import annotations

from PySide6.QtWidgets import QGraphicsItem


def cache_static(*items) -> None:
    """Cache each item's rendering in device coordinates (redrawn only when it changes)."""
    for it in items:
        it.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
