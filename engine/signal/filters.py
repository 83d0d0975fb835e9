"""Display filters: per channel kind defaults a scorer expects, zero-phase Butterworth."""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace

import numpy as np


@dataclass(frozen=True)
class DisplayFilter:
    highpass_hz: float | None = None
    lowpass_hz: float | None = None
    notch_hz: float | None = None  # 50 or 60; None = off
    enabled: bool = True

    def label(self) -> str:
        if not self.enabled or (self.highpass_hz is None and self.lowpass_hz is None and
                                self.notch_hz is None):
            return "no filter"
        parts = []
        if self.highpass_hz and self.lowpass_hz:
            parts.append(f"{self.highpass_hz:g}–{self.lowpass_hz:g} Hz")
        elif self.highpass_hz:
            parts.append(f"HP {self.highpass_hz:g} Hz")
        elif self.lowpass_hz:
            parts.append(f"LP {self.lowpass_hz:g} Hz")
        if self.notch_hz:
            parts.append(f"notch {self.notch_hz:g}")
        return ", ".join(parts)

    def pad_s(self) -> float:
        """Extra signal to read either side so the filter settles outside the page."""
        if not self.enabled:
            return 0.0
        lo = self.highpass_hz or self.lowpass_hz or self.notch_hz
        if lo is None:
            return 0.0
        return float(min(10.0, max(1.0, 3.0 / lo)))

    def with_notch(self, notch_hz: float | None) -> DisplayFilter:
        return replace(self, notch_hz=notch_hz)

    def for_rate(self, sfreq_hz: float) -> DisplayFilter:
        """This filter without the parts a signal sampled at ``sfreq_hz`` cannot carry
        (a corner at or above 0.9 × Nyquist, a notch above 0.95 × Nyquist), so its label says
        what is really applied: a 1-Hz channel keeps no 5-Hz low-pass, and stays visible."""
        if not self.enabled or not sfreq_hz or sfreq_hz <= 0:
            return self
        nyq = sfreq_hz / 2.0
        hp = self.highpass_hz if self.highpass_hz and self.highpass_hz < nyq * 0.9 else None
        lp = self.lowpass_hz if self.lowpass_hz and self.lowpass_hz < nyq * 0.9 else None
        notch = self.notch_hz if self.notch_hz and self.notch_hz < nyq * 0.95 else None
        if hp is None and lp is None and notch is None:
            return NO_FILTER
        return replace(self, highpass_hz=hp, lowpass_hz=lp, notch_hz=notch)


NO_FILTER = DisplayFilter(enabled=False)

# AASM-style display defaults per channel kind (engine.channels.types.KINDS)
DEFAULT_FILTERS: dict[str, DisplayFilter] = {
    "eeg": DisplayFilter(0.3, 35.0),
    "eog": DisplayFilter(0.3, 35.0),
    "emg": DisplayFilter(10.0, 100.0),
    "leg": DisplayFilter(10.0, 100.0),
    "ecg": DisplayFilter(0.3, 70.0),
    "resp": DisplayFilter(None, 5.0),
    "flow": DisplayFilter(None, 5.0),
    "cpap": NO_FILTER,
    "snore": DisplayFilter(10.0, 100.0),
    "spo2": NO_FILTER,
    "pulse": NO_FILTER,
    "position": NO_FILTER,
    "capno": NO_FILTER,
    "other": NO_FILTER,
    "event": NO_FILTER,
}

# menu choices per kind (the default first)
FILTER_CHOICES: dict[str, tuple[DisplayFilter, ...]] = {
    "eeg": (DisplayFilter(0.3, 35.0), DisplayFilter(0.5, 30.0), DisplayFilter(0.3, 70.0),
            DisplayFilter(1.0, 15.0), NO_FILTER),
    "eog": (DisplayFilter(0.3, 35.0), DisplayFilter(0.1, 15.0), NO_FILTER),
    "emg": (DisplayFilter(10.0, 100.0), DisplayFilter(10.0, None), NO_FILTER),
    "ecg": (DisplayFilter(0.3, 70.0), NO_FILTER),
    "resp": (DisplayFilter(None, 5.0), DisplayFilter(0.1, 15.0), NO_FILTER),
    "flow": (DisplayFilter(None, 5.0), DisplayFilter(0.1, 15.0), NO_FILTER),
    "snore": (DisplayFilter(10.0, 100.0), NO_FILTER),
    "spo2": (NO_FILTER,),
    "capno": (NO_FILTER, DisplayFilter(None, 2.0)),
    "other": (NO_FILTER, DisplayFilter(0.3, 35.0)),
    "leg": (DisplayFilter(10.0, 100.0), DisplayFilter(10.0, None), NO_FILTER),
    "cpap": (NO_FILTER, DisplayFilter(None, 5.0)),
    "pulse": (NO_FILTER,),
    "position": (NO_FILTER,),
    "event": (NO_FILTER,),
}


def default_filter(kind: str, sfreq_hz: float, detail: str = "") -> DisplayFilter:
    """The display filter a channel of ``kind`` opens with, limited to what its rate
    carries. An envelope or loudness channel (already rectified and smoothed by the
    recorder) is drawn as recorded."""
    if detail in ("envelope", "loudness"):
        return NO_FILTER
    return DEFAULT_FILTERS.get(kind, NO_FILTER).for_rate(sfreq_hz)


@functools.lru_cache(maxsize=256)
def _design(f: DisplayFilter, sfreq_hz: float) -> np.ndarray | None:
    from scipy.signal import butter, iirnotch, tf2sos  # lazy: keeps scipy off the start-up path
    nyq = sfreq_hz / 2.0
    sections = []
    hp = f.highpass_hz if f.highpass_hz and f.highpass_hz < nyq * 0.9 else None
    lp = f.lowpass_hz if f.lowpass_hz and f.lowpass_hz < nyq * 0.9 else None
    if hp and lp:
        sections.append(butter(2, [hp, lp], btype="bandpass", fs=sfreq_hz, output="sos"))
    elif hp:
        sections.append(butter(2, hp, btype="highpass", fs=sfreq_hz, output="sos"))
    elif lp:
        sections.append(butter(2, lp, btype="lowpass", fs=sfreq_hz, output="sos"))
    if f.notch_hz and f.notch_hz < nyq * 0.95:
        b, a = iirnotch(f.notch_hz, 30.0, fs=sfreq_hz)
        sections.append(tf2sos(b, a))
    if not sections:
        return None
    return np.vstack(sections)


def apply_filter(x: np.ndarray, sfreq_hz: float, f: DisplayFilter) -> np.ndarray:
    """Zero-phase filtered copy of ``x`` (float32), 1-D or 2-D [n_signals, n_times]
    (one call filters every row: a page of 16 channels is one scipy call, not 16).
    NaN gaps pass through as NaN."""
    from scipy.signal import sosfiltfilt  # lazy: keeps scipy off the start-up path
    if not f.enabled or x.shape[-1] < 16:
        return x
    sos = _design(f, float(sfreq_hz))
    if sos is None:
        return x
    nan = np.isnan(x)
    has_nan = bool(nan.any())
    if has_nan:
        if nan.all():
            return x
        with np.errstate(all="ignore"):
            fill = np.nanmean(x, axis=-1, keepdims=True)
        x = np.where(nan, np.nan_to_num(fill), x)
    padlen = min(x.shape[-1] - 1, 3 * (2 * len(sos) + 1))
    y = sosfiltfilt(sos, x.astype(np.float64), axis=-1, padlen=padlen).astype(np.float32)
    if has_nan:
        y[nan] = np.nan
    return y
