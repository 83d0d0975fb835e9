"""The model's view of a study: 16 canonical channels at 128 Hz, in canonical units."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from engine.channels.canonical import CANONICAL_CHANNELS, MODEL_SFREQ_HZ, N_CANONICAL
from engine.channels.mapping import ChannelMap
from engine.channels.resample import resample
from engine.channels.snore import snore_loudness

if TYPE_CHECKING:
    from engine.io import Study

PAD_S = 4.0  # read this much either side so resampling filters have no edge effects
CHUNK_S = 1800.0  # long windows go half an hour at a time: every signal of a chunk comes
# from the same cached blocks, so a whole night is one pass over the file


def to_model_rate(x: np.ndarray, sfreq_hz: float, canonical: int) -> np.ndarray:
    """One canonical channel (canonical units, native rate) as the model reads it, at
    128 Hz: the waveform resampled, or for SNORE its loudness (engine.channels.snore)."""
    if CANONICAL_CHANNELS[canonical].model_view == "loudness":
        x = snore_loudness(x, sfreq_hz)
    return resample(x, sfreq_hz, MODEL_SFREQ_HZ)


def load_model_input(study, chmap: ChannelMap, start_s: float = 0.0,
                     stop_s: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Return ``x`` float32 [16, T] at 128 Hz (canonical units; NaN outside the recording
    and for missing channels; SNORE as loudness, see ``to_model_rate``) and ``present``
    bool [16].

    Read window by window (e.g. an hour at a time) to keep memory flat on long nights.
    """
    stop_s = study.duration_s if stop_s is None else stop_s
    n_out = int(round((stop_s - start_s) * MODEL_SFREQ_HZ))
    if stop_s - start_s > CHUNK_S * 1.5:
        x = np.full((N_CANONICAL, n_out), np.nan, np.float32)
        present = np.zeros(N_CANONICAL, bool)
        t = start_s
        while t < stop_s:
            t1 = min(stop_s, t + CHUNK_S)
            xc, pc = load_model_input(study, chmap, t, t1)
            k = int(round((t - start_s) * MODEL_SFREQ_HZ))
            x[:, k:k + xc.shape[1]] = xc[:, : n_out - k]
            present |= pc
            t = t1
        return x, present
    x = np.full((N_CANONICAL, n_out), np.nan, np.float32)
    present = np.zeros(N_CANONICAL, bool)
    for c, src in enumerate(chmap.sources):
        if not src.present:
            continue
        try:
            i_plus = study.signal_index(src.plus)
            i_minus = study.signal_index(src.minus) if src.minus else None
        except KeyError:
            continue  # the profile names a signal this study lacks
        sf = study.signals[i_plus].sfreq_hz
        pad = PAD_S if start_s - PAD_S >= 0 else start_s
        raw = study.read(i_plus, start_s - pad, stop_s + PAD_S)
        if i_minus is not None:
            raw = raw - study.read(i_minus, start_s - pad, stop_s + PAD_S)
        y = to_model_rate(raw * src.scale, sf, c)
        k0 = int(round(pad * MODEL_SFREQ_HZ))
        seg = y[k0:k0 + n_out]
        x[c, :len(seg)] = seg
        present[c] = True
    return x, present


def load_study_input(path) -> tuple[np.ndarray, np.ndarray, tuple[str, ...], Study]:
    """Open ``path`` and read the whole night as the model sees it: (x [16, T] float32
    physical at 128 Hz, present [16] bool, channel names (empty: canonical order), study).
    The caller closes the study."""
    from engine.channels.mapping import map_study
    from engine.io import open_study

    study = open_study(str(path))
    chmap = map_study(study)
    x, present = load_model_input(study, chmap)
    return np.asarray(x, np.float32), np.asarray(present, bool), (), study
