"""Each AASM rule at its edge, on constructed flow / effort / SpO2 / EEG traces."""

from __future__ import annotations

import numpy as np
import pytest

from engine.errors import UserError
from engine.events import (
    EventInput,
    Signal,
    age_from_header,
    default_rule_set,
    detect_events,
    rule_set,
)
from engine.events.arousals import detect_arousals
from engine.events.spo2 import clean_spo2, find_desaturations
from engine.scoring.labels import EventType, Stage

FS = 32.0
PERIOD_S = 3.0  # a child's 20 breaths a minute
EVENT_AT_S = 300.0
TOTAL_S = 420.0


def flow_trace(event_s: float, event_amp: float, *, total_s: float = TOTAL_S, at_s: float = EVENT_AT_S,
               period_s: float = PERIOD_S, seed: int = 0) -> np.ndarray:
    """Sinusoidal breathing of amplitude 1 with one stretch of amplitude ``event_amp``."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(total_s * FS)) / FS
    amp = np.where((t >= at_s) & (t < at_s + event_s), event_amp, 1.0)
    return amp * np.sin(2 * np.pi * t / period_s) + 0.002 * rng.standard_normal(t.size)


def spo2_trace(drop: float, *, nadir_at_s: float, total_s: float = TOTAL_S) -> np.ndarray:
    """97 % with one V-shaped fall of ``drop`` % (20 s down, 15 s back), 1 Hz."""
    t = np.arange(int(total_s))
    v = np.full(t.size, 97.0)
    fall = (t >= nadir_at_s - 20) & (t <= nadir_at_s)
    v[fall] = 97.0 - drop * (t[fall] - (nadir_at_s - 20)) / 20.0
    rise = (t > nadir_at_s) & (t <= nadir_at_s + 15)
    v[rise] = 97.0 - drop + drop * (t[rise] - nadir_at_s) / 15.0
    return v


def inp(flow, *, spo2=None, thorax=None, abdomen=None, total_s=TOTAL_S) -> EventInput:
    s = lambda x, fs, k: None if x is None else Signal(np.asarray(x, float), fs, k, k)  # noqa: E731
    return EventInput(total_s, apnea_flow=s(flow, FS, "flow"), hypopnea_flow=s(flow, FS, "flow"),
                      thorax=s(thorax, FS, "thorax"), abdomen=s(abdomen, FS, "abdomen"),
                      spo2=s(spo2, 1.0, "spo2"))


def resp(det):
    return [e for e in det.events if e.type in EventType.RESPIRATORY]


# -- apnea: 90 % drop ------------------------------------------------------------------
@pytest.mark.parametrize("rules", ["aasm-pediatric", "aasm-adult"])
def test_91_percent_drop_is_an_apnea_89_is_not(rules):
    det = detect_events(inp(flow_trace(15.0, 0.09)), rules)
    (ev,) = resp(det)
    assert ev.type == EventType.APNEA  # no effort recorded: unclassified
    assert abs(ev.onset_s - EVENT_AT_S) < 1.5 and abs(ev.duration_s - 15.0) < 2.0
    assert ev.attrs["source"] == "aasm-rules" and ev.attrs["rule_set"] == rules
    assert "apnea" in ev.attrs["rule"] and ev.attrs["drop_pct"] >= 90.0
    det = detect_events(inp(flow_trace(15.0, 0.11)), rules)
    assert not [e for e in resp(det) if e.type in EventType.APNEAS]


# -- duration: 2 breaths (pediatric), 10 s (adult) --------------------------------------
def test_pediatric_apnea_needs_two_breaths():
    short = detect_events(inp(flow_trace(1.5 * PERIOD_S, 0.0)), "aasm-pediatric")
    assert not resp(short)
    long = detect_events(inp(flow_trace(2.5 * PERIOD_S, 0.0)), "aasm-pediatric")
    (ev,) = resp(long)
    assert ev.attrs["breaths"] >= 2.0 and ev.attrs["baseline_breath_s"] == pytest.approx(PERIOD_S, abs=0.2)


def test_adult_apnea_needs_ten_seconds():
    assert not resp(detect_events(inp(flow_trace(2.5 * PERIOD_S, 0.0)), "aasm-adult"))  # 7.5 s
    assert len(resp(detect_events(inp(flow_trace(11.0, 0.0)), "aasm-adult"))) == 1


# -- hypopnea: 30 % drop with a 3 % desaturation -----------------------------------------
@pytest.mark.parametrize("rules", ["aasm-pediatric", "aasm-adult"])
def test_hypopnea_needs_3_percent_desaturation(rules):
    flow = flow_trace(15.0, 0.5)
    no = detect_events(inp(flow, spo2=spo2_trace(2.9, nadir_at_s=EVENT_AT_S + 25)), rules)
    assert not resp(no)
    assert not [e for e in no.events if e.type == EventType.DESATURATION]
    yes = detect_events(inp(flow, spo2=spo2_trace(3.1, nadir_at_s=EVENT_AT_S + 25)), rules)
    (ev,) = resp(yes)
    assert ev.type == EventType.HYPOPNEA
    assert ev.attrs["desat_pct"] == pytest.approx(3.1, abs=0.05)
    assert 45 <= ev.attrs["drop_pct"] <= 55
    assert "hypopnea" in ev.attrs["rule"] and "desaturation" in ev.attrs["rule"]
    (d,) = [e for e in yes.events if e.type == EventType.DESATURATION]
    assert d.attrs["desat_drop_pct"] == pytest.approx(3.1, abs=0.05)


def test_adult_4_percent_rule_and_lag_window():
    flow = flow_trace(15.0, 0.5)
    three = inp(flow, spo2=spo2_trace(3.5, nadir_at_s=EVENT_AT_S + 25))
    assert len(resp(detect_events(three, "aasm-adult"))) == 1
    assert not resp(detect_events(three, "aasm-adult-4"))
    late = inp(flow, spo2=spo2_trace(5.0, nadir_at_s=EVENT_AT_S + 15 + 45))  # nadir 45 s after the end
    assert not resp(detect_events(late, "aasm-adult"))


def test_hypopnea_by_arousal_under_the_3_percent_rule_only():
    flow = flow_trace(15.0, 0.5)
    ar = [(EVENT_AT_S + 14.0, 5.0)]
    assert len(resp(detect_events(inp(flow), "aasm-adult", arousals=ar))) == 1
    assert not resp(detect_events(inp(flow), "aasm-adult-4", arousals=ar))


def test_hypopnea_needs_30_percent():
    spo2 = spo2_trace(4.0, nadir_at_s=EVENT_AT_S + 25)
    assert not resp(detect_events(inp(flow_trace(15.0, 0.75), spo2=spo2), "aasm-adult"))  # 25 % drop
    assert len(resp(detect_events(inp(flow_trace(15.0, 0.65), spo2=spo2), "aasm-adult"))) == 1  # 35 %


# -- effort: typing only when it is recorded ---------------------------------------------
def belts(kind: str, event_s: float = 15.0):
    t = np.arange(int(TOTAL_S * FS)) / FS
    inside = (t >= EVENT_AT_S) & (t < EVENT_AT_S + event_s)
    first = inside & (t < EVENT_AT_S + event_s / 2)
    amp = np.ones(t.size)
    if kind == "central":
        amp[inside] = 0.02
    elif kind == "mixed":
        amp[first] = 0.02
    b = amp * np.sin(2 * np.pi * t / PERIOD_S)
    return b, -0.8 * b if kind == "obstructive" else 0.8 * b


@pytest.mark.parametrize("kind,expected", [("obstructive", EventType.OBSTRUCTIVE_APNEA),
                                           ("central", EventType.CENTRAL_APNEA),
                                           ("mixed", EventType.MIXED_APNEA)])
def test_apnea_type_from_effort(kind, expected):
    th, ab = belts(kind)
    det = detect_events(inp(flow_trace(15.0, 0.0), thorax=th, abdomen=ab), "aasm-adult")
    (ev,) = resp(det)
    assert ev.type == expected
    assert "effort_absent_pct" in ev.attrs


def test_missing_effort_leaves_the_apnea_unclassified():
    det = detect_events(inp(flow_trace(15.0, 0.0)), "aasm-pediatric")
    (ev,) = resp(det)
    assert ev.type == EventType.APNEA and "not recorded" in ev.attrs["effort"]
    assert any("no effort channel" in n for n in det.notes)


def test_pediatric_central_apnea_short_needs_desaturation_or_arousal():
    th, ab = belts("central", event_s=12.0)
    flow = flow_trace(12.0, 0.0)
    assert not resp(detect_events(inp(flow, thorax=th, abdomen=ab), "aasm-pediatric"))
    det = detect_events(inp(flow, thorax=th, abdomen=ab, spo2=spo2_trace(3.5, nadir_at_s=EVENT_AT_S + 20)),
                        "aasm-pediatric")
    (ev,) = resp(det)
    assert ev.type == EventType.CENTRAL_APNEA and "desaturation" in ev.attrs["rule"]
    th, ab = belts("central", event_s=22.0)
    (ev,) = resp(detect_events(inp(flow_trace(22.0, 0.0), thorax=th, abdomen=ab), "aasm-pediatric"))
    assert ev.type == EventType.CENTRAL_APNEA and ">= 20 s" in ev.attrs["rule"]


# -- artefacts ---------------------------------------------------------------------------
def test_flow_signal_loss_is_not_an_apnea():
    det = detect_events(inp(flow_trace(100.0, 0.0, at_s=250.0)), "aasm-adult")  # 100 s ... an apnea? no:
    long = detect_events(inp(flow_trace(150.0, 0.0, at_s=200.0)), "aasm-adult")  # > 120 s: sensor off
    assert len(resp(det)) == 1
    assert not resp(long) and long.stats["invalid_s"] >= 120


def test_flat_line_is_invalid():
    flow = flow_trace(0.0, 1.0)
    flow[int(300 * FS): int(330 * FS)] = 0.25  # a disconnected sensor writing a constant
    det = detect_events(inp(flow), "aasm-adult")
    assert not resp(det) and det.stats["invalid_s"] >= 20


def test_spo2_dropouts_and_jumps_are_not_desaturations():
    v = np.full(600, 96.0)
    v[100:130] = 0.0  # probe off
    v[300:303] = 80.0  # a 16 % jump in one second: motion
    tr = clean_spo2(v, 1.0, 600.0)
    assert tr.usable and not find_desaturations(tr)
    dead = clean_spo2(np.full(600, -1.0), 1.0, 600.0)
    assert not dead.usable and "not usable" in dead.reason


def test_cpap_leak_makes_flow_invalid():
    flow = flow_trace(15.0, 0.0)
    leak = np.zeros(int(TOTAL_S * 0.5))
    leak[int(290 * 0.5): int(330 * 0.5)] = 1.2  # L/s: mask off
    i = inp(flow)
    i = EventInput(i.duration_s, i.apnea_flow, i.hypopnea_flow, leak=Signal(leak, 0.5, "Leak", "leak", "L/s"))
    det = detect_events(i, "aasm-adult")
    assert not resp(det) and det.stats["leak_invalid_s"] >= 35


# -- rule sets ---------------------------------------------------------------------------
def test_rule_set_from_age():
    assert default_rule_set(None).name == "aasm-pediatric"
    assert default_rule_set(7).name == "aasm-pediatric"
    assert default_rule_set(45).name == "aasm-adult"
    assert age_from_header("SYN-1 X X Synthetic age_7y") == 7.0
    import datetime as dt

    assert age_from_header("MCH-0234567 F 02-MAY-1951 Haagse_Harry", dt.datetime(2001, 5, 1)) == pytest.approx(
        50.0, abs=0.01)
    assert age_from_header("X X X X", dt.datetime(2001, 5, 1)) is None
    with pytest.raises(UserError):
        rule_set("aasm-martian")


# -- arousals ----------------------------------------------------------------------------
def eeg_with_burst(burst_s: float, fs: float = 128.0, total_s: float = 120.0, at_s: float = 60.0, seed=1):
    rng = np.random.default_rng(seed)
    t = np.arange(int(total_s * fs)) / fs
    x = 20 * np.sin(2 * np.pi * 1.5 * t) + 3 * rng.standard_normal(t.size)  # slow sleep EEG
    burst = (t >= at_s) & (t < at_s + burst_s)
    x[burst] += 25 * np.sin(2 * np.pi * 10 * t[burst]) + 8 * np.sin(2 * np.pi * 20 * t[burst])
    return x


def test_arousal_needs_three_seconds_after_ten_of_sleep():
    st = np.full(4, int(Stage.N2))
    (a,) = detect_arousals(eeg_with_burst(5.0), 128.0, st)
    assert abs(a[0] - 60.0) < 1.0 and 4.0 <= a[1] <= 6.5
    assert not detect_arousals(eeg_with_burst(2.0), 128.0, st)
    wake_before = st.copy()
    wake_before[1] = int(Stage.W)  # 30-60 s awake: no 10 s of sleep before the shift
    assert not detect_arousals(eeg_with_burst(5.0), 128.0, wake_before)


def test_rem_arousal_needs_chin_emg():
    st = np.full(4, int(Stage.R))
    fs = 128.0
    t = np.arange(int(120 * fs)) / fs
    rng = np.random.default_rng(3)
    emg_flat = 2 * rng.standard_normal(t.size)
    assert not detect_arousals(eeg_with_burst(5.0), fs, st, emg=emg_flat, emg_fs=fs)
    emg_up = emg_flat.copy()
    emg_up[(t >= 61) & (t < 63)] *= 6
    (a,) = detect_arousals(eeg_with_burst(5.0), fs, st, emg=emg_up, emg_fs=fs)
    assert a[2]["stage"] == "R" and a[2]["chin_emg_x"] >= 2


# -- hypoventilation (capnography) -------------------------------------------------------
def capnogram(etco2_of_t, total_s: float, fs: float = 16.0) -> np.ndarray:
    """CO2 rising to the end-tidal plateau each 3-s breath, ~0 while inhaling."""
    t = np.arange(int(total_s * fs)) / fs
    phase = (t % PERIOD_S) / PERIOD_S
    return np.where(phase < 0.4, 0.5, etco2_of_t(t) * np.clip((phase - 0.4) / 0.2, 0, 1))


@pytest.mark.parametrize("high_s,expected", [(0.2 * 1800, 0), (0.4 * 1800, 1)])
def test_pediatric_hypoventilation_needs_a_quarter_of_sleep(high_s, expected):
    total = 1800.0
    co2 = capnogram(lambda t: np.where(t < high_s, 55.0, 42.0), total)
    i = EventInput(total, capno=Signal(co2, 16.0, "EtCO2", "capno", "mmHg"))
    det = detect_events(i, "aasm-pediatric", stages=np.full(60, int(Stage.N2)))
    hv = [e for e in det.events if e.type == EventType.HYPOVENTILATION]
    assert len(hv) == expected
    assert det.stats["etco2_over_50_pct"] == pytest.approx(100 * high_s / total, abs=1.0)
    if hv:
        assert hv[0].attrs["etco2_max_mmhg"] == pytest.approx(55.0, abs=0.5) and "25 %" in hv[0].attrs["rule"]


@pytest.mark.parametrize("minutes,expected", [(9, 0), (11, 1)])
def test_adult_hypoventilation_needs_ten_minutes_over_55(minutes, expected):
    total = 1800.0
    co2 = capnogram(lambda t: np.where((t >= 300) & (t < 300 + minutes * 60), 57.0, 42.0), total)
    det = detect_events(EventInput(total, capno=Signal(co2, 16.0, "EtCO2", "capno", "mmHg")), "aasm-adult")
    assert len([e for e in det.events if e.type == EventType.HYPOVENTILATION]) == expected


def test_rip_sum_stands_in_for_missing_airflow(tmp_path):
    """A study with belts but no airflow: the RIP sum is the AASM alternative sensor."""
    from engine.channels.mapping import map_study
    from engine.events import event_input
    from engine.io import open_study
    from tests.helpers.edf_factory import Sig, write_edf

    th, ab = belts("central")  # in phase, both flat for 15 s
    sig = {0: 100 * th, 1: 100 * ab}
    p = tmp_path / "belts.edf"
    write_edf(p, [Sig("Thorax", FS), Sig("Abdomen", FS)], n_records=int(TOTAL_S),
              data=lambda k, start, n: sig[k][start:start + n])
    study = open_study(p)
    inp = event_input(study, map_study(study))
    assert inp.apnea_flow is not None and inp.apnea_flow.kind == "rip-sum"
    assert any("RIP sum" in n for n in inp.notes)
    det = detect_events(inp, "aasm-adult")
    assert len(resp(det)) == 1


def test_vectorised_baseline_equals_its_definition():
    """The 2-min baseline, vectorised, gives exactly the per-second definition (median of
    the breaths >= half the window's 90th percentile, none before a sensor reset)."""
    from engine.events import flow as F

    rng = np.random.default_rng(0)
    v = np.abs(rng.standard_normal(1500)) + 1
    v[rng.random(1500) < 0.1] = np.nan
    v[600:640] = 0.01  # a pause
    t = np.arange(1500.0)
    reset = np.full(1500, -np.inf)
    reset[1000:] = 1000.0
    ok = np.isfinite(v)
    ref = F._sliding(t[ok], v[ok], t, F._baseline_fn, F.BASELINE_S, reset)
    np.testing.assert_allclose(F._rolling_baseline(v, reset, t), ref, equal_nan=True)
