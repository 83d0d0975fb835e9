"""Respiratory events, desaturations and arousals: timing and signal checks."""

from __future__ import annotations

import numpy as np

from engine.synth import NightParams, generate_night

RESP = ("Obstructive apnea", "Central apnea", "Mixed apnea", "Hypopnea")


def _amp(x):
    """Robust peak-to-peak amplitude of a breathing signal."""
    return float(np.percentile(x, 98) - np.percentile(x, 2))


def _seg(night, label, a_s, b_s):
    fs = night.sfreq_hz[label]
    return night.signals[label][int(a_s * fs) : int(b_s * fs)]


def _baseline(night, label, ev, others):
    """Amplitude in the 40 s before the event, skipping windows that touch other events."""
    a = ev.onset_s - 42.0
    for o in others:
        if o is not ev and o.onset_s < ev.onset_s and o.onset_s + o.duration_s + 25 > a:
            a = o.onset_s + o.duration_s + 25
    if ev.onset_s - 2.0 - a < 8.0:
        return None
    return _amp(_seg(night, label, a, ev.onset_s - 2.0))


def _resp(night):
    return [e for e in night.events if e.type in RESP]


def test_event_rate_follows_ahi(event_night):
    n = event_night
    sleep_h = sum(s != "W" for s in n.stages) * 30 / 3600
    count = len(_resp(n))
    assert 0.6 * 40 * sleep_h <= count <= 1.4 * 40 * sleep_h
    assert {e.type for e in _resp(n)} == set(RESP)
    none = generate_night(NightParams(hypnogram=("N2",) * 60, age_years=5, ahi=0, seed=2, artefacts=False))
    assert not [e for e in none.events if e.type in RESP or e.type == "Oxygen desaturation"]


def test_events_last_at_least_two_breaths_and_sit_in_sleep(event_night):
    n = event_night
    period = 60.0 / n.subject.resp_rate_bpm
    for e in _resp(n):
        assert e.duration_s >= 2 * period * 0.85
        assert n.stages[int(e.onset_s // 30)] != "W"


def test_obstructive_apnea_flow_gone_effort_continues_paradoxically(event_night):
    n = event_night
    evs = _resp(n)
    checked = 0
    for e in n.events_of("Obstructive apnea"):
        a, b = e.onset_s + 0.5, e.onset_s + e.duration_s - 0.5
        base_flow = _baseline(n, "C-FLOW", e, evs)
        base_abd = _baseline(n, "RESP ABDOMINAL", e, evs)
        if base_flow is None:
            continue
        assert _amp(_seg(n, "C-FLOW", a, b)) <= 0.10 * base_flow
        assert _amp(_seg(n, "RESP ABDOMINAL", a, b)) >= 0.6 * base_abd
        # thorax and abdomen move against each other in the second half
        mid = 0.5 * (a + b)
        th, ab = _seg(n, "RESP THORACIC", mid, b), _seg(n, "RESP ABDOMINAL", mid, b)
        assert np.corrcoef(th, ab)[0, 1] < -0.3
        checked += 1
    assert checked >= 3


def test_central_apnea_flow_and_effort_stop(event_night):
    n = event_night
    evs = _resp(n)
    checked = 0
    for e in n.events_of("Central apnea"):
        a, b = e.onset_s + 0.5, e.onset_s + e.duration_s - 0.5
        bf, bt = _baseline(n, "C-FLOW", e, evs), _baseline(n, "RESP THORACIC", e, evs)
        if bf is None:
            continue
        assert _amp(_seg(n, "C-FLOW", a, b)) <= 0.10 * bf
        assert _amp(_seg(n, "RESP THORACIC", a, b)) <= 0.15 * bt
        assert _amp(_seg(n, "RESP ABDOMINAL", a, b)) <= 0.15 * _baseline(n, "RESP ABDOMINAL", e, evs)
        checked += 1
    assert checked >= 1


def test_mixed_apnea_starts_central_ends_obstructive(event_night):
    n = event_night
    evs = _resp(n)
    checked = 0
    for e in n.events_of("Mixed apnea"):
        bt = _baseline(n, "RESP ABDOMINAL", e, evs)
        if bt is None:
            continue
        a, b = e.onset_s, e.onset_s + e.duration_s
        first = _amp(_seg(n, "RESP ABDOMINAL", a + 0.5, a + 0.3 * (b - a)))
        last = _amp(_seg(n, "RESP ABDOMINAL", a + 0.7 * (b - a), b - 0.3))
        assert first < 0.2 * bt and last > 0.5 * bt
        assert _amp(_seg(n, "C-FLOW", a + 0.5, b - 0.5)) <= 0.1 * _baseline(n, "C-FLOW", e, evs)
        checked += 1
    assert checked >= 1


def test_hypopnea_flow_drop_at_least_30_percent(event_night):
    n = event_night
    evs = _resp(n)
    ratios = []
    for e in n.events_of("Hypopnea"):
        bf = _baseline(n, "C-FLOW", e, evs)
        if bf is None:
            continue
        ratios.append(_amp(_seg(n, "C-FLOW", e.onset_s + 0.5, e.onset_s + e.duration_s - 0.5)) / bf)
    assert len(ratios) >= 3
    assert max(ratios) <= 0.7 and min(ratios) >= 0.15


def test_spo2_falls_after_events_with_lag(event_night):
    n = event_night
    resp = {round(e.onset_s + 0.0, 2): e for e in _resp(n)}
    desats = n.events_of("Oxygen desaturation")
    assert len(desats) >= 0.5 * len(resp)
    checked = 0
    for e in _resp(n):
        d = [x for x in desats if 10.0 <= x.onset_s - e.onset_s <= 30.0]
        if not d:
            continue
        base = float(np.median(_seg(n, "SPO2", e.onset_s - 20, e.onset_s)))
        end = e.onset_s + e.duration_s
        win = _seg(n, "SPO2", e.onset_s, end + 40)
        t_min = np.argmin(win) / n.sfreq_hz["SPO2"] + e.onset_s
        assert base - win.min() >= 2.5, (e, base, win.min())
        assert 8.0 <= t_min - end <= 35.0  # the nadir lags the end of the event
        # not fallen yet at the start of the event
        first = _seg(n, "SPO2", e.onset_s, e.onset_s + 5)
        assert float(first.min()) > float(first[0]) - 1.0
        checked += 1
    assert checked >= 0.5 * len(resp)
    assert resp  # the night has events


def test_arousals_after_events_and_spontaneous_with_eeg_speeding(event_night):
    n = event_night
    ar = n.events_of("Arousal")
    ends = np.array([e.onset_s + e.duration_s for e in _resp(n) if e.type != "Hypopnea"])
    after = [a for a in ar if np.any(np.abs(ends - a.onset_s) < 3.0)]
    assert len(after) >= 0.3 * len(ends)
    assert len(ar) > len(after)  # spontaneous ones too
    assert all(3.0 <= a.duration_s <= 15.0 for a in ar)
    from .conftest import band_power

    ratios = []
    for a in ar:
        during = _seg(n, "EEG O1-M2", a.onset_s, a.onset_s + 4.0).astype(np.float64)
        before = _seg(n, "EEG O1-M2", a.onset_s - 9.0, a.onset_s - 5.0).astype(np.float64)
        ratios.append(band_power(during, 256.0, 8, 30) / band_power(before, 256.0, 8, 30))
    assert np.median(ratios) > 2.0
    # in R the chin EMG rises
    rem = [a for a in ar if n.stages[int(a.onset_s // 30)] == "R"]
    emg = [np.std(_seg(n, "EMG CHIN1-CHIN2", a.onset_s + 0.5, a.onset_s + 3))
           / np.std(_seg(n, "EMG CHIN1-CHIN2", a.onset_s - 8, a.onset_s - 2)) for a in rem]
    assert rem and np.median(emg) > 2.0


def test_capnogram_follows_breaths_and_drops_in_apnea(event_night):
    n = event_night
    co2 = n.signals["CAPNO"]
    assert 30 < np.percentile(co2, 95) < 55  # end-tidal plateau
    assert np.percentile(co2, 5) < 3  # inspiration
    for e in n.events_of("Central apnea")[:3]:
        seg = _seg(n, "CAPNO", e.onset_s + 1.0, e.onset_s + e.duration_s - 0.5)
        assert np.percentile(seg, 90) < 8.0


def test_snore_in_sleep_silent_in_apnea(event_night):
    n = event_night
    sn = n.signals["SNORE"]
    fs = 256.0
    wake = np.abs(sn[: int(60 * fs)]).mean()
    sleep = np.abs(sn[int(300 * fs) : int(1200 * fs)]).mean()
    assert sleep > 3 * wake
    for e in n.events_of("Obstructive apnea")[:3]:
        seg = _seg(n, "SNORE", e.onset_s + 1.0, e.onset_s + e.duration_s - 1.0)
        assert np.abs(seg).mean() < 0.3 * sleep
