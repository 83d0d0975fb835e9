"""From a night of physical signals to model input.

Normalisation is **robust, per study, per channel**: z = (x - median) / scale with
scale = max(IQR / 1.349, floor), statistics over the whole night, values clipped to
+-CLIP.  Per study (not per epoch) because amplitude over the night is information the
heads need: an apnea is a drop of the airflow amplitude relative to the rest of the night,
a desaturation a drop of SpO2, N3 a rise of EEG amplitude; per-epoch z-scoring erases all
three.  Robust (median / IQR) so that artefacts and disconnections do not set the scale.
The floor (per channel kind, e.g. 1 % for SpO2) keeps near-constant channels from
blowing up.

A channel is *flat* in an epoch when its raw standard deviation there is below
``FLAT_STD`` of its night scale (a disconnection); flat epochs of a present channel are
hidden from the model like a missing channel, and can be reconstructed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.channels.canonical import CANONICAL_CHANNELS, EPOCH_SAMPLES

CLIP = 20.0
FLAT_STD = 1e-3
# least scale per channel kind, physical units: SpO2 steadily at 97 % must not make a 1 %
# wobble look like 5 standard deviations
SCALE_FLOOR = {"spo2": 1.0, "capno": 1.0}


@dataclass(frozen=True)
class NightInput:
    """A night ready for the model."""

    z: np.ndarray  # [C, n_epochs * 3840] float32, robust z-scored, 0 where missing
    present: np.ndarray  # [C] bool, channel recorded
    flat: np.ndarray  # [n_epochs, C] bool, present but flat in that epoch
    center: np.ndarray  # [C] float32 median (physical units)
    scale: np.ndarray  # [C] float32 robust scale (physical units)

    @property
    def n_epochs(self) -> int:
        return self.z.shape[1] // EPOCH_SAMPLES

    def epoch(self, i: int) -> np.ndarray:  # [C, 3840]
        return self.z[:, i * EPOCH_SAMPLES:(i + 1) * EPOCH_SAMPLES]

    def hidden_channels(self, i: int) -> np.ndarray:  # [C] bool: missing or flat in epoch i
        return ~self.present | self.flat[i]

    def to_physical(self, ch: int, z: np.ndarray) -> np.ndarray:
        return z * self.scale[ch] + self.center[ch]


def robust_stats(x: np.ndarray, present: np.ndarray | None = None, max_points: int = 200_000):
    """Per-channel (median, scale) of x [C, T]; subsampled for speed."""
    n_ch, n_t = x.shape
    step = max(1, n_t // max_points)
    center = np.zeros(n_ch, np.float32)
    scale = np.ones(n_ch, np.float32)
    for c in range(n_ch):
        if present is not None and not present[c]:
            continue
        v = x[c, ::step]
        v = v[np.isfinite(v)]
        if v.size == 0:
            continue
        q25, q50, q75 = np.percentile(v, [25, 50, 75])
        sd = (q75 - q25) / 1.349
        if sd <= 0:
            sd = float(np.std(v))
        floor = max(1e-3 * abs(q50), 1e-6)
        if n_ch == len(CANONICAL_CHANNELS):
            floor = max(floor, SCALE_FLOOR.get(CANONICAL_CHANNELS[c].kind, 0.0))
        center[c] = q50
        scale[c] = max(sd, floor)
    return center, scale


def normalise_block(x: np.ndarray, center: np.ndarray, scale: np.ndarray,
                    present: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Whole epochs of a night, x [C, n * 3840] physical -> (z float32 [C, n * 3840]
    robust z-scored and clipped, 0 for absent channels; its per-epoch std [n, C])."""
    z = (np.asarray(x, np.float32) - center[:, None]) / scale[:, None]
    np.nan_to_num(z, copy=False, nan=0.0, posinf=CLIP, neginf=-CLIP)
    np.clip(z, -CLIP, CLIP, out=z)
    z[~present] = 0.0
    n = z.shape[1] // EPOCH_SAMPLES
    return z, z.reshape(z.shape[0], n, EPOCH_SAMPLES).std(axis=2).T


def finish_night(z: np.ndarray, ep_sd: np.ndarray, present: np.ndarray, center: np.ndarray,
                 scale: np.ndarray) -> NightInput:
    """The NightInput of a normalised night: flat epochs from the per-epoch std [n, C]."""
    present = np.asarray(present, bool).copy()
    n_ep = len(ep_sd)
    flat = (ep_sd < FLAT_STD) & present[None, :]
    # a channel flat all night is as good as missing
    all_flat = flat.all(axis=0) if n_ep else np.zeros_like(present)
    present &= ~all_flat
    flat &= present[None, :]
    z[~present] = 0.0
    return NightInput(z, present, flat, center, scale)


def prepare_night(x: np.ndarray, present: np.ndarray, dtype=np.float32,
                  chunk_epochs: int = 120) -> NightInput:
    """x [C, T] float physical units at 128 Hz, present [C] bool -> NightInput.
    The night is cut to whole 30-s epochs.

    Normalised ``chunk_epochs`` at a time into one preallocated ``z`` of ``dtype``, so the
    only whole-night arrays are ``x`` and ``z`` (no whole-night temporaries: a 10-h
    16-channel night is 295 MB as float32). ``float16`` halves ``z`` and is what training
    stores (engine.training.data); the model reads it back as float32 per batch.
    (engine.channels.model_input.load_model_night reads a study straight into this form
    without a whole-night ``x``.)"""
    x = np.asarray(x, dtype=np.float32)
    present = np.asarray(present, dtype=bool).copy()
    n_ep = x.shape[1] // EPOCH_SAMPLES
    center, scale = robust_stats(x[:, : n_ep * EPOCH_SAMPLES], present)
    z = np.zeros((x.shape[0], n_ep * EPOCH_SAMPLES), dtype)
    ep_sd = np.zeros((n_ep, x.shape[0]), np.float32)
    for e0 in range(0, n_ep, max(1, chunk_epochs)):
        e1 = min(n_ep, e0 + max(1, chunk_epochs))
        a, b = e0 * EPOCH_SAMPLES, e1 * EPOCH_SAMPLES
        z[:, a:b], ep_sd[e0:e1] = normalise_block(x[:, a:b], center, scale, present)
    return finish_night(z, ep_sd, present, center, scale)
