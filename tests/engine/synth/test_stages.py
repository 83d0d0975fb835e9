"""Stage signatures that a wrong EEG/EOG/EMG generator would miss."""

from __future__ import annotations

import numpy as np
from scipy.signal import butter, sosfiltfilt, welch

from engine.channels.canonical import CANONICAL_CHANNELS
from engine.synth import NightParams, generate_night

from .conftest import band_power, epochs_of


def test_all_channels_at_native_rates(stage_night):
    n = stage_night
    assert n.channels == [c.name for c in CANONICAL_CHANNELS]
    for c in CANONICAL_CHANNELS:
        x = n.signals[c.name]
        assert n.sfreq_hz[c.name] == c.native_sfreq_hz
        assert x.dtype == np.float32 and x.size == int(n.duration_s * c.native_sfreq_hz)
        assert np.isfinite(x).all()


def test_delta_power_n3_well_above_wake(stage_night):
    fs = 256.0
    for label in ("EEG F3-M2", "EEG C4-M1"):
        p_n3 = band_power(epochs_of(stage_night, label, "N3"), fs, 0.5, 2.0).mean()
        p_w = band_power(epochs_of(stage_night, label, "W"), fs, 0.5, 2.0).mean()
        p_n2 = band_power(epochs_of(stage_night, label, "N2"), fs, 0.5, 2.0).mean()
        assert p_n3 > 8 * p_w and p_n3 > 3 * p_n2, label
    # slow waves >= 75 uV peak-to-peak, frontal > occipital
    x = epochs_of(stage_night, "EEG F3-M2", "N3")
    sos = butter(2, [0.5, 2.0], "bandpass", fs=fs, output="sos")
    d = sosfiltfilt(sos, x, axis=-1)
    pp = np.percentile(d, 97.5, axis=-1) - np.percentile(d, 2.5, axis=-1)
    assert np.median(pp) > 150
    occ = band_power(epochs_of(stage_night, "EEG O1-M2", "N3"), fs, 0.5, 2.0).mean()
    assert band_power(x, fs, 0.5, 2.0).mean() > 1.5 * occ


def _spindles_per_min(x, fs):
    """A simple sigma detector: 11-16 Hz RMS above 3x the channel's median, 0.5-3 s."""
    sos = butter(4, [11.0, 16.0], "bandpass", fs=fs, output="sos")
    s = sosfiltfilt(sos, x)
    w = int(0.25 * fs)
    rms = np.sqrt(np.convolve(s * s, np.ones(w) / w, mode="same"))
    return rms


def test_sigma_bursts_in_n2_not_in_rem_or_wake(stage_night):
    fs = 256.0
    label = "EEG C3-M2"
    counts = {}
    all_rms = _spindles_per_min(stage_night.signals[label].astype(np.float64), fs)
    thr = 3.0 * np.median(all_rms)
    per = int(30 * fs)
    st = np.array(stage_night.stages)
    for stage in ("N2", "R", "W"):
        n_sp = 0
        for i in np.flatnonzero(st == stage):
            above = all_rms[i * per : (i + 1) * per] > thr
            d = np.diff(np.concatenate([[0], above.astype(int), [0]]))
            lengths = (np.flatnonzero(d == -1) - np.flatnonzero(d == 1)) / fs
            n_sp += int(np.sum((lengths >= 0.4) & (lengths <= 3.0)))
        counts[stage] = n_sp / (np.sum(st == stage) / 2.0)
    assert counts["N2"] >= 2.0, counts
    assert counts["N2"] > 4 * max(counts["R"], counts["W"], 0.1), counts


def test_emg_tone_falls_and_rem_atonia(stage_night):
    rms = {s: np.sqrt((epochs_of(stage_night, "EMG CHIN1-CHIN2", s) ** 2).mean()) for s in ("W", "N2", "N3", "R")}
    assert rms["W"] > rms["N2"] > rms["R"]
    assert rms["R"] < 0.35 * rms["W"]


def test_posterior_rhythm_occipital_in_wake(stage_night):
    fs = 256.0
    a_occ = band_power(epochs_of(stage_night, "EEG O1-M2", "W"), fs, 7, 11).mean()
    a_fr = band_power(epochs_of(stage_night, "EEG F3-M2", "W"), fs, 7, 11).mean()
    a_occ_n2 = band_power(epochs_of(stage_night, "EEG O1-M2", "N2"), fs, 7, 11).mean()
    assert a_occ > 2 * a_fr and a_occ > 3 * a_occ_n2


def _pdr_hz(age, seed):
    hyp = tuple(["W"] * 10)
    n = generate_night(NightParams(hypnogram=hyp, age_years=age, ahi=0, seed=seed, artefacts=False))
    f, p = welch(n.signals["EEG O1-M2"], fs=256.0, nperseg=1024)
    band = (f >= 4) & (f <= 13)
    return f[band][np.argmax(p[band])], n.subject.pdr_hz


def test_posterior_rhythm_frequency_rises_with_age():
    young = [_pdr_hz(1.5, s) for s in (3, 4)]
    old = [_pdr_hz(14.0, s) for s in (3, 4)]
    for measured, drawn in young + old:
        assert abs(measured - drawn) < 0.8
    assert max(m for m, _ in young) < 7.5
    assert min(m for m, _ in old) > 8.5
    assert np.mean([m for m, _ in old]) - np.mean([m for m, _ in young]) > 2.0


def test_eog_out_of_phase_for_eye_movements_in_phase_for_eeg(stage_night):
    def corr(stage):
        loc = epochs_of(stage_night, "EOG LOC-M2", stage).ravel()
        roc = epochs_of(stage_night, "EOG ROC-M1", stage).ravel()
        return np.corrcoef(loc, roc)[0, 1]

    assert corr("R") < -0.3  # rapid eye movements: conjugate, out of phase
    assert corr("W") < -0.3  # blinks and saccades
    assert corr("N3") > 0.5  # frontal slow waves leak in phase


def test_rapid_eye_movements_in_rem_slow_ones_in_n1(stage_night):
    fs = 256.0
    # eye movements are out of phase: LOC - ROC doubles them and cancels EEG leakage
    def eye(stage):
        return epochs_of(stage_night, "EOG LOC-M2", stage) - epochs_of(stage_night, "EOG ROC-M1", stage)

    fast_r = band_power(eye("R"), fs, 1.0, 5.0).mean()
    fast_n2 = band_power(eye("N2"), fs, 1.0, 5.0).mean()
    slow_n1 = band_power(eye("N1"), fs, 0.1, 0.6).mean()
    slow_n2 = band_power(eye("N2"), fs, 0.1, 0.6).mean()
    assert fast_r > 5 * fast_n2
    assert slow_n1 > 5 * slow_n2


def test_breathing_rate_by_age_and_regular_in_n3(stage_night):
    from scipy.signal import find_peaks

    x = stage_night.signals["RESP ABDOMINAL"]
    fs = 64.0
    peaks, _ = find_peaks(x, distance=int(0.8 * fs), prominence=0.3 * np.std(x))
    rate = len(peaks) / (stage_night.duration_s / 60.0)
    assert abs(rate - stage_night.subject.resp_rate_bpm) < 4.0
    st = np.array(stage_night.stages)
    iv = np.diff(peaks) / fs
    ep = (peaks[1:] / fs // 30).astype(int)
    cv = {s: np.std(iv[st[ep] == s]) / np.mean(iv[st[ep] == s]) for s in ("N3", "R")}
    assert cv["N3"] < 0.6 * cv["R"]


def test_between_subject_variation():
    a = generate_night(NightParams(hypnogram=("N2",) * 2, age_years=8, seed=10, artefacts=False)).subject
    b = generate_night(NightParams(hypnogram=("N2",) * 2, age_years=8, seed=11, artefacts=False)).subject
    assert a.pdr_hz != b.pdr_hz and a.delta_pp_uv != b.delta_pp_uv and a.cycle_min != b.cycle_min
