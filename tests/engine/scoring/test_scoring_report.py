"""Sleep report numbers against values computed by hand (awk over the UCDDB files), the
severity categories, ODI/SpO2 from a signal, the HTML page; and inter-scorer agreement."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from engine.scoring import EventType, Provenance, Scoring, Stage, compare_scorings, sleep_report
from engine.scoring.compare import cohen_kappa, compare_stages
from engine.scoring.importers import import_scoring, import_ucddb_stage
from engine.scoring.report import (
    find_desaturations,
    report_html,
    severity_adult,
    severity_pediatric,
    write_report_html,
)

DATA = (Path(__file__).resolve().parents[3] / ".." / "shared" / "data").resolve()
needs_data = pytest.mark.skipif(
    not DATA.is_dir(), reason=f"real test data not found at {DATA} (../shared/data)"
)
UCDDB = DATA / "annotations" / "ucddb"


@needs_data
def test_ucddb002_report_matches_hand_computation():
    # awk over ucddb002_stage.txt: 748 epochs, all scored; sleep (codes 1-5) 627 epochs;
    # first sleep epoch 18; first REM (code 1) epoch 117; W after sleep onset 103 epochs;
    # W 121, S1 213, S2 172, S3+S4 87, REM 155.  _respevt.txt: 124 events = HYP-* 115
    # (HYP-C 50), APNEA-O 7, APNEA-M 2, APNEA-C 0.
    import datetime as dt

    res = import_scoring(UCDDB / "ucddb002_stage.txt", recording_start=dt.datetime(2001, 1, 1, 23, 0))
    rep = sleep_report(res.scoring, events_in_sleep_only=False)
    assert rep.window_source == "scoring"
    assert rep.tib_min == pytest.approx(374.0)
    assert rep.tst_min == pytest.approx(313.5)
    assert rep.sleep_efficiency_pct == pytest.approx(100 * 313.5 / 374.0)
    assert rep.sleep_onset_latency_min == pytest.approx(9.0)
    assert rep.rem_latency_min == pytest.approx(49.5)
    assert rep.waso_min == pytest.approx(51.5)
    assert rep.stage_min == pytest.approx(
        {"W": 60.5, "N1": 106.5, "N2": 86.0, "N3": 43.5, "R": 77.5, "?": 0.0}
    )
    assert rep.stage_pct_tst["N2"] == pytest.approx(100 * 86.0 / 313.5)
    assert (
        rep.n_obstructive_apneas,
        rep.n_mixed_apneas,
        rep.n_central_apneas,
        rep.n_hypopneas,
    ) == (
        7,
        2,
        0,
        115,
    )
    hours = 313.5 / 60
    assert rep.ahi == pytest.approx(124 / hours)  # 23.73
    assert rep.obstructive_ahi == pytest.approx((7 + 2 + 115 - 50) / hours)  # 14.16
    assert rep.central_apnea_index == 0.0
    assert (rep.ahi_severity_pediatric, rep.ahi_severity_adult) == ("severe", "moderate")
    assert rep.odi3 is None and rep.spo2_nadir_pct is None  # nothing to compute them from


@needs_data
def test_ucddb008_unscored_epochs_are_not_wake():
    # awk: 768 epochs; sleep 494; first sleep 50; first REM 184; W after onset 213;
    # W 263, S1 76, S2 302, S3+S4 83, REM 33, code 8 (unscored) 11
    doc = import_ucddb_stage(UCDDB / "ucddb008_stage.txt").scoring
    rep = sleep_report(doc)
    assert rep.tib_min == pytest.approx(384.0)
    assert rep.tst_min == pytest.approx(247.0)
    assert rep.sleep_efficiency_pct == pytest.approx(100 * 247 / 384)
    assert rep.sleep_onset_latency_min == pytest.approx(25.0)
    assert rep.rem_latency_min == pytest.approx(67.0)
    assert rep.waso_min == pytest.approx(106.5)
    assert rep.stage_min["W"] == pytest.approx(131.5)
    assert rep.stage_min["?"] == pytest.approx(5.5)
    assert rep.ahi == 0.0 and rep.ahi_severity_pediatric == "normal"


def test_lights_window_and_events_in_sleep_only():
    doc = Scoring(20)
    doc.set_stages(0, [0, 0, 0, 0, 1, 2, 2, 2, 0, 2, 2, 4, 4, 2, 2, 3, 3, 0, 0, 0])
    doc.set_lights(off_s=60.0, on_s=540.0)  # epochs 2..17
    doc.add_event(130.0, 12.0, EventType.OBSTRUCTIVE_APNEA)  # epoch 4 (N1): counted
    doc.add_event(250.0, 12.0, EventType.CENTRAL_APNEA)  # epoch 8 (W): not in sleep
    doc.add_event(280.0, 12.0, EventType.HYPOPNEA, attrs={"hypopnea_kind": "central"})
    doc.add_event(300.0, 5.0, EventType.AROUSAL)
    doc.add_event(10.0, 12.0, EventType.OBSTRUCTIVE_APNEA)  # before lights off
    doc.suggest_events([dict(onset_s=400, duration_s=10, type=EventType.HYPOPNEA, confidence=0.9)])
    rep = sleep_report(doc)
    assert rep.window_source == "lights"
    assert rep.tib_min == 8.0
    assert rep.tst_min == pytest.approx(6.0)  # 12 sleep epochs in 2..17
    assert rep.sleep_onset_latency_min == pytest.approx(1.0)  # epoch 4 - epoch 2
    assert rep.rem_latency_min == pytest.approx(3.5)  # epoch 11 - epoch 4
    assert rep.waso_min == pytest.approx(1.0)  # epochs 8 and 17
    assert (rep.n_obstructive_apneas, rep.n_central_apneas, rep.n_hypopneas) == (1, 0, 1)
    assert rep.ahi == pytest.approx(2 / 0.1)
    assert rep.obstructive_ahi == pytest.approx(1 / 0.1)  # the central hypopnea is not obstructive
    assert rep.arousal_index == pytest.approx(10.0)
    doc2 = doc.copy()
    doc2.lights_on_s = None  # only lights off: the window ends after the last scored epoch
    rep2 = sleep_report(doc2)
    assert rep2.window_source == "lights+scoring" and rep2.tib_min == pytest.approx(9.0)
    rep_all = sleep_report(doc, events_in_sleep_only=False)
    assert rep_all.n_central_apneas == 1 and rep_all.central_apnea_index == pytest.approx(10.0)


def test_severity_categories_pediatric_and_adult():
    assert [severity_pediatric(x) for x in (0, 0.99, 1, 4.9, 5, 10, 10.1)] == [
        "normal",
        "normal",
        "mild",
        "mild",
        "moderate",
        "moderate",
        "severe",
    ]
    assert [severity_adult(x) for x in (4.9, 5, 14.9, 15, 30, 30.1)] == [
        "normal",
        "mild",
        "mild",
        "moderate",
        "moderate",
        "severe",
    ]
    assert severity_adult(None) is None


def test_odi_and_nadir_from_spo2_signal():
    fs = 1.0
    x = np.full(1800, 97.0)  # 30 min at 1 Hz
    for start in (300, 700, 1200):
        x[start : start + 15] = 92.0  # three 5 % dips of 15 s
    x[1500:1515] = 95.5  # a 1.5 % dip: not counted
    x[1600:1605] = 90.0  # 5 s: too short
    x[1000] = 0.0  # a probe-off artefact: not the nadir
    assert [round(o) for o, _d, _p in find_desaturations(x, fs)] == [300, 700, 1200]
    doc = Scoring(60)
    doc.set_stage_range(0, 60, Stage.N2)
    rep = sleep_report(doc, spo2_pct=x, spo2_sfreq_hz=fs)
    assert rep.n_desaturations == 3
    assert rep.odi3 == pytest.approx(3 / 0.5)
    assert rep.spo2_nadir_pct == 90.0
    # scored desaturations take precedence; a drop under 3 % is not counted
    doc.add_event(100, 20, EventType.DESATURATION, attrs={"desat_drop_pct": 4.0})
    doc.add_event(200, 20, EventType.DESATURATION, attrs={"desat_drop_pct": 2.0})
    doc.add_event(300, 20, EventType.DESATURATION, provenance=Provenance.MODEL)
    assert sleep_report(doc, spo2_pct=x, spo2_sfreq_hz=fs).n_desaturations == 1


def test_empty_scoring_report_and_html_is_self_contained(tmp_path: Path):
    rep = sleep_report(Scoring(10))
    assert rep.window_source == "empty" and rep.tst_min == 0 and rep.ahi is None
    doc = Scoring(40)
    doc.set_stages(0, [0] * 5 + [1] * 5 + [2] * 10 + [3] * 10 + [4] * 5 + [-1] * 5)
    doc.add_event(400, 12, EventType.OBSTRUCTIVE_APNEA)
    doc.set_lights(off_s=0.0, on_s=1200.0)
    rep = sleep_report(doc)
    html = report_html(rep, doc, study_name="child <01>")
    assert html.startswith("<!DOCTYPE html>") and "<svg" in html and "</html>" in html
    assert "child &lt;01&gt;" in html
    assert not re.search(r"""(src|href)\s*=\s*["']?https?:""", html)  # no external resources
    assert "Severity (pediatric)" in html and "Severity (adult)" in html
    # unscored epochs drawn on their own row, never as wake
    assert html.count('fill="#bdbdbd"') == 1
    out = write_report_html(tmp_path / "r.html", doc)
    assert out.read_text().count("<svg") == 1


def test_kappa_by_hand():
    W, N1, N2, N3, R, U = 0, 1, 2, 3, 4, -1
    a = np.array([W, W, N1, N2, N2, N3, R, R, U, N2])
    b = np.array([W, N1, N1, N2, N3, N3, R, W, N2, U])
    ag = compare_stages(a, b)
    # 8 epochs scored in both; 5 agree; marginals A (2,1,2,1,2), B (2,2,1,2,1)
    # po = 5/8, pe = (4+2+2+2+2)/64 = 12/64, kappa = (0.625-0.1875)/0.8125 = 7/13
    assert ag.n_epochs == 8 and ag.n_only_a == 1 and ag.n_only_b == 1
    assert ag.accuracy_pct == pytest.approx(62.5)
    assert ag.kappa == pytest.approx(7 / 13)
    assert ag.confusion.tolist() == [
        [1, 1, 0, 0, 0],
        [0, 1, 0, 0, 0],
        [0, 0, 1, 1, 0],
        [0, 0, 0, 1, 0],
        [1, 0, 0, 0, 1],
    ]
    w = ag.per_stage["W"]
    assert (w.n_a, w.n_b, w.n_both, w.agreement_pct, w.f1) == (2, 2, 1, 50.0, 0.5)
    assert ag.per_stage["N3"].agreement_pct == 100.0
    assert "A\\B" in ag.confusion_table()
    assert cohen_kappa(np.eye(5) * 3) == 1.0
    assert cohen_kappa(np.zeros((5, 5))) is None


@needs_data
def test_compare_two_real_scorings():
    a = import_scoring(UCDDB / "ucddb002_stage.txt").scoring
    same = compare_scorings(a, a.copy())
    assert same.kappa == 1.0 and same.n_epochs == 748
    b = a.copy()
    b.set_stage_range(0, 100, Stage.UNSCORED)
    b.set_stage_range(100, 200, Stage.N2)
    ag = compare_scorings(a, b)
    assert ag.n_epochs == 648 and ag.n_only_a == 100
    assert 0 < ag.kappa < 1
    assert int(ag.confusion.sum()) == 648


def test_unstaged_study_gives_indices_per_hour_of_recording():
    """A home apnea test: events, no stages -> the window is the recording, REI."""
    doc = Scoring(240, recording_duration_s=7200.0)
    for k in range(6):
        doc.add_event(600.0 + 600 * k, 15.0, EventType.OBSTRUCTIVE_APNEA)
    rep = sleep_report(doc)
    assert rep.index_basis == "recording" and rep.window_source == "recording (no stages)"
    assert rep.ahi == pytest.approx(3.0) and rep.sleep_efficiency_pct is None
    html = report_html(rep, doc)
    assert "REI (per hour of recording)" in html and "per hour of recording time" in html


def test_report_of_a_pre_scoring_counts_pending_suggestions():
    doc = Scoring(120)
    doc.set_stages(0, [2] * 120)
    doc.suggest_events([{"onset_s": 100.0 * k, "duration_s": 12.0, "type": EventType.HYPOPNEA,
                         "confidence": 0.8} for k in range(1, 7)])
    assert sleep_report(doc).n_hypopneas == 0  # a report of the scoring: undecided events don't count
    rep = sleep_report(doc, include_suggestions=True)
    assert rep.n_hypopneas == 6 and rep.ahi == pytest.approx(6.0) and rep.suggestions_counted
    assert "pre-scoring to review" in report_html(rep, doc)


def test_unstaged_study_with_only_artefacts_stays_empty():
    doc = Scoring(240, recording_duration_s=7200.0)
    doc.add_event(600.0, 5.0, "Artifact: movement")
    assert sleep_report(doc).window_source == "empty"


def test_one_event_marked_on_two_channels_counts_once():
    """The Events list shows one row for an apnea marked on both belts; the report counts
    it once too."""
    from engine.scoring import Scoring, Stage, sleep_report

    d = Scoring(240, recording_duration_s=240 * 30.0)
    d.set_stages(0, [Stage.N2] * 240)
    d.add_event(600.0, 12.0, "Obstructive apnea", channels=("Thor",))
    d.add_event(600.0, 12.0, "Obstructive apnea", channels=("Abdo",))
    d.add_event(900.0, 12.0, "Obstructive apnea", channels=("Thor",))
    r = sleep_report(d)
    assert r.n_obstructive_apneas == 2
