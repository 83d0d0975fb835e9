"""Snore loudness: what the model reads from a snore channel.

A snore sensor (microphone or piezo) records a buzz of 30-250 Hz and more. Its waveform
carries no information a scorer uses, and its phase cannot be predicted from anything
else in the study, so a model fed the waveform can only learn its loudness anyway, and
a reconstruction of it could never beat "silence". What scorers read is the loudness:
when the child snores, how loud, in which breaths. So the model's SNORE channel is the
RMS of the signal above ``HIGHPASS_HZ`` over ``WINDOW_S``, in the signal's own unit.

This also makes recorders comparable: a 500-Hz microphone and a 200-Hz piezo give the
same kind of curve, where resampling the raw waveforms to 128 Hz would keep different
parts of the snore spectrum. A channel sampled below ``MIN_SFREQ_HZ`` cannot hold the
buzz, so it is taken to be a loudness (or volume) channel already and passed through.
"""

from __future__ import annotations

import numpy as np

HIGHPASS_HZ = 15.0
WINDOW_S = 0.25
MIN_SFREQ_HZ = 40.0
# the EDF "prefiltering" field of an exported (reconstructed) loudness channel
PREFILTER = f"HP:{HIGHPASS_HZ:g}Hz RMS:{WINDOW_S:g}s"


def snore_loudness(x: np.ndarray, sfreq_hz: float) -> np.ndarray:
    """RMS of ``x`` above 15 Hz in a centred 0.25-s window, at the input rate (float32).
    NaN samples (gaps) stay NaN; a channel slower than 40 Hz is returned unchanged."""
    from scipy.ndimage import uniform_filter1d
    from scipy.signal import butter, sosfiltfilt  # lazy: keeps scipy off the start-up path
    x = np.asarray(x, np.float64)
    if sfreq_hz < MIN_SFREQ_HZ or len(x) == 0:
        return x.astype(np.float32)
    nan = np.isnan(x)
    if nan.any():
        x = np.where(nan, 0.0, x)
    sos = butter(4, HIGHPASS_HZ, "highpass", fs=sfreq_hz, output="sos")
    y = sosfiltfilt(sos, x) if len(x) > 3 * 13 else x - x.mean()
    win = max(1, int(round(WINDOW_S * sfreq_hz)))
    power = uniform_filter1d(y * y, win, mode="nearest")
    out = np.sqrt(np.maximum(power, 0.0))
    out[nan] = np.nan
    return out.astype(np.float32)
