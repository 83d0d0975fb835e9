"""Hypnodensity strip: per epoch the model's stage probabilities stacked as colour
(W, N1, N2, N3, R from top), outlier epochs marked in red above it."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

from engine.api import Stage
from gui.scoring.hypnogram import STAGE_COLOURS
from gui.viewer.plot_setup import GestureViewBox, make_static
from gui.viewer.render_cache import cache_static

ROWS = 40  # vertical resolution of the strip
_COLOURS = np.array([STAGE_COLOURS[s] for s in (Stage.W, Stage.N1, Stage.N2, Stage.N3, Stage.R)],
                    np.uint8)


def density_image(proba: np.ndarray) -> np.ndarray:
    """[n_epochs, ROWS, 3] uint8: each column split in proportion to the probabilities;
    epochs without a suggestion are white."""
    n = len(proba)
    img = np.full((n, ROWS, 3), 255, np.uint8)
    ok = np.isfinite(proba).all(axis=1)
    if not ok.any():
        return img
    cum = np.cumsum(np.nan_to_num(proba), axis=1)  # [n, 5]
    levels = (np.arange(ROWS) + 0.5) / ROWS  # from the top: W first
    cls = (levels[None, :, None] > cum[:, None, :]).sum(axis=2)  # [n, ROWS]
    cls = np.clip(cls, 0, 4)
    img[ok] = _COLOURS[cls[ok]]
    return img[:, ::-1]  # image y grows upward: put W at the top


class HypnodensityStrip(pg.PlotWidget):
    def __init__(self, parent=None):
        super().__init__(parent, background="w", viewBox=GestureViewBox(enableMenu=False))
        self.setFixedHeight(48)
        pi = self.getPlotItem()
        pi.hideAxis("bottom")
        left = pi.getAxis("left")
        left.setTicks([[(0.5, "P")]])
        left.setWidth(34)
        self.vb = make_static(pi, hide_left=False)
        self.image = pg.ImageItem(axisOrder="col-major")
        self.outliers = pg.BarGraphItem(x0=[], width=[], y0=[], height=[], brush=(220, 0, 0), pen=None)
        pi.addItem(self.image)
        pi.addItem(self.outliers)
        cache_static(self.image, self.outliers)  # redrawn only when the suggestions change
        self.epoch_s = 30.0
        self.proba = np.zeros((0, 5), np.float32)

    def set_duration(self, duration_s: float) -> None:
        self.vb.setRange(xRange=(0, max(duration_s, 1.0)), yRange=(0, 1.15), padding=0.0)

    def set_proba(self, proba: np.ndarray) -> None:
        self.proba = np.asarray(proba, np.float32)
        n = len(self.proba)
        if n == 0:
            self.image.clear()
            return
        self.image.setImage(density_image(self.proba), levels=(0, 255), autoLevels=False)
        self.image.setRect(0, 0, n * self.epoch_s, 1.0)

    def set_outliers(self, epochs: np.ndarray) -> None:
        e = np.asarray(epochs, float)
        self.outliers.setOpts(x0=e * self.epoch_s, width=np.full(len(e), self.epoch_s),
                              y0=np.full(len(e), 1.03), height=np.full(len(e), 0.1),
                              brush=(220, 0, 0), pen=None)
