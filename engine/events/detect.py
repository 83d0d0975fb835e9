"""The rule-based detector as one call and as a cancellable generator (the GUI's job).

``detect_events(inp, rules, stages)`` -> ``EventDetection``: respiratory events,
desaturations and (with EEG and stages) arousals, each with the rule that admitted it
and its measured terms in ``attrs`` (``source`` = ``aasm-rules``), plus notes saying what
could not be scored and why.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from engine.events.arousals import detect_arousals
from engine.events.flow import WORK_HZ, amplitude_trace, to_work_rate
from engine.events.inputs import EventInput, event_input
from engine.events.respiratory import LEAK_LIMIT_L_S, respiratory_events
from engine.events.rules import RuleSet, default_rule_set, rule_set
from engine.events.spo2 import clean_spo2, find_desaturations
from engine.jobs import Progress, RuleEventsReady
from engine.scoring.labels import EventType

__all__ = ["SOURCE", "RuleEvent", "EventDetection", "detect_events", "detect_study_events", "events_job"]

SOURCE = "aasm-rules"


@dataclass(frozen=True)
class RuleEvent:
    onset_s: float
    duration_s: float
    type: str
    channels: tuple[str, ...]
    attrs: dict

    @property
    def rule(self) -> str:
        return str(self.attrs.get("rule", ""))

    def as_suggestion(self) -> dict:
        """The dict ``Scoring.suggest_events`` takes (no confidence: a rule is met or not)."""
        return {"onset_s": self.onset_s, "duration_s": self.duration_s, "type": self.type,
                "channels": self.channels, "confidence": None, "attrs": dict(self.attrs)}


@dataclass(frozen=True)
class EventDetection:
    rule_set: str
    events: tuple[RuleEvent, ...]
    notes: tuple[str, ...] = field(default_factory=tuple)
    stats: dict = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for e in self.events:
            out[e.type] = out.get(e.type, 0) + 1
        return out


def _leak_invalid(inp: EventInput, n: int) -> np.ndarray | None:
    if inp.leak is None:
        return None
    y, ok = to_work_rate(inp.leak.data, inp.leak.sfreq_hz, n, inp.leak.offset_s, lowpass_hz=0.2)
    return ok & (y > LEAK_LIMIT_L_S)


def detect_events(inp: EventInput, rules: RuleSet | str | None = None, stages=None, epoch_s: float = 30.0,
                  *, arousals: list[tuple[float, float]] | None = None, progress=None,
                  cancel=None) -> EventDetection | None:
    """Score the events of one study. ``stages``: per-epoch stage codes (-1 unknown) for the
    arousal rule; ``arousals``: scored arousals (onset_s, duration_s) to link hypopneas to,
    used instead of detecting them. Returns None when cancelled."""
    rules = rule_set(rules) if rules is not None else default_rule_set(inp.age_years)
    notes = list(inp.notes)
    stats: dict = {}
    events: list[RuleEvent] = []
    dur = inp.duration_s
    n = int(round(dur * WORK_HZ))

    def step(frac, msg):
        if progress is not None:
            progress(frac, msg)
        return cancel is not None and cancel.is_set()

    def add(onset, length, typ, rule, attrs, channels=()):
        a = {"source": SOURCE, "rule": rule, "rule_set": rules.name}
        a.update(attrs)
        events.append(RuleEvent(float(onset), float(length), typ, tuple(c for c in channels if c), a))

    # SpO2 first: desaturations qualify hypopneas
    desats = []
    spo2_ch: tuple[str, ...] = ()
    if inp.spo2 is not None:
        tr = clean_spo2(inp.spo2.data, inp.spo2.sfreq_hz, dur, inp.spo2.offset_s)
        stats["spo2_invalid_s"] = tr.invalid_s
        stats["spo2_usable"] = tr.usable
        if tr.usable:
            desats = find_desaturations(tr, drop_pct=min(3.0, rules.desat_pct))
            spo2_ch = (inp.spo2.label,)
        else:
            notes.append(f"{inp.spo2.label}: {tr.reason}; no desaturation is scored")
    else:
        notes.append("no SpO2 channel: no desaturation is scored")
    if step(0.2, "arousals"):
        return None
    # arousals (scored ones win)
    ar_list: list[tuple[float, float]] = list(arousals or [])
    if arousals is None:
        st = None if stages is None else np.asarray(stages, int)
        if inp.eeg is None:
            notes.append("no EEG: no arousal is scored, hypopneas need a desaturation")
        elif st is None or not (st >= 0).any():
            notes.append("no sleep stages yet: arousals need them (score or accept stages, then re-run)")
        else:
            found = detect_arousals(inp.eeg.data, inp.eeg.sfreq_hz, st, epoch_s,
                                    emg=None if inp.emg is None else inp.emg.data,
                                    emg_fs=None if inp.emg is None else inp.emg.sfreq_hz,
                                    eeg_offset_s=inp.eeg.offset_s)
            for onset, length, attrs in found:
                rule = "AASM arousal: EEG frequency shift >= 3 s after >= 10 s of sleep"
                if attrs.get("stage") == "R":
                    rule += ", chin EMG increase in REM"
                add(onset, length, EventType.AROUSAL, rule, attrs, (inp.eeg.label,))
                ar_list.append((onset, length))
    if step(0.4, "breathing"):
        return None
    if inp.apnea_flow is None:
        notes.append("no airflow channel: no apnea or hypopnea is scored")
    else:
        leak = _leak_invalid(inp, n)
        if leak is not None:
            stats["leak_invalid_s"] = float(leak.sum() / WORK_HZ)
        f = inp.apnea_flow
        ap = amplitude_trace(f.data, f.sfreq_hz, dur, offset_s=f.offset_s, extra_invalid=leak, label=f.label)
        h = inp.hypopnea_flow
        hy = ap if h is None or h is f else amplitude_trace(h.data, h.sfreq_hz, dur, offset_s=h.offset_s,
                                                            extra_invalid=leak, label=h.label)
        if step(0.7, "effort"):
            return None
        belts = []
        for b in (inp.thorax, inp.abdomen) if (inp.thorax or inp.abdomen) else (inp.rip_sum,):
            if b is not None:
                belts.append(amplitude_trace(b.data, b.sfreq_hz, dur, offset_s=b.offset_s, label=b.label))
        if not belts:
            notes.append("no effort channel: apneas are 'Apnea' (unclassified), not typed "
                         "obstructive / central / mixed")
        can_confirm = bool(spo2_ch) or inp.eeg is not None or arousals is not None
        cands, rstats = respiratory_events(ap, hy, rules, belts=belts, desats=desats, arousals=ar_list,
                                           can_confirm=can_confirm)
        stats.update(rstats)
        if rstats.get("unconfirmed_hypopneas"):
            why = []
            if not desats and inp.spo2 is None or (inp.spo2 is not None and not spo2_ch):
                why.append("no usable SpO2")
            if not ar_list:
                why.append("no arousals")
            notes.append(f"{rstats['unconfirmed_hypopneas']} flow reductions >= {rules.hypopnea_drop_pct:g} % were "
                         "not scored as hypopneas: no linked desaturation or arousal"
                         + (f" ({', '.join(why)})" if why else "")
                         + ("" if can_confirm else "; they are suggested as 'Possible respiratory event'"))
        if rstats.get("invalid_s"):
            notes.append(f"{rstats['invalid_s'] / 60:.1f} min of airflow not scorable (signal loss, flat line"
                         + (", large mask leak" if leak is not None else "") + ")")
        for c in cands:
            add(c.onset_s, c.duration_s, c.type, c.rule, c.attrs, (hy.label if c.type == EventType.HYPOPNEA
                                                                    else ap.label,))
    # hypoventilation from capnography
    if inp.capno is not None:
        from engine.events.capno import etco2_per_second, hypoventilation

        et = etco2_per_second(inp.capno.data, inp.capno.sfreq_hz, dur, inp.capno.offset_s)
        hv, hstats = hypoventilation(et, rules.pediatric, stages, epoch_s)
        stats.update(hstats)
        notes.append(f"{inp.capno.label}: PCO2 > 50 mmHg over {hstats['etco2_over_50_pct']:g} % of the "
                     f"{hstats['etco2_basis']} time with a valid reading ({hstats['etco2_valid_min']:g} min)")
        for onset, length, rule, attrs in hv:
            add(onset, length, EventType.HYPOVENTILATION, rule, attrs, (inp.capno.label,))
    # desaturations as events of their own (ODI)
    for d in desats:
        if d.drop_pct >= 3.0 - 1e-9:
            add(d.onset_s, d.duration_s, EventType.DESATURATION, "SpO2 fall >= 3 % from the preceding peak",
                {"desat_drop_pct": d.drop_pct, "desat_pct": d.drop_pct, "nadir_pct": round(d.nadir_pct, 1),
                 "baseline_pct": round(d.baseline_pct, 1)}, spo2_ch)
    events.sort(key=lambda e: (e.onset_s, e.type))
    step(1.0, "done")
    return EventDetection(rules.name, tuple(events), tuple(notes), stats)


def detect_study_events(study, chmap=None, rules: RuleSet | str | None = None, stages=None,
                        **kw) -> EventDetection | None:
    return detect_events(event_input(study, chmap), rules, stages, **kw)


def events_job(study, chmap=None, rules: RuleSet | str | None = None, stages=None, cancel=None,
               arousals=None):
    """Generator for a worker thread: yields ``engine.jobs.Progress`` and once
    ``engine.jobs.RuleEventsReady(EventDetection)``; stops early when ``cancel`` is set."""
    yield Progress(0.0, "rules: reading breathing, SpO2 and EEG")
    inp = event_input(study, chmap)
    if cancel is not None and cancel.is_set():
        return
    det = detect_events(inp, rules, stages, arousals=arousals, cancel=cancel)
    if det is None:
        return
    yield Progress(1.0, f"rules ({det.rule_set}): {len(det.events)} events")
    yield RuleEventsReady(det)
