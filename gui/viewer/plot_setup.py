"""Common set-up of the app's plots: no pyqtgraph buttons or context menu, no mouse
pan/zoom, no auto-range (the app sets every view range itself)."""

from __future__ import annotations


def make_static(plot_item, hide_left: bool = True):
    """Configure a PlotItem; returns its ViewBox."""
    if hide_left:
        plot_item.hideAxis("left")
    plot_item.hideButtons()
    plot_item.setMenuEnabled(False)
    vb = plot_item.getViewBox()
    vb.setMouseEnabled(False, False)
    vb.disableAutoRange()
    return vb
