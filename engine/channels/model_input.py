"""The model's view of a study: 16 canonical channels at 128 Hz, in canonical units."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

import numpy as np

from engine.channels.canonical import CANONICAL_CHANNELS, MODEL_SFREQ_HZ, N_CANONICAL
from engine.channels.mapping import ChannelMap
from engine.channels.resample import resample
from engine.channels.snore import snore_loudness
from engine.pause_gate import GATE

if TYPE_CHECKING:
    from engine.io import Study

PAD_S = 4.0  # read this much either side so resampling filters have no edge effects
CHUNK_S = 900.0  # long windows go a quarter of an hour at a time: every signal of a chunk comes
# from the same cached blocks (engine.io.study.DEFAULT_CACHE_MB holds a chunk), so a
# whole night is one pass over the file


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
        GATE.wait_clear()  # in a GUI job: one channel at a time while the scorer acts
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


STATS_POINTS = 200_000  # per channel, as engine.model.preprocess.robust_stats samples a night
F16_SPAN = 60_000.0  # float16 holds |v| < 65504: wider chunks are stored divided down


def load_model_night(study, chmap: ChannelMap, cancel=None):
    """The study as the model's normalised night (``engine.model.preprocess.NightInput``,
    z as float16), read in quarter-hour chunks without a whole-night float32 copy.

    ``prepare_night(*load_model_input(...))`` holds the night twice (x as float32, then z):
    ~440 MB for 10 h of 16 channels. Here one pass stores each chunk as float16 relative
    to its own per-channel median (deviations keep float16's relative precision; a flat
    stretch stays exactly flat) while gathering the same every-n-th samples
    ``robust_stats`` would take; then each chunk is normalised in place. Peak: the
    float16 night plus one chunk. Returns None when ``cancel`` is set."""
    from engine.channels.canonical import EPOCH_SAMPLES
    from engine.model.night_store import night_array
    from engine.model.preprocess import finish_night, normalise_block, robust_stats

    n_out = int(round(study.duration_s * MODEL_SFREQ_HZ))
    n_ep = n_out // EPOCH_SAMPLES
    total = n_ep * EPOCH_SAMPLES
    step = max(1, total // STATS_POINTS)
    # on disk, read back per batch (engine.model.night_store): not the app's own memory
    buf = night_array((N_CANONICAL, total), np.float16)
    present = np.zeros(N_CANONICAL, bool)
    chunks: list[tuple[int, int, np.ndarray, np.ndarray]] = []  # (start, stop, offset, factor)
    samples: list[np.ndarray] = []
    # a chunk of every signal in a cache of this pass's own (let go at the end): the
    # night's blocks do not push the viewer's pages out of the study's shared cache
    private = getattr(study, "private_cache", None)
    per_s = study.block_bytes_per_s() if hasattr(study, "block_bytes_per_s") else 0.0
    scope = private((CHUNK_S + 2 * PAD_S + 120.0) * per_s / 2**20) if private else contextlib.nullcontext()
    with scope:
        t = 0.0
        while t < study.duration_s:
            if cancel is not None and cancel.is_set():
                return None
            t1 = min(study.duration_s, t + CHUNK_S)
            k = int(round(t * MODEL_SFREQ_HZ))
            if k >= total:
                break
            xc, pc = load_model_input(study, chmap, t, t1)
            present |= pc
            m = min(xc.shape[1], total - k)
            xc = xc[:, :m]
            i0 = -(-k // step) * step  # first sampled index at or after k
            samples.append(xc[:, i0 - k::step].copy())
            with np.errstate(all="ignore"):
                ok = np.isfinite(xc).any(axis=1)
                offset = np.zeros(N_CANONICAL, np.float32)
                if ok.any():
                    offset[ok] = np.nanmedian(xc[ok], axis=1)
                span = np.nanmax(np.abs(xc - offset[:, None]), axis=1, initial=0.0, where=np.isfinite(xc))
            factor = np.maximum(1.0, np.nan_to_num(span, nan=0.0) / F16_SPAN).astype(np.float32)
            buf[:, k:k + m] = (xc - offset[:, None]) / factor[:, None]
            chunks.append((k, k + m, offset, factor))
            t = t1
    sub = np.concatenate(samples, axis=1) if samples else np.zeros((N_CANONICAL, 0), np.float32)
    center, scale = robust_stats(sub, present, max_points=max(1, sub.shape[1]))
    ep_sd = np.zeros((n_ep, N_CANONICAL), np.float32)
    for a, b, offset, factor in chunks:
        if cancel is not None and cancel.is_set():
            return None
        x = buf[:, a:b].astype(np.float32) * factor[:, None] + offset[:, None]
        z, sd = normalise_block(x, center, scale, present)
        buf[:, a:b] = z
        ep_sd[a // EPOCH_SAMPLES:b // EPOCH_SAMPLES] = sd
    return finish_night(buf, ep_sd, present, center, scale)
