"""Vectorised building blocks: FFT-shaped noise, 1/f noise, epoch-gain envelopes,
linear up-sampling and sparse event trains. All outputs are float32."""

from __future__ import annotations

import numpy as np
import scipy.fft as sfft
from scipy.signal import lfilter

# Paul Kellet's economy 1/f ("pink") filter: within 0.05 dB of 1/f over ~3 decades
_PINK_B = np.array([0.049922035, -0.095993537, 0.050612699, -0.004408786])
_PINK_A = np.array([1.0, -2.494956002, 2.017265875, -0.522189400])


def band_noise(
    rng: np.random.Generator, n: int, sfreq_hz: float, lo_hz: float, hi_hz: float,
    tilt: float = 0.0, edge_hz: float | None = None,
) -> np.ndarray:
    """Gaussian noise of unit RMS whose spectrum is flat (times f**-tilt) between lo_hz and
    hi_hz with raised-cosine edges ``edge_hz`` wide; made by shaping white noise in the
    frequency domain (one FFT pair over the whole length)."""
    n_fft = sfft.next_fast_len(n, real=True)
    spec = sfft.rfft(rng.standard_normal(n_fft).astype(np.float32))
    f = np.fft.rfftfreq(n_fft, 1.0 / sfreq_hz).astype(np.float32)
    edge = edge_hz if edge_hz is not None else max(0.2 * (hi_hz - lo_hz), 0.05)
    m = np.clip((f - (lo_hz - edge / 2)) / edge, 0, 1) * np.clip(((hi_hz + edge / 2) - f) / edge, 0, 1)
    m = np.sin(0.5 * np.pi * m) ** 2
    if tilt:
        m = m * np.maximum(f, lo_hz * 0.5 + 1e-3) ** (-tilt)
    m = m.astype(np.float32)
    power = float(np.sum(m.astype(np.float64) ** 2))
    spec *= m
    x = sfft.irfft(spec, n_fft)[:n]
    return (x * np.sqrt(n_fft / (2.0 * max(power, 1e-12)))).astype(np.float32)


def narrow_noise(rng, n, sfreq_hz, f0_hz, bw_hz) -> np.ndarray:
    """Unit-RMS noise with a Gaussian spectral peak at f0_hz (an oscillation whose
    amplitude and phase wander, like a real rhythm)."""
    n_fft = sfft.next_fast_len(n, real=True)
    spec = sfft.rfft(rng.standard_normal(n_fft).astype(np.float32))
    f = np.fft.rfftfreq(n_fft, 1.0 / sfreq_hz)
    m = np.exp(-0.5 * ((f - f0_hz) / (bw_hz / 2.355)) ** 2).astype(np.float32)
    spec *= m
    x = sfft.irfft(spec, n_fft)[:n]
    power = float(np.sum(m.astype(np.float64) ** 2))
    return (x * np.sqrt(n_fft / (2.0 * max(power, 1e-12)))).astype(np.float32)


def pink_noise(rng: np.random.Generator, n: int) -> np.ndarray:
    """Approximately unit-RMS 1/f noise (IIR-filtered white noise, no FFT)."""
    w = rng.standard_normal(n + 2000)
    x = lfilter(_PINK_B, _PINK_A, w)[2000:]
    return (x / 0.086).astype(np.float32)


def upsample(x: np.ndarray, factor: int) -> np.ndarray:
    """Linear interpolation by an integer factor; output has len(x) * factor samples."""
    if factor == 1:
        return np.asarray(x, dtype=np.float32)
    x = np.asarray(x, dtype=np.float32)
    d = np.empty_like(x)
    np.subtract(x[1:], x[:-1], out=d[:-1])
    d[-1] = 0.0
    out = np.empty((x.size, factor), dtype=np.float32)
    np.multiply(d[:, None], np.arange(factor, dtype=np.float32)[None, :] / factor, out=out)
    out += x[:, None]
    return out.reshape(-1)


def smooth(x: np.ndarray, width: int) -> np.ndarray:
    """Moving average of odd width with edge padding (same length)."""
    if width <= 1:
        return x
    k = np.ones(width, dtype=np.float64) / width
    pad = width // 2
    xp = np.pad(np.asarray(x, dtype=np.float64), (pad, width - 1 - pad), mode="edge")
    return np.convolve(xp, k, mode="valid").astype(np.float32)


ENV_SFREQ_HZ = 4.0  # rate of the envelope grid (4 values a second)


def epoch_envelope(gain_per_epoch: np.ndarray, epoch_s: float = 30.0, ramp_s: float = 2.0) -> np.ndarray:
    """Per-epoch gains -> a 4-Hz envelope with ``ramp_s`` smooth transitions."""
    per = int(round(epoch_s * ENV_SFREQ_HZ))
    env = np.repeat(np.asarray(gain_per_epoch, dtype=np.float32), per)
    return smooth(env, int(ramp_s * ENV_SFREQ_HZ) | 1)


def to_rate(env4: np.ndarray, sfreq_hz: float) -> np.ndarray:
    """A 4-Hz envelope at another (integer multiple) rate."""
    return upsample(env4, int(round(sfreq_hz / ENV_SFREQ_HZ)))


def add_windows(env4: np.ndarray, windows, value: float, mode: str = "max", ramp_s: float = 0.5) -> None:
    """Set a 4-Hz envelope inside (onset_s, duration_s) windows, in place.
    mode 'max' raises to at least value, 'mul' multiplies, 'set' replaces."""
    n = len(env4)
    for onset_s, dur_s in windows:
        a = max(int(onset_s * ENV_SFREQ_HZ), 0)
        b = min(int(np.ceil((onset_s + dur_s) * ENV_SFREQ_HZ)), n)
        if b <= a:
            continue
        seg = env4[a:b]
        if mode == "max":
            np.maximum(seg, value, out=seg)
        elif mode == "mul":
            seg *= value
        else:
            seg[:] = value


def event_times(rng, stages: np.ndarray, rate_per_epoch: np.ndarray, epoch_s: float = 30.0) -> np.ndarray:
    """Poisson event times (s): in each epoch ``rate_per_epoch[stage]`` events on average,
    uniformly placed; sorted."""
    return poisson_times(rng, np.asarray(rate_per_epoch, dtype=np.float64)[stages], epoch_s)


def poisson_times(rng, lam_per_epoch: np.ndarray, epoch_s: float = 30.0) -> np.ndarray:
    """Poisson event times (s) with ``lam_per_epoch[i]`` events expected in epoch i."""
    counts = rng.poisson(np.asarray(lam_per_epoch, dtype=np.float64))
    starts = np.repeat(np.arange(len(counts)) * epoch_s, counts)
    return np.sort(starts + rng.uniform(0, epoch_s, size=starts.size))


def stamp(out: np.ndarray, sfreq_hz: float, times_s, waveforms) -> None:
    """Add waveform i at time times_s[i] (its first sample) into ``out``, in place."""
    n = len(out)
    for t, w in zip(times_s, waveforms, strict=False):
        a = int(round(t * sfreq_hz))
        if a >= n or a + len(w) <= 0:
            continue
        lo = max(0, -a)
        hi = min(len(w), n - a)
        out[a + lo : a + hi] += w[lo:hi]
