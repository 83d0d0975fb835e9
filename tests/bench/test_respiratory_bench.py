"""Respiratory events and arousals by the AASM rules, measured (`make bench`; prints the
table that docs/benchmarks.md carries):

1. DREAMS excerpt 3 against the database's own scorings (1-Hz channels event_pneumo,
   event_neuro; stages from its hypnogram channel) — the only real expert event scoring
   we have. Evaluated on, never tuned on.
2. The shared ResMed CPAP night against the device's own events (its EVE file).
3. Generated nights (`pedsleep synth`) against their truth.
4. psgscoring (adult profile ``aasm_v3_rec``) side by side on the recordings both read:
   event counts, overlap F1 between the two, AHI difference.

Overlap F1: greedy one-to-one matching of events that overlap in time
(engine.training.metrics.match_events); "resp" = every apnea and hypopnea whatever its
type. AHI per hour of the reference's sleep (DREAMS, generated nights) or of recording
(ResMed: REI).
"""

from __future__ import annotations

import json
import time
import warnings
from pathlib import Path

import numpy as np
import pytest

from engine.channels.mapping import map_study
from engine.events import detect_study_events
from engine.io import open_study
from engine.scoring.labels import EventType
from engine.training.metrics import match_events

pytestmark = pytest.mark.bench

ROOT = Path(__file__).resolve().parents[2]
DATA = (ROOT / ".." / "shared" / "data").resolve()
STAGE_CODE = {"W": 0, "N1": 1, "N2": 2, "N3": 3, "R": 4}
FAMILIES = {"resp": EventType.RESPIRATORY, "apnea": EventType.APNEAS, "arousal": (EventType.AROUSAL,),
            "desat": (EventType.DESATURATION,)}
PSG_TYPES = {"obstructive": EventType.OBSTRUCTIVE_APNEA, "central": EventType.CENTRAL_APNEA,
             "mixed": EventType.MIXED_APNEA, "hypopnea": EventType.HYPOPNEA}


def f1(true, pred) -> tuple[float | None, int, int, int]:
    """(F1, matched, n_true, n_pred) of (onset_s, duration_s) lists."""
    m = match_events(true, pred)
    if not true and not pred:
        return None, 0, 0, 0
    return 2 * m / (len(true) + len(pred)), m, len(true), len(pred)


def spans(events, types):
    return [(float(e[0]), float(e[1])) for e in events if e[2] in types]


def ahi(events, stages, epoch_s=30.0):
    """Apneas + hypopneas starting in sleep epochs, per hour of sleep."""
    st = np.asarray(stages)
    sleep_h = float(np.isin(st, [1, 2, 3, 4]).sum()) * epoch_s / 3600
    n = sum(1 for on, _d, t in events if t in EventType.RESPIRATORY
            and 0 <= int(on // epoch_s) < st.size and st[int(on // epoch_s)] in (1, 2, 3, 4))
    return n / sleep_h if sleep_h > 0 else None


def rules_events(path, rules, stages=None):
    study = open_study(path)
    try:
        t0 = time.perf_counter()
        det = detect_study_events(study, map_study(study), rules=rules, stages=stages)
        return [(e.onset_s, e.duration_s, e.type) for e in det.events], time.perf_counter() - t0, det
    finally:
        study.close()


def psgscoring_events(path, stages):
    """psgscoring's adult respiratory events ((onset_s, duration_s, type) list) and AHI."""
    psg = pytest.importorskip("psgscoring")
    import mne

    mne.set_log_level("ERROR")
    warnings.filterwarnings("ignore")
    raw = mne.io.read_raw_edf(str(path), preload=True, verbose="ERROR")
    names = {v: k for k, v in STAGE_CODE.items()}
    hyp = [names.get(int(s), "W") for s in stages]
    t0 = time.perf_counter()
    import contextlib
    import io

    with contextlib.redirect_stdout(io.StringIO()):
        res = psg.run_pneumo_analysis(raw, hyp, scoring_profile="aasm_v3_rec")
    sec = time.perf_counter() - t0
    r = res["respiratory"]
    evs = [(float(e["onset_s"]), float(e["duration_s"]), PSG_TYPES.get(e["type"], EventType.APNEA))
           for e in r.get("events", [])]
    return evs, r["summary"].get("ahi_total"), sec


def row(name, ref, ours, fam):
    v, m, nt, npred = f1(spans(ref, FAMILIES[fam]), spans(ours, FAMILIES[fam]))
    return f"| {name} | {fam} | {nt} | {npred} | {m} | {'n/a' if v is None else f'{v:.2f}'} |"


def _print(title, lines):
    print(f"\n{title}\n" + "\n".join(lines))


@pytest.mark.skipif(not (DATA / "dreams-dev" / "excerpt3.edf").is_file(), reason="DREAMS excerpt 3 absent")
def test_dreams_excerpt3_vs_its_event_channels():
    from engine.scoring.importers.dreams_events import import_dreams_events

    path = DATA / "dreams-dev" / "excerpt3.edf"
    ref_doc = import_dreams_events(path).scoring
    stages = np.asarray(ref_doc.stages(), int)
    ref = [(e.onset_s, e.duration_s, e.type) for e in ref_doc.events()]
    lines = ["| rules | family | reference | found | matched | F1 |", "|---|---|---|---|---|---|"]
    out = {}
    for rules in ("aasm-pediatric", "aasm-adult"):
        ours, sec, det = rules_events(path, rules, stages)
        out[rules] = ours
        for fam in ("resp", "apnea", "arousal"):
            lines.append(row(rules, ref, ours, fam))
        a_ref, a_ours = ahi(ref, stages), ahi(ours, stages)
        lines.append(f"| {rules} | AHI (/h sleep) | {a_ref:.1f} | {a_ours:.1f} | | {sec:.1f} s |")
    counts = {r: {t: sum(1 for e in o if e[2] == t) for t in EventType.RESPIRATORY + (EventType.AROUSAL,)}
              for r, o in [("reference", ref)] + list(out.items())}
    _print("DREAMS excerpt 3 (30 min, expert event channels), rules with the expert's stages", lines)
    print("counts:", json.dumps(counts))
    # psgscoring side by side (adult)
    psg_ev, psg_ahi, psg_sec = psgscoring_events(path, stages)
    lines = ["| vs | family | n_a | n_b | matched | F1 |", "|---|---|---|---|---|---|"]
    for fam in ("resp", "apnea"):
        lines.append(row("psgscoring vs reference", ref, psg_ev, fam))
        lines.append(row("psgscoring vs rules (adult)", psg_ev, out["aasm-adult"], fam))
    lines.append(f"| AHI | psgscoring {psg_ahi} (its own sleep time) / {ahi(psg_ev, stages):.1f} "
                 f"| rules adult {ahi(out['aasm-adult'], stages):.1f} | reference {ahi(ref, stages):.1f} "
                 f"| | psgscoring {psg_sec:.1f} s |")
    _print("DREAMS excerpt 3: psgscoring (aasm_v3_rec)", lines)


@pytest.mark.skipif(not (DATA / "resmed").is_dir(), reason="ResMed night absent")
def test_resmed_night_vs_device_events():
    brp = DATA / "resmed" / "20260111_220919_BRP.edf"
    eve = DATA / "resmed" / "20260111_210642_EVE.edf"
    study = open_study(brp)
    t0, dur = study.start_datetime, study.duration_s
    ev_study = open_study(eve)
    off = (ev_study.start_datetime - t0).total_seconds()
    device = [(a.onset_s + off, a.duration_s, "Obstructive apnea" if "Obstructive" in a.text else a.text)
              for a in ev_study.annotations if a.duration_s > 0]
    device_in = [d for d in device if 0 <= d[0] < dur]
    lines = ["| rules | events (by type) | device events in span | overlapping a device event | REI | time |",
             "|---|---|---|---|---|---|"]
    for rules in ("aasm-adult", "aasm-pediatric"):
        ours, sec, det = rules_events(brp, rules)
        by = {}
        for e in ours:
            by[e[2]] = by.get(e[2], 0) + 1
        hit = sum(1 for d in device_in if any(o[0] < d[0] + d[1] and d[0] < o[0] + o[1] for o in ours))
        rei = sum(1 for e in ours if e[2] in EventType.RESPIRATORY) / (dur / 3600)
        lines.append(f"| {rules} | {json.dumps(by)} | {len(device_in)} ({device_in}) | {hit} | {rei:.2f} /h "
                     f"| {sec:.1f} s |")
    psg_ev, psg_ahi, psg_sec = psgscoring_events(brp, np.full(int(np.ceil(dur / 30)), 2))
    lines.append(f"| psgscoring aasm_v3_rec | {len(psg_ev)} events | | "
                 f"{sum(1 for d in device_in if any(o[0] < d[0] + d[1] and d[0] < o[0] + o[1] for o in psg_ev))} "
                 f"| AHI {psg_ahi} (all epochs given as N2) | {psg_sec:.1f} s |")
    _print(f"ResMed CPAP night ({dur / 3600:.1f} h flow, no effort, oximeter absent)", lines)


def test_generated_nights_vs_truth(tmp_path):
    from engine.synth import NightParams, generate_night, write_night

    nights = [NightParams(hours=1.0, age_years=a, ahi=x, seed=s)
              for a, x, s in ((4.0, 8.0, 101), (9.0, 15.0, 102), (15.0, 25.0, 103))]
    lines = ["| night | family | truth | found | matched | F1 |", "|---|---|---|---|---|---|"]
    tot = {}
    ahi_err, psg_err, f_psg_ours = [], [], []
    for p in nights:
        path = write_night(generate_night(p), tmp_path / f"n{p.seed}.edf")
        truth = json.loads(Path(str(path)[:-4] + ".truth.json").read_text())
        stages = np.array([STAGE_CODE.get(s, -1) for s in truth["stages"]])
        ref = [(e["onset_s"], e["duration_s"], e["type"]) for e in truth["events"]]
        ours, sec, det = rules_events(path, "aasm-pediatric", stages)
        for fam in ("resp", "apnea", "desat", "arousal"):
            v, m, nt, npred = f1(spans(ref, FAMILIES[fam]), spans(ours, FAMILIES[fam]))
            t = tot.setdefault(fam, [0, 0, 0])
            t[0] += m
            t[1] += nt
            t[2] += npred
            lines.append(row(f"age {p.age_years:g}, AHI {p.ahi:g}", ref, ours, fam))
        typed = [(o, t) for o, d, t in ours if t in EventType.APNEAS]
        ok_type = sum(1 for o, t in typed if any(r[2] == t and r[0] - 3 <= o <= r[0] + r[1] for r in ref))
        lines.append(f"| age {p.age_years:g} | apnea type right | | {len(typed)} | {ok_type} | {sec:.1f} s |")
        ahi_err.append(ahi(ours, stages) - ahi(ref, stages))
        psg_ev, _psg_ahi, _s = psgscoring_events(path, stages)
        psg_err.append(ahi(psg_ev, stages) - ahi(ref, stages))
        f_psg_ours.append(f1(spans(psg_ev, FAMILIES["resp"]), spans(ours, FAMILIES["resp"]))[0])
    lines.append("| all | " + " | ".join(
        f"{fam} F1 {2 * m / max(1, nt + npred):.2f} ({m}/{nt} true, {npred} found)" for fam, (m, nt, npred) in tot.items())
        + " |")
    lines.append(f"| all | AHI error rules (pediatric) {np.mean(ahi_err):+.2f} /h (max |{np.max(np.abs(ahi_err)):.2f}|); "
                 f"psgscoring (adult) {np.mean(psg_err):+.2f} /h; resp F1 psgscoring vs rules "
                 f"{np.mean([x for x in f_psg_ours if x is not None]):.2f} | | | | |")
    _print("Generated nights (pedsleep synth) vs their truth, pediatric rules with the true stages", lines)
