"""Apneas and hypopneas by the AASM rules, from amplitude traces (engine.events.flow).

1. Reductions: runs where the hypopnea sensor's amplitude is <= 70 % of its pre-event
   baseline (a >= 30 % drop), at the work rate.
2. An apnea: inside a reduction, the apnea sensor is <= 10 % of baseline (>= 90 % drop)
   over >= 90 % of the run (then the whole run is the apnea) or over a stretch of its own
   long enough for the rule (then that stretch is).
3. Duration: adult >= 10 s; pediatric >= 2 breaths of the baseline breath period before
   the event (a central apnea: >= 20 s, or >= 2 breaths with an arousal or a
   desaturation).
4. A hypopnea needs a linked desaturation (its nadir inside the event or up to 30 s after
   it, each desaturation linked once) of the rule's size, or (3 % rule and pediatric) an
   arousal starting inside the event or up to 5 s after it.
5. Typing, only when effort is recorded: central when effort (each belt's own amplitude
   ratio; present where either belt is above 25 % of its baseline) is absent over >= 80 %
   of the event, mixed when it is absent over >= 80 % of the first third and present over
   >= half of the last third, obstructive otherwise. Without an effort channel the event is
   ``Apnea`` (unclassified) — a central vs obstructive call from flow alone is a guess.
6. Flow signal loss: a >= 90 % "drop" longer than 120 s is a sensor off the face, not an
   apnea; such stretches, flat-lined signals and large CPAP leak (> 0.4 L/s = 24 L/min)
   are invalid and no event is scored over them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from engine.events.flow import WORK_HZ, AmplitudeTrace, runs
from engine.events.rules import RuleSet
from engine.events.spo2 import Desaturation
from engine.scoring.labels import EventType

__all__ = ["Candidate", "respiratory_events", "signal_loss", "MAX_APNEA_S", "EFFORT_PRESENT", "HYPOPNEA_RATIO",
           "APNEA_RATIO"]

MAX_APNEA_S = 120.0
EFFORT_PRESENT = 0.25
LEAK_LIMIT_L_S = 0.4
MERGE_GAP_S = 0.5


@dataclass
class Candidate:
    onset_s: float
    duration_s: float
    type: str
    rule: str
    attrs: dict = field(default_factory=dict)


def HYPOPNEA_RATIO(rules: RuleSet) -> float:  # noqa: N802 - reads as the constant it is
    return 1.0 - rules.hypopnea_drop_pct / 100.0


def APNEA_RATIO(rules: RuleSet) -> float:  # noqa: N802
    return 1.0 - rules.apnea_drop_pct / 100.0


def _merge(starts, stops, gap):
    out = []
    for a, b in zip(starts, stops):
        if out and a - out[-1][1] <= gap:
            out[-1][1] = b
        else:
            out.append([a, b])
    return out


def _widen(mask: np.ndarray, window_s: float) -> np.ndarray:
    half = int(round(window_s * WORK_HZ / 2))
    if half <= 0 or not mask.any():
        return mask
    from scipy.ndimage import binary_dilation

    return binary_dilation(mask, structure=np.ones(2 * half + 1, bool))


def _drop_pct(ratio: np.ndarray, limit: float) -> float:
    """The event's drop: 1 - the median amplitude ratio over the samples that meet the
    criterion (the widened edges, half a breath either side, are left out)."""
    r = ratio[np.isfinite(ratio)]
    core = r[r <= limit]
    use = core if core.size else r
    return round(100.0 * (1.0 - float(np.median(use))), 1) if use.size else 0.0


def signal_loss(tr: AmplitudeTrace, rules: RuleSet) -> np.ndarray:
    """Stretches where the sensor reads near nothing for longer than any apnea lasts."""
    low = tr.valid & (np.nan_to_num(tr.ratio, nan=1.0) <= APNEA_RATIO(rules))
    out = np.zeros(tr.n, bool)
    a, b = runs(low)
    for s, e in _merge(a, b, int(2 * WORK_HZ)):
        if (e - s) / WORK_HZ > MAX_APNEA_S:
            out[s:e] = True
    return out


def _effort(event_a: int, event_b: int, belts: list[AmplitudeTrace]) -> tuple[str, dict]:
    """Effort pattern of an apnea: central / mixed / obstructive, with its terms."""
    # absent where every belt is below 25 % of its baseline; the absent runs are widened
    # by half an amplitude window like the flow's (each sample's window sees the breaths
    # on either side)
    absent = np.ones(event_b - event_a, bool)
    for tr in belts:
        r = np.nan_to_num(tr.ratio, nan=0.0) <= EFFORT_PRESENT
        absent &= _widen(r, tr.window_s)[event_a:event_b]
    present = ~absent
    n = present.size
    absent_frac = float(1.0 - present.mean()) if n else 0.0
    third = max(1, n // 3)
    first_absent = float(1.0 - present[:third].mean())
    last_present = float(present[-third:].mean())
    terms = {"effort_absent_pct": round(100 * absent_frac, 1)}
    if absent_frac >= 0.8:
        return EventType.CENTRAL_APNEA, terms
    if first_absent >= 0.8 and last_present >= 0.5:
        terms["effort_absent_first_third_pct"] = round(100 * first_absent, 1)
        return EventType.MIXED_APNEA, terms
    return EventType.OBSTRUCTIVE_APNEA, terms


def respiratory_events(apnea_tr: AmplitudeTrace, hyp_tr: AmplitudeTrace, rules: RuleSet, *,
                       belts: list[AmplitudeTrace] | None = None,
                       desats: list[Desaturation] | None = None,
                       arousals: list[tuple[float, float]] | None = None,
                       invalid: np.ndarray | None = None,
                       can_confirm: bool = True) -> tuple[list[Candidate], dict]:
    """Scored apneas / hypopneas and counts of what was set aside (``stats``). With
    ``can_confirm`` False (no usable SpO2 and no arousals can be had) a reduction that
    would need them is returned as a ``Possible respiratory event`` for the scorer to
    judge, never counted as a hypopnea."""
    belts = [b for b in (belts or []) if b.valid.mean() > 0.5]
    desats = sorted(desats or [], key=lambda d: d.nadir_s)
    used = np.zeros(len(desats), bool)
    ar_on = np.array(sorted(a for a, _ in (arousals or [])), float)
    n = min(apnea_tr.n, hyp_tr.n)
    bad = ~(apnea_tr.valid[:n] & hyp_tr.valid[:n])
    if invalid is not None:
        bad |= np.asarray(invalid, bool)[:n]
    bad |= signal_loss(apnea_tr, rules)[:n] | signal_loss(hyp_tr, rules)[:n]
    r_h = np.nan_to_num(hyp_tr.ratio[:n], nan=np.inf)
    r_a = np.nan_to_num(apnea_tr.ratio[:n], nan=np.inf)
    # a run of low amplitude is one amplitude window shorter than the reduction (each
    # sample's window reaches half a window into the breaths on either side): widen back
    red = _widen(r_h <= HYPOPNEA_RATIO(rules), hyp_tr.window_s) | _widen(r_a <= APNEA_RATIO(rules),
                                                                         apnea_tr.window_s)
    ap_mask = _widen(r_a <= APNEA_RATIO(rules), apnea_tr.window_s)
    stats = {"invalid_s": float(bad.sum() / WORK_HZ), "unconfirmed_hypopneas": 0, "too_short": 0,
             "over_invalid": 0}
    out: list[Candidate] = []

    def link_desat(a_s: float, b_s: float, need: float) -> Desaturation | None:
        for k, d in enumerate(desats):
            if used[k] or d.nadir_s < a_s:
                continue
            if d.nadir_s > b_s + rules.desat_lag_s:
                break
            if d.drop_pct >= need - 1e-9:
                used[k] = True
                return d
        return None

    def link_arousal(a_s: float, b_s: float) -> float | None:
        if ar_on.size == 0:
            return None
        i = np.searchsorted(ar_on, a_s)
        if i < ar_on.size and ar_on[i] <= b_s + rules.arousal_lag_s:
            return float(ar_on[i])
        return None

    a_idx, b_idx = runs(red)
    for a, b in _merge(a_idx, b_idx, int(MERGE_GAP_S * WORK_HZ)):
        if bad[a:b].mean() > 0.1:
            stats["over_invalid"] += 1
            continue
        period = float(np.median(hyp_tr.period_s[a:b]))
        min_s = rules.min_event_s(period)
        # the apnea part
        seg_ap = ap_mask[a:b]
        ap_span = None
        if seg_ap.mean() >= 0.9:
            ap_span = (a, b)
        else:
            sa, sb = runs(seg_ap)
            merged = _merge(sa, sb, int(MERGE_GAP_S * WORK_HZ))
            if merged:
                s, e = max(merged, key=lambda x: x[1] - x[0])
                if (e - s) / WORK_HZ >= min_s - 1e-9:
                    ap_span = (a + s, a + e)
        dur = (b - a) / WORK_HZ
        if ap_span is not None:
            s, e = ap_span
            ad = (e - s) / WORK_HZ
            on, off = s / WORK_HZ, e / WORK_HZ
            if ad < min_s - 1e-9:
                stats["too_short"] += 1
                continue
            drop = _drop_pct(r_a[s:e], APNEA_RATIO(rules))
            attrs = {"drop_pct": round(drop, 1), "duration_s": round(float(ad), 1),
                     "breaths": round(float(ad / period), 2),
                     "baseline_breath_s": round(float(period), 2), "flow_sensor": apnea_tr.label}
            if belts:
                typ, terms = _effort(s, e, belts)
                attrs.update(terms)
            else:
                typ = EventType.APNEA
                attrs["effort"] = "not recorded: apnea type cannot be told"
            rule = f"{rules.name} apnea: >= {rules.apnea_drop_pct:g} % drop for "
            rule += (f">= {rules.min_breaths:g} breaths" if rules.pediatric else f">= {rules.min_duration_s:g} s")
            if rules.pediatric and typ == EventType.CENTRAL_APNEA:
                d = link_desat(on, off, rules.desat_pct)
                ar = link_arousal(on, off)
                if d is not None:
                    attrs["desat_pct"] = d.drop_pct
                if ar is not None:
                    attrs["arousal_onset_s"] = round(ar, 1)
                if ad >= rules.central_min_s:
                    rule = f"{rules.name} central apnea: >= {rules.central_min_s:g} s without effort"
                elif d is not None or ar is not None:
                    rule = (f"{rules.name} central apnea: >= {rules.min_breaths:g} breaths without effort with "
                            + ("desaturation" if d is not None else "arousal"))
                else:
                    stats["too_short"] += 1
                    continue
            elif not rules.pediatric or typ != EventType.CENTRAL_APNEA:
                d = link_desat(on, off, rules.desat_pct)  # recorded, not required
                if d is not None:
                    attrs["desat_pct"] = d.drop_pct
            out.append(Candidate(on, ad, typ, rule, attrs))
            continue
        # a hypopnea
        if dur < min_s - 1e-9:
            stats["too_short"] += 1
            continue
        on, off = a / WORK_HZ, b / WORK_HZ
        drop = _drop_pct(r_h[a:b], HYPOPNEA_RATIO(rules))
        attrs = {"drop_pct": round(drop, 1), "duration_s": round(float(dur), 1),
                 "breaths": round(float(dur / period), 2),
                 "baseline_breath_s": round(float(period), 2), "flow_sensor": hyp_tr.label}
        d = link_desat(on, off, rules.desat_pct)
        ar = link_arousal(on, off) if rules.hypopnea_arousal else None
        if d is None and ar is None:
            stats["unconfirmed_hypopneas"] += 1
            if not can_confirm:
                out.append(Candidate(on, dur, EventType.POSSIBLE_RESPIRATORY,
                                     f"{rules.name}: >= {rules.hypopnea_drop_pct:g} % flow drop, cannot be confirmed "
                                     "as a hypopnea (no usable SpO2, no EEG for arousals)", attrs))
            continue
        if d is not None:
            attrs["desat_pct"] = d.drop_pct
        if ar is not None:
            attrs["arousal_onset_s"] = round(ar, 1)
        span = f">= {rules.min_breaths:g} breaths" if rules.pediatric else f">= {rules.min_duration_s:g} s"
        why = f">= {rules.desat_pct:g} % desaturation" if d is not None else "arousal"
        out.append(Candidate(on, dur, EventType.HYPOPNEA,
                             f"{rules.name} hypopnea: >= {rules.hypopnea_drop_pct:g} % drop for {span} with {why}",
                             attrs))
    return out, stats
