"""Sleep report: the standard PSG summary numbers from a `Scoring`, as a frozen dataclass
(`sleep_report`) and as one self-contained HTML file with an inline SVG hypnogram
(`report_html`, `write_report_html`).

Definitions (AASM manual terms; every time in minutes, every index per hour of TST):

* analysis window: lights off -> lights on; a missing one is replaced by the start of the
  first / the end of the last scored epoch (``window_source`` says which);
* TIB: the window's length; TST: N1+N2+N3+R epochs in it; sleep efficiency = TST/TIB;
* sleep-onset latency (SOL): window start -> first sleep epoch;
* REM latency: sleep onset -> first R epoch;
* WASO: W epochs after sleep onset, up to the window end (= TRT - SOL - TST when
  nothing is unscored); unscored epochs are counted apart, never as wake;
* stage minutes (W, N1, N2, N3, R, unscored) and % of TST (N1..R);
* events are counted when their onset lies in the window and — with
  ``events_in_sleep_only`` (default) — in an epoch scored as sleep. Decided events only
  (human, imported, model-accepted);
* AHI: apneas (obstructive, central, mixed, unspecified) + hypopneas; obstructive AHI:
  obstructive + mixed apneas + hypopneas not marked central (``attrs["hypopnea_kind"]``);
  central apnea index; arousal index;
* ODI (3 %): ``Oxygen desaturation`` events with a drop >= 3 % (or no drop recorded);
  when there are none but an SpO2 array is given, desaturations are found in it
  (a fall >= 3 % below the highest value of the previous 120 s, lasting >= 10 s);
* SpO2 nadir: lowest valid (>= 50 %) SpO2 sample in the window, when an array is given;
* nothing staged but respiratory events or desaturations present, or a ``rule_set``
  given (the rules scored the breathing; a home apnea test): the window is the whole
  recording and every index is per hour of recording time (REI); sleep efficiency n/a;
* ``include_suggestions``: pending model suggestions are counted too (the report of a
  model pre-scoring, ``pedsleep score``), and the page says so;
* the respiratory rule set (``rule_set``: ``aasm-pediatric``, ``aasm-adult`` (3 % or
  arousal), ``aasm-adult-4``) is named on the page: given, or read off the counted
  events' ``attrs["rule_set"]`` (engine.events); ``Apnea`` events (no effort channel, type
  unknown) count in the AHI and the REI, not in the obstructive AHI or the CAI;
* severity from AHI: pediatric (< 1 normal, 1-5 mild, 5-10 moderate, > 10 severe) beside
  adult (< 5 normal, 5-15 mild, 15-30 moderate, > 30 severe).
"""

from __future__ import annotations

import datetime as _dt
import html
import math
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from engine.scoring.document import Event, Scoring
from engine.scoring.exporters._common import atomic_write_text
from engine.scoring.labels import EventType, Stage
from engine.scoring.records import distinct_events

__all__ = [
    "SleepReport",
    "sleep_report",
    "severity_pediatric",
    "severity_adult",
    "hypnogram_svg",
    "report_html",
    "write_report_html",
    "find_desaturations",
]

SLEEP_STAGES = (Stage.N1, Stage.N2, Stage.N3, Stage.R)
STAGE_COLORS = {
    "W": "#f2a541",
    "R": "#d1495b",
    "N1": "#8ecae6",
    "N2": "#219ebc",
    "N3": "#023047",
    "?": "#bdbdbd",
}


def severity_pediatric(ahi: float | None) -> str | None:
    """AHI < 1 normal, 1-5 mild, 5-10 moderate, > 10 severe."""
    if ahi is None:
        return None
    if ahi < 1:
        return "normal"
    if ahi < 5:
        return "mild"
    if ahi <= 10:
        return "moderate"
    return "severe"


def severity_adult(ahi: float | None) -> str | None:
    """AHI < 5 normal, 5-15 mild, 15-30 moderate, > 30 severe."""
    if ahi is None:
        return None
    if ahi < 5:
        return "normal"
    if ahi < 15:
        return "mild"
    if ahi <= 30:
        return "moderate"
    return "severe"


@dataclass(frozen=True)
class SleepReport:
    epoch_s: float
    window_start_s: float
    window_end_s: float
    window_source: str  # "lights" | "lights+scoring" | "scoring" | "empty"
    tib_min: float
    tst_min: float
    sleep_efficiency_pct: float | None
    sleep_onset_latency_min: float | None
    rem_latency_min: float | None
    waso_min: float | None
    stage_min: dict[str, float]  # W, N1, N2, N3, R, ? (unscored) inside the window
    stage_pct_tst: dict[str, float | None]  # N1, N2, N3, R as % of TST
    n_arousals: int
    arousal_index: float | None
    n_obstructive_apneas: int
    n_central_apneas: int
    n_mixed_apneas: int
    n_other_apneas: int
    n_hypopneas: int
    ahi: float | None
    obstructive_ahi: float | None
    central_apnea_index: float | None
    n_desaturations: int | None
    odi3: float | None
    spo2_nadir_pct: float | None
    ahi_severity_pediatric: str | None
    ahi_severity_adult: str | None
    events_in_sleep_only: bool = True
    notes: tuple[str, ...] = field(default_factory=tuple)
    # "sleep": indices per hour of TST; "recording": nothing is staged (a home apnea test),
    # indices per hour of recording time (REI)
    index_basis: str = "sleep"
    suggestions_counted: bool = False
    rule_set: str | None = None  # the AASM respiratory rule set the events were scored by

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def find_desaturations(
    spo2_pct: np.ndarray,
    sfreq_hz: float,
    *,
    drop_pct: float = 3.0,
    baseline_s: float = 120.0,
    min_duration_s: float = 10.0,
) -> list[tuple[float, float, float]]:
    """Desaturations in an SpO2 trace: ``[(onset_s, duration_s, drop_pct)]``. Samples
    below 50 % are artefacts (ignored). Baseline = highest valid value in the previous
    ``baseline_s``."""
    x = np.asarray(spo2_pct, dtype=np.float64)
    valid = x >= 50.0
    xv = np.where(valid, x, np.nan)
    n = x.size
    w = max(1, int(round(baseline_s * sfreq_hz)))
    # highest valid value of the previous w samples (a trailing running max, O(n))
    from scipy.ndimage import maximum_filter1d

    trailing = maximum_filter1d(
        np.where(valid, x, -np.inf), size=w, origin=(w - 1) // 2, mode="constant", cval=-np.inf
    )
    base = np.concatenate([[-np.inf], trailing[:-1]]) if n else trailing
    base = np.where(np.isfinite(base), base, np.nan)
    below = valid & np.isfinite(base) & (xv <= base - drop_pct)
    min_len = max(1, int(round(min_duration_s * sfreq_hz)))
    edges = np.diff(np.concatenate([[0], below.astype(np.int8), [0]]))
    starts, stops = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    out = []
    for a, b in zip(starts, stops, strict=True):
        if b - a >= min_len:
            drop = float(np.nanmax(base[a:b] - xv[a:b]))
            out.append((float(a / sfreq_hz), float((b - a) / sfreq_hz), drop))
    return out


def _per_hour(n: int, tst_min: float) -> float | None:
    return None if tst_min <= 0 else n / (tst_min / 60.0)


def sleep_report(
    scoring: Scoring,
    *,
    spo2_pct: np.ndarray | None = None,
    spo2_sfreq_hz: float | None = None,
    events_in_sleep_only: bool = True,
    include_suggestions: bool = False,
    rule_set: str | None = None,
) -> SleepReport:
    """Compute the report (see module docstring for every definition).
    ``include_suggestions`` also counts pending model suggestions (a model pre-scoring)."""
    ep = scoring.epoch_s
    st = scoring.stages().astype(np.int64)
    n = st.size
    notes: list[str] = []
    scored = np.flatnonzero(st != Stage.UNSCORED)
    off, on = scoring.lights_off_s, scoring.lights_on_s
    if off is not None and on is not None and on > off:
        w0, w1, source = off, on, "lights"
    elif scored.size:
        w0 = off if off is not None else float(scored[0] * ep)
        w1 = on if on is not None else float((scored[-1] + 1) * ep)
        if w1 <= w0:
            w0, w1 = float(scored[0] * ep), float((scored[-1] + 1) * ep)
            notes.append("lights off/on are inconsistent: the window is the scored part")
        source = "lights+scoring" if (off is not None or on is not None) else "scoring"
        if off is None:
            notes.append("no lights off: the window starts at the first scored epoch")
        if on is None:
            notes.append("no lights on: the window ends after the last scored epoch")
    elif scoring.recording_duration_s and (rule_set is not None or scoring.events(
            types=EventType.RESPIRATORY + (EventType.DESATURATION,), decided_only=not include_suggestions)):
        # (a rule set given: breathing was scored by the rules, so none found is 0 /h, not n/a)
        # respiratory events but no stages (a home apnea test): the window is the recording
        w0, w1, source = 0.0, float(scoring.recording_duration_s), "recording (no stages)"
        events_in_sleep_only = False
        notes.append("no sleep stages: event indices are per hour of recording time "
                     "(respiratory event index, REI), not per hour of sleep")
    else:
        w0 = w1 = 0.0
        source = "empty"
        notes.append("nothing is scored")
    basis = "recording" if source == "recording (no stages)" else "sleep"
    # epochs whose start lies in [w0, w1)
    starts = np.arange(n) * ep
    in_win = (starts >= w0 - 1e-9) & (starts < w1 - 1e-9)
    w0, w1 = float(w0), float(w1)
    tib = (w1 - w0) / 60.0
    ep_min = ep / 60.0
    counts = {s.short: int(np.count_nonzero(in_win & (st == s))) for s in Stage}
    stage_min = {k: counts[k] * ep_min for k in ("W", "N1", "N2", "N3", "R", "?")}
    is_sleep = np.isin(st, [s.value for s in SLEEP_STAGES])
    sleep_idx = np.flatnonzero(in_win & is_sleep)
    tst = float(sleep_idx.size * ep_min)
    se = 100.0 * tst / tib if tib > 0 and basis == "sleep" else None
    sol: float | None
    rem_lat: float | None
    waso: float | None
    if sleep_idx.size:
        onset_s = float(sleep_idx[0] * ep)
        sol = max(0.0, (onset_s - w0) / 60.0)
        rem = np.flatnonzero(in_win & (st == Stage.R))
        rem_lat = float(rem[0] * ep - onset_s) / 60.0 if rem.size else None
        after = in_win & (starts >= onset_s)
        waso = int(np.count_nonzero(after & (st == Stage.W))) * ep_min
    else:
        sol = rem_lat = waso = None
    pct = {k: (100.0 * stage_min[k] / tst if tst > 0 else None) for k in ("N1", "N2", "N3", "R")}

    def counted(ev: Event) -> bool:
        if not (w0 - 1e-9 <= ev.onset_s < w1):
            return False
        if not events_in_sleep_only:
            return True
        k = int(math.floor(ev.onset_s / ep + 1e-9))
        return 0 <= k < n and bool(is_sleep[k])

    # one event marked on several channels (or imported twice) counts once
    evs = distinct_events(e for e in scoring.events(decided_only=not include_suggestions) if counted(e))
    # per hour of sleep, or of recording when nothing is staged
    per_h_min = tst if basis == "sleep" else tib
    by: dict[str, list[Event]] = {}
    for e in evs:
        by.setdefault(e.type, []).append(e)
    n_oa = len(by.get(EventType.OBSTRUCTIVE_APNEA, []))
    n_ca = len(by.get(EventType.CENTRAL_APNEA, []))
    n_ma = len(by.get(EventType.MIXED_APNEA, []))
    n_xa = len(by.get(EventType.APNEA, []))
    hyps = by.get(EventType.HYPOPNEA, [])
    n_h = len(hyps)
    n_h_obs = sum(1 for h in hyps if h.attrs.get("hypopnea_kind") != "central")
    n_ar = len(by.get(EventType.AROUSAL, []))
    ahi = _per_hour(n_oa + n_ca + n_ma + n_xa + n_h, per_h_min)
    oahi = _per_hour(n_oa + n_ma + n_h_obs, per_h_min)
    cai = _per_hour(n_ca, per_h_min)
    desats = [
        e
        for e in by.get(EventType.DESATURATION, [])
        if e.attrs.get("desat_drop_pct") is None or float(e.attrs["desat_drop_pct"]) >= 3.0
    ]
    nadir = None
    n_des: int | None = len(desats) if desats else None
    if spo2_pct is not None and spo2_sfreq_hz:
        x = np.asarray(spo2_pct, dtype=np.float64)
        t = np.arange(x.size) / spo2_sfreq_hz
        win = (t >= w0) & (t < w1) & (x >= 50.0)
        if win.any():
            nadir = float(x[win].min())
        if not desats:
            found = find_desaturations(x, spo2_sfreq_hz)
            n_des = 0
            for onset, _d, _drop in found:
                k = int(math.floor(onset / ep + 1e-9))
                if w0 <= onset < w1 and (not events_in_sleep_only or (0 <= k < n and is_sleep[k])):
                    n_des += 1
            notes.append("ODI computed from the SpO2 signal (no scored desaturations)")
    odi = _per_hour(n_des, per_h_min) if n_des is not None else None
    if rule_set is None:
        named = [str(e.attrs["rule_set"]) for e in evs if e.type in EventType.RESPIRATORY and e.attrs.get("rule_set")]
        if named:
            rule_set = max(set(named), key=named.count)
    return SleepReport(
        epoch_s=ep,
        window_start_s=float(w0),
        window_end_s=float(w1),
        window_source=source,
        tib_min=tib,
        tst_min=tst,
        sleep_efficiency_pct=se,
        sleep_onset_latency_min=sol,
        rem_latency_min=rem_lat,
        waso_min=waso,
        stage_min=stage_min,
        stage_pct_tst=pct,
        n_arousals=n_ar,
        arousal_index=_per_hour(n_ar, per_h_min),
        n_obstructive_apneas=n_oa,
        n_central_apneas=n_ca,
        n_mixed_apneas=n_ma,
        n_other_apneas=n_xa,
        n_hypopneas=n_h,
        ahi=ahi,
        obstructive_ahi=oahi,
        central_apnea_index=cai,
        n_desaturations=n_des,
        odi3=odi,
        spo2_nadir_pct=nadir,
        ahi_severity_pediatric=severity_pediatric(ahi),
        ahi_severity_adult=severity_adult(ahi),
        events_in_sleep_only=events_in_sleep_only,
        notes=tuple(notes),
        index_basis=basis,
        suggestions_counted=include_suggestions,
        rule_set=rule_set,
    )


# ---------------------------------------------------------------------- pictures / HTML
_LEVELS = {"W": 0, "R": 1, "N1": 2, "N2": 3, "N3": 4, "?": 5}


def hypnogram_svg(scoring: Scoring, *, width_px: int = 900, height_px: int = 220,
                  include_suggestions: bool = False) -> str:
    """An inline SVG hypnogram: W, R, N1, N2, N3 from top, unscored as a grey band of its
    own (never drawn as wake), respiratory events and arousals as ticks underneath."""
    n = max(1, scoring.n_epochs)
    ep = scoring.epoch_s
    left, right, top = 44, 10, 10
    row_h = (height_px - 60) / 6
    plot_w = width_px - left - right
    x_of = lambda s: left + plot_w * s / (n * ep)  # noqa: E731
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width_px}" height="{height_px}" '
        f'viewBox="0 0 {width_px} {height_px}" role="img" aria-label="hypnogram" '
        'font-family="sans-serif" font-size="11">',
        f'<rect x="0" y="0" width="{width_px}" height="{height_px}" fill="white"/>',
    ]
    for name, lvl in _LEVELS.items():
        y = top + lvl * row_h + row_h / 2
        parts.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{name}</text>')
        parts.append(
            f'<line x1="{left}" x2="{width_px - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="#eee"/>'
        )
    st = scoring.stages()
    # merge runs of equal stages into one rect
    i = 0
    pts: list[tuple[float, float]] = []
    lines: list[list[tuple[float, float]]] = [pts]
    while i < st.size:
        j = i
        while j < st.size and st[j] == st[i]:
            j += 1
        name = Stage(int(st[i])).short
        lvl = _LEVELS[name]
        x0, x1 = x_of(i * ep), x_of(j * ep)
        y = top + lvl * row_h
        parts.append(
            f'<rect x="{x0:.2f}" y="{y + row_h * 0.2:.2f}" width="{max(x1 - x0, 0.5):.2f}" '
            f'height="{row_h * 0.6:.2f}" fill="{STAGE_COLORS[name]}"><title>{name} '
            f"{i * ep / 3600:.2f}-{j * ep / 3600:.2f} h</title></rect>"
        )
        if name != "?":
            pts.append((x0, y + row_h / 2))
            pts.append((x1, y + row_h / 2))
        elif pts:  # the trace breaks over unscored epochs
            pts = []
            lines.append(pts)
        i = j
    for seg in lines:
        if seg:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in seg)
            parts.append(
                f'<polyline points="{path}" fill="none" stroke="#333" stroke-width="0.8"/>'
            )
    ev_y = top + 6 * row_h + 6
    colors = {
        EventType.OBSTRUCTIVE_APNEA: "#6a040f",
        EventType.CENTRAL_APNEA: "#3a86ff",
        EventType.MIXED_APNEA: "#8338ec",
        EventType.HYPOPNEA: "#fb8500",
        EventType.DESATURATION: "#2a9d8f",
        EventType.AROUSAL: "#555555",
    }
    for ev in scoring.events(decided_only=not include_suggestions):
        c = colors.get(ev.type)
        if c is None:
            continue
        row = 1 if ev.type in (EventType.AROUSAL, EventType.DESATURATION) else 0
        x = x_of(ev.onset_s)
        parts.append(
            f'<line x1="{x:.2f}" x2="{x:.2f}" y1="{ev_y + row * 10:.1f}" '
            f'y2="{ev_y + row * 10 + 8:.1f}" stroke="{c}" stroke-width="1"/>'
        )
    hours = int(math.ceil(n * ep / 3600))
    for h in range(hours + 1):
        x = x_of(h * 3600)
        if x > width_px - right + 0.5:
            break
        parts.append(f'<text x="{x:.1f}" y="{height_px - 6}" text-anchor="middle">{h} h</text>')
    for label, off in (("lights off", scoring.lights_off_s), ("lights on", scoring.lights_on_s)):
        if off is not None:
            x = x_of(off)
            parts.append(
                f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top}" y2="{ev_y + 18:.1f}" '
                f'stroke="#000" stroke-dasharray="3,3"><title>{label}</title></line>'
            )
    parts.append("</svg>")
    return "".join(parts)


def _fmt(x: Any, unit: str = "", nd: int = 1) -> str:
    if x is None:
        return "n/a"
    if isinstance(x, float):
        return f"{x:.{nd}f}{unit}"
    return f"{x}{unit}"


def report_html(
    report: SleepReport,
    scoring: Scoring,
    *,
    title: str = "Sleep report",
    study_name: str | None = None,
) -> str:
    """One self-contained HTML page (inline CSS and SVG, no external resources)."""
    r = report
    e = html.escape
    rows = [
        (
            "Analysis window",
            f"{r.window_start_s / 60:.1f}-{r.window_end_s / 60:.1f} min ({r.window_source})",
        ),
        ("Time in bed (TIB)", _fmt(r.tib_min, " min")),
        ("Total sleep time (TST)", _fmt(r.tst_min, " min")),
        ("Sleep efficiency", _fmt(r.sleep_efficiency_pct, " %")),
        ("Sleep-onset latency", _fmt(r.sleep_onset_latency_min, " min")),
        ("REM latency", _fmt(r.rem_latency_min, " min")),
        ("WASO", _fmt(r.waso_min, " min")),
        ("Unscored (in window)", _fmt(r.stage_min.get("?"), " min")),
    ]
    stage_rows = "".join(
        f"<tr><td>{k}</td><td>{r.stage_min[k]:.1f}</td>"
        f"<td>{_fmt(r.stage_pct_tst.get(k), ' %') if k in r.stage_pct_tst else ''}</td></tr>"
        for k in ("W", "N1", "N2", "N3", "R")
    )
    resp = [
        ("Obstructive apneas", r.n_obstructive_apneas),
        ("Central apneas", r.n_central_apneas),
        ("Mixed apneas", r.n_mixed_apneas),
        ("Apneas (unclassified: no effort channel)", r.n_other_apneas),
        ("Hypopneas", r.n_hypopneas),
        ("AHI" if r.index_basis == "sleep" else "REI (per hour of recording)", _fmt(r.ahi, " /h")),
        ("Obstructive AHI" if r.index_basis == "sleep" else "Obstructive REI", _fmt(r.obstructive_ahi, " /h")),
        ("Central apnea index", _fmt(r.central_apnea_index, " /h")),
        ("Arousals", r.n_arousals),
        ("Arousal index", _fmt(r.arousal_index, " /h")),
        ("Desaturations (>= 3 %)", _fmt(r.n_desaturations)),
        ("ODI (3 %)", _fmt(r.odi3, " /h")),
        ("SpO2 nadir", _fmt(r.spo2_nadir_pct, " %")),
        ("Severity (pediatric)", r.ahi_severity_pediatric or "n/a"),
        ("Severity (adult)", r.ahi_severity_adult or "n/a"),
        ("Respiratory rules", r.rule_set or "not stated"),
    ]
    when = ""
    if scoring.start_datetime is not None:
        when = f"<p>Recording start: {e(scoring.start_datetime.isoformat(sep=' '))}</p>"
    made = _dt.datetime.now().isoformat(sep=" ", timespec="minutes")
    notes = "".join(f"<li>{e(n)}</li>" for n in r.notes)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{e(title)}</title>
<style>
body{{font-family:sans-serif;margin:24px;color:#222;max-width:960px}}
table{{border-collapse:collapse;margin:8px 0 16px}} td,th{{border:1px solid #ccc;padding:3px 8px;text-align:left}}
th{{background:#f4f4f4}} h1{{font-size:20px}} h2{{font-size:16px;margin-top:20px}} .grid{{display:flex;gap:32px;flex-wrap:wrap}}
</style></head><body>
<h1>{e(title)}{(" — " + e(study_name)) if study_name else ""}</h1>
{when}
<h2>Hypnogram</h2>
{hypnogram_svg(scoring, include_suggestions=r.suggestions_counted)}
<div class="grid">
<div><h2>Sleep</h2><table>{"".join(f"<tr><th>{e(k)}</th><td>{e(str(v))}</td></tr>" for k, v in rows)}</table></div>
<div><h2>Stages</h2><table><tr><th>Stage</th><th>min</th><th>% TST</th></tr>{stage_rows}</table></div>
<div><h2>Respiration and arousals</h2><table>{"".join(f"<tr><th>{e(k)}</th><td>{e(str(v))}</td></tr>" for k, v in resp)}</table></div>
</div>
<p>Events are counted {"in sleep epochs only" if r.events_in_sleep_only else "over the whole window"};
{"the model's pending suggestions are counted with decided events: this is a pre-scoring to review, not a scored study." if r.suggestions_counted else "only decided events (human, imported, accepted model suggestions) are counted."}
Pediatric severity: AHI &lt; 1 normal, 1–5 mild, 5–10 moderate, &gt; 10 severe.
Adult: &lt; 5 normal, 5–15 mild, 15–30 moderate, &gt; 30 severe.</p>
{f"<ul>{notes}</ul>" if notes else ""}
<p style="color:#777">Generated by PedSleep Assist, {e(made)}.</p>
</body></html>
"""


def write_report_html(
    path: str | os.PathLike[str],
    scoring: Scoring,
    report: SleepReport | None = None,
    **kw: Any,
) -> Path:
    """Compute (unless given) and write the HTML report atomically."""
    report = report or sleep_report(scoring)
    atomic_write_text(path, report_html(report, scoring, **kw))
    return Path(path)
