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


# --- design: second-order sections, numpy only ---------------------------------------
# The display path must not import scipy: ``import scipy.signal`` costs ~1.4 s of CPU,
# which the first page of a study would wait for. Each band edge is a 2nd-order
# Butterworth section (bilinear transform, pre-warped at the corner); a band-pass is a
# high-pass then a low-pass, as PSG viewers build it; the notch is the classic 2nd-order
# notch with a -3 dB width of f0 / Q.
Biquad = tuple[tuple[float, float, float], tuple[float, float, float]]  # (b0, b1, b2), (1, a1, a2)
NOTCH_Q = 30.0
SQRT2 = float(np.sqrt(2.0))


def butterworth2(corner_hz: float, sfreq_hz: float, kind: str) -> Biquad:
    """One 2nd-order Butterworth low- or high-pass section (kind "low" / "high")."""
    k = float(np.tan(np.pi * corner_hz / sfreq_hz))
    norm = 1.0 / (1.0 + SQRT2 * k + k * k)
    a = (1.0, 2.0 * (k * k - 1.0) * norm, (1.0 - SQRT2 * k + k * k) * norm)
    if kind == "low":
        b = (k * k * norm, 2.0 * k * k * norm, k * k * norm)
    elif kind == "high":
        b = (norm, -2.0 * norm, norm)
    else:
        raise ValueError(f"unknown section kind {kind!r}")
    return b, a


def notch2(f0_hz: float, sfreq_hz: float, q: float = NOTCH_Q) -> Biquad:
    """A 2nd-order notch at ``f0_hz`` whose -3 dB width is ``f0_hz / q``."""
    w0 = 2.0 * np.pi * f0_hz / sfreq_hz
    beta = float(np.tan(w0 / q / 2.0))
    g = 1.0 / (1.0 + beta)
    c = float(np.cos(w0))
    return (g, -2.0 * g * c, g), (1.0, -2.0 * g * c, 2.0 * g - 1.0)


@functools.lru_cache(maxsize=256)
def _design(f: DisplayFilter, sfreq_hz: float) -> tuple[Biquad, ...]:
    nyq = sfreq_hz / 2.0
    sections = []
    hp = f.highpass_hz if f.highpass_hz and f.highpass_hz < nyq * 0.9 else None
    lp = f.lowpass_hz if f.lowpass_hz and f.lowpass_hz < nyq * 0.9 else None
    if hp:
        sections.append(butterworth2(hp, sfreq_hz, "high"))
    if lp:
        sections.append(butterworth2(lp, sfreq_hz, "low"))
    if f.notch_hz and f.notch_hz < nyq * 0.95:
        sections.append(notch2(f.notch_hz, sfreq_hz))
    return tuple(sections)


@functools.lru_cache(maxsize=256)
def _settle_samples(sections: tuple[Biquad, ...]) -> int:
    """Samples for the slowest pole's response to fall to 1e-6."""
    r = max(float(np.abs(np.roots(a)).max()) for _, a in sections)
    if r <= 0.0:
        return 1
    if r >= 1.0:
        raise ValueError("unstable display filter")
    return int(np.ceil(np.log(1e-6) / np.log(r)))


@functools.lru_cache(maxsize=64)
def _power_response(sections: tuple[Biquad, ...], n_fft: int) -> np.ndarray:
    """|H|² on an ``n_fft``-point rfft grid: the response of filtering forward, then
    backward (zero phase)."""
    z1 = np.exp(-2j * np.pi * np.arange(n_fft // 2 + 1) / n_fft)  # z^-1
    h = np.ones(len(z1), complex)
    for b, a in sections:
        h *= (b[0] + b[1] * z1 + b[2] * z1 * z1) / (a[0] + a[1] * z1 + a[2] * z1 * z1)
    return np.abs(h) ** 2


def _fft_size(n: int) -> int:
    """The smallest 2^i·3^j ≥ n (fast for numpy's FFT)."""
    best = 1 << max(0, (n - 1).bit_length())
    p3 = 1
    while p3 < best:
        p2 = p3
        while p2 < n:
            p2 *= 2
        best = min(best, p2)
        p3 *= 3
    return best


def apply_filter(x: np.ndarray, sfreq_hz: float, f: DisplayFilter) -> np.ndarray:
    """Zero-phase filtered copy of ``x`` (float32), 1-D or 2-D [n_signals, n_times]
    (one call filters every row: a page of 16 channels is one FFT, not 16).

    Forward-backward filtering done in the frequency domain (numpy only): each row is
    extended at both ends by its odd reflection (as filtfilt pads) long enough for the
    filter to settle, its end-to-end line is taken out (so the FFT's wrap-around has no
    step), the rest is multiplied by |H|², and the line comes back with the gain at 0 Hz.
    NaN gaps pass through as NaN."""
    if not f.enabled or x.shape[-1] < 16:
        return x
    sections = _design(f, float(sfreq_hz))
    if not sections:
        return x
    nan = np.isnan(x)
    has_nan = bool(nan.any())
    if has_nan:
        if nan.all():
            return x
        with np.errstate(all="ignore"):
            fill = np.nanmean(x, axis=-1, keepdims=True)
        x = np.where(nan, np.nan_to_num(fill), x)
    n = x.shape[-1]
    pad = min(n - 1, max(3 * (2 * len(sections) + 1), _settle_samples(sections)))
    x64 = np.asarray(x, np.float64)
    ext = np.concatenate([x64[..., pad:0:-1], x64, x64[..., -2:-pad - 2:-1]], axis=-1)
    ext[..., :pad] *= -1.0  # odd reflection about each end: 2·x[0] − x[k], 2·x[-1] − x[-k]
    ext[..., :pad] += 2.0 * x64[..., :1]
    ext[..., pad + n:] *= -1.0
    ext[..., pad + n:] += 2.0 * x64[..., -1:]
    m = ext.shape[-1]
    start, slope = ext[..., :1].copy(), (ext[..., -1:] - ext[..., :1]) / (m - 1)
    line = start + slope * np.arange(m)
    ext -= line
    n_fft = _fft_size(m)
    gain = _power_response(sections, n_fft)
    spec = np.fft.rfft(ext, n_fft, axis=-1)
    spec *= gain
    y = np.fft.irfft(spec, n_fft, axis=-1)[..., pad:pad + n]
    y += gain[0] * line[..., pad:pad + n]
    y = y.astype(np.float32)
    if has_nan:
        y[nan] = np.nan
    return y
