"""EEG arousals by the AASM rule: an abrupt shift of EEG frequency (alpha, theta and/or
> 16 Hz, not spindles) lasting >= 3 s after >= 10 s of stable sleep; in REM only with a
concurrent increase of the chin EMG lasting >= 1 s.

The shift is measured as the *share* of the fast bands (alpha 8-11 Hz and beta 16-30 Hz;
the 11-16 Hz spindle band is left out) in the 0.5-30 Hz power, in 1-s windows every 0.5 s,
against its median over the 10 s before: a frequency shift, not a louder EEG (slow waves
fading while alpha appears count; a movement that raises every band does not). A
candidate is a run where that share is >= 2x the prior 10 s, lasting >= 3 s, whose prior
10 s lie in sleep epochs with no candidate.
In REM the chin EMG (RMS above 10 Hz) must be >= 2x its prior 10 s for >= 1 s inside
the arousal. Needs stages: the scorer's where scored, else the suggested ones.
"""

from __future__ import annotations

import numpy as np

from engine.events.flow import runs
from engine.events.zero_phase import sosfiltfilt_lean
from engine.scoring.labels import Stage

__all__ = ["detect_arousals", "FAST_RATIO", "MIN_AROUSAL_S", "STABLE_SLEEP_S"]

STEP_S = 0.5
FAST_RATIO = 2.0
EMG_RATIO = 2.0
MIN_AROUSAL_S = 3.0
STABLE_SLEEP_S = 10.0
SLEEP = (Stage.N1, Stage.N2, Stage.N3, Stage.R)


_FRAMES_PER_SLICE = 1 << 13  # STFT frames per slice of the night (a multiple of any SIMD width)


def _band_powers(x: np.ndarray, fs: float, band_sets: list[list[tuple[float, float]]]) -> list[np.ndarray]:
    """Power in each set of bands, per 1-s window every STEP_S, from one STFT (issue 16:
    taken a slice of windows at a time, NaN as 0 per slice, so neither a whole-night copy
    nor the night's spectrogram is ever held; each window's numbers are the same)."""
    from scipy import signal as sps  # lazy: keeps scipy off the start-up path
    nper = max(8, int(round(fs)))
    hop = max(1, int(round(STEP_S * fs)))
    n_frames = (x.size - nper) // hop + 1 if x.size >= nper else 0
    parts: list[list[np.ndarray]] = [[] for _ in band_sets]
    for f0 in range(0, n_frames, _FRAMES_PER_SLICE):
        f1 = min(n_frames, f0 + _FRAMES_PER_SLICE)
        seg = np.nan_to_num(x[f0 * hop: (f1 - 1) * hop + nper])
        f, _t, z = sps.stft(seg, fs=fs, nperseg=nper, noverlap=nper - hop, boundary=None, padded=False,
                            detrend="constant")
        sels = []
        for bands in band_sets:
            sel = np.zeros(f.size, bool)
            for lo, hi in bands:
                sel |= (f >= lo) & (f < min(hi, fs / 2 - 0.5))
            sels.append(sel)
        p = np.abs(z) ** 2
        for out, sel in zip(parts, sels):
            out.append(p[sel].sum(0) if sel.any() else np.zeros(p.shape[1]))
    return [np.concatenate(o) if o else np.zeros(0) for o in parts]


def _emg_log_rms(emg: np.ndarray, emg_fs: float, hop: int) -> np.ndarray:
    """log10 RMS of the chin EMG above 10 Hz in windows of ``hop`` samples (issue 16: the
    zero-phase high-pass holds one float64 copy of the night, the squares a slice at a
    time)."""
    from scipy import signal as sps  # lazy: keeps scipy off the start-up path
    sos = sps.butter(4, 10.0, btype="highpass", fs=emg_fs, output="sos")
    e = sosfiltfilt_lean(sos, emg, np.nan_to_num)
    m = e[: (e.size // hop) * hop].reshape(-1, hop)
    rows = 1 << 14
    ms = np.concatenate([(m[a: a + rows] ** 2).mean(1) for a in range(0, m.shape[0], rows)]) if m.size else \
        np.zeros(0)
    return np.log10(np.sqrt(ms) + 1e-12)


def _prior_median(v: np.ndarray, n_prior: int) -> np.ndarray:
    out = np.full(v.size, np.nan)
    if v.size <= n_prior:
        return out
    w = np.lib.stride_tricks.sliding_window_view(v, n_prior)  # w[i] = v[i : i + n]
    out[n_prior:] = np.median(w[:-1], axis=1)
    return out


def detect_arousals(eeg: np.ndarray, eeg_fs: float, stages: np.ndarray, epoch_s: float = 30.0, *,
                    emg: np.ndarray | None = None, emg_fs: float | None = None,
                    eeg_offset_s: float = 0.0) -> list[tuple[float, float, dict]]:
    """``[(onset_s, duration_s, attrs)]`` of EEG arousals (see module doc)."""
    from scipy.ndimage import uniform_filter1d  # lazy: keeps scipy off the start-up path
    st = np.asarray(stages, int)
    if eeg.size < eeg_fs * 30 or eeg_fs < 40:
        return []
    fast, total = _band_powers(eeg, eeg_fs, [[(8.0, 11.0), (16.0, 30.0)], [(0.5, 30.0)]])
    fast = uniform_filter1d(np.log10((fast + 1e-12) / (total + 1e-12)), size=2, mode="nearest")  # 1 s
    n_prior = int(STABLE_SLEEP_S / STEP_S)
    rel = fast - _prior_median(fast, n_prior)
    t = eeg_offset_s + np.arange(fast.size) * STEP_S + 0.5  # window centres
    ep = np.clip(np.floor(t / epoch_s).astype(int), 0, max(0, st.size - 1))
    stage_t = st[ep] if st.size else np.full(t.size, -1)
    asleep = np.isin(stage_t, [int(s) for s in SLEEP])
    cand = np.nan_to_num(rel, nan=-np.inf) >= np.log10(FAST_RATIO)
    emg_rel = None
    if emg is not None and emg_fs and emg_fs >= 25:
        rms = _emg_log_rms(emg, emg_fs, int(round(STEP_S * emg_fs)))
        rms = np.resize(rms, fast.size) if rms.size >= fast.size else np.pad(rms, (0, fast.size - rms.size),
                                                                             constant_values=np.nan)
        emg_rel = rms - _prior_median(rms, n_prior)
    out = []
    a_idx, b_idx = runs(cand)
    last_end = -np.inf
    for a, b in zip(a_idx, b_idx):
        # windows are 1 s long every 0.5 s: a shift of L s lights up L + 0.5 s of them
        dur = float((b - a) * STEP_S - (1.0 - STEP_S))
        if dur < MIN_AROUSAL_S:
            continue
        pa = a - n_prior
        if pa < 0 or not asleep[pa:a].all() or not asleep[a]:
            continue
        if t[a] - last_end < STABLE_SLEEP_S:
            continue
        attrs = {"eeg_fast_share_x": round(float(10 ** np.nanmax(rel[a:b])), 2), "duration_s": round(dur, 1),
                 "stage": Stage(int(stage_t[a])).short}
        if stage_t[a] == Stage.R:
            if emg_rel is None:
                continue
            emg_up = np.nan_to_num(emg_rel[a:b], nan=-np.inf) >= np.log10(EMG_RATIO)
            ea, eb = runs(emg_up)
            if not len(ea) or ((eb - ea).max() * STEP_S) < 1.0:
                continue
            attrs["chin_emg_x"] = round(float(10 ** np.nanmax(emg_rel[a:b])), 2)
        onset = float(t[a])
        out.append((onset, float(dur), attrs))
        last_end = onset + dur
    return out
