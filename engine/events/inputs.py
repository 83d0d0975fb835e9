"""Which signals of a study the rules read, and reading them in physical units.

Picked by label (the canonical channel map is the fallback): a nasal pressure cannula,
an oronasal thermal sensor, a CPAP device's flow; thorax and abdomen belts (or a RIP
sum); SpO2; capnography (hypoventilation); a CPAP leak; a central EEG and the chin EMG
(arousals). A ResMed device
splits one night into ``*_BRP.edf`` (flow at 25 Hz), ``*_PLD.edf`` (leak, pressures) and
``*_SAD.edf`` (SpO2, pulse) with the same time stem: opening any one of them reads the
others too, each at its own start time.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from engine.events.rules import age_from_header

__all__ = ["Signal", "EventInput", "event_input", "read_night", "resmed_siblings"]


@dataclass(frozen=True)
class Signal:
    """One signal the rules read. ``source`` is the samples in physical units, or a reader
    that returns them (float32, the whole night at the native rate) each time ``data`` is
    asked for: the rules' steps take one signal at a time, so a night's signals are never
    all in memory at once (issue 16)."""

    source: np.ndarray | Callable[[], np.ndarray]
    sfreq_hz: float
    label: str
    kind: str  # nasal-pressure | thermistor | cpap-flow | flow | thorax | abdomen | rip-sum |
    #            spo2 | leak | eeg | emg
    unit: str = ""
    offset_s: float = 0.0  # start relative to the study's start (split files)

    @property
    def data(self) -> np.ndarray:
        return self.source() if callable(self.source) else self.source


@dataclass(frozen=True)
class EventInput:
    duration_s: float
    apnea_flow: Signal | None = None  # thermal sensor preferred (AASM), else pressure / CPAP flow
    hypopnea_flow: Signal | None = None  # nasal pressure preferred, else the same as apnea_flow
    thorax: Signal | None = None
    abdomen: Signal | None = None
    rip_sum: Signal | None = None
    spo2: Signal | None = None
    leak: Signal | None = None
    eeg: Signal | None = None
    emg: Signal | None = None
    capno: Signal | None = None  # end-tidal or transcutaneous CO2 (mmHg)
    age_years: float | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def has_effort(self) -> bool:
        return any(s is not None for s in (self.thorax, self.abdomen, self.rip_sum))


_PATTERNS: list[tuple[str, str]] = [
    # order matters: the first pattern a label matches names its kind
    ("leak", r"^leak\b"),
    ("capno", r"capno|etco2|\bco2\b|pco2|tcco2|petco2"),
    ("spo2", r"spo2|sao2|\bsat(uration)?\b|oxim|\bosat\b|\bspo₂"),
    ("nasal-pressure", r"nasal.?press|\bnpre?s*\b|cannula|pres.*flow|\bpflow\b|\bnaf\d?p\b|flow.?press|\bpnasal"),
    ("thermistor", r"therm|oro.?nasal|\bairflow\b|flow.?th|\bnaf\d?\b|\boral\b|\bnasal\b"),
    ("rip-sum", r"rip.?sum|\bsum\b|effort.?sum"),
    ("thorax", r"thor|chest|\bvth\b|\brib|\bthx\b|\bresp.?t\b"),
    ("abdomen", r"abd|\bvab\b|belly|\bresp.?a\b"),
    ("flow", r"^flow\b|\bflow\b|\bresp\b"),
]
_FLOW_UNITS = ("l/s", "l/min", "lpm", "ml/s")


def _kind(label: str, unit: str) -> str | None:
    t = label.strip().lower()
    if "press" in t and not re.search(r"nasal|cannula|flow", t):
        return None  # a CPAP's mask / set pressure is not breathing
    for kind, pat in _PATTERNS:
        if re.search(pat, t):
            if kind == "flow" and unit.strip().lower() in _FLOW_UNITS:
                return "cpap-flow"
            return kind
    return None


def resmed_siblings(path: str | Path) -> dict[str, Path]:
    """``{"BRP": path, "PLD": path, "SAD": path}`` for a ResMed file's night (those present)."""
    p = Path(path)
    m = re.match(r"^(.*)_(BRP|PLD|SAD|EVE|CSL)$", p.stem, re.IGNORECASE)
    if not m:
        return {}
    out = {}
    for part in ("BRP", "PLD", "SAD"):
        for cand in (p.with_name(f"{m.group(1)}_{part}{p.suffix}"), p.with_name(f"{m.group(1)}_{part}.edf")):
            if cand.is_file():
                out[part] = cand
                break
    return out


def read_night(study, sig) -> np.ndarray:
    """The whole night of one signal at its native rate, float32 (issue 16: a float64 copy of
    every channel the rules read made the job's peak 3.7x the file; the detectors widen to
    float64 one signal at a time, inside each step). Always a fresh array, never a view of
    the study's cached blocks, so the callers may change it in place. A continuous file is
    streamed past the study's block cache (a whole-night read would fill it and push out
    the viewer's pages); the result is the same as ``study.read`` over the night."""
    n = max(0, int(round(float(study.duration_s) * sig.sfreq_hz)))
    if not getattr(study, "is_continuous", False) or not hasattr(study, "iter_blocks"):
        x = np.asarray(study.read(sig.index, 0.0, float(study.duration_s)), np.float32)
        return x if x.base is None else x.copy()
    out = np.full(n, np.nan, np.float32)
    pos = 0
    for _r0, block in study.iter_blocks(sigs=[sig.index]):
        part = block[sig.index][: max(0, n - pos)]
        out[pos: pos + part.size] = part
        pos += part.size
    return out


def _difference(study, sig, minus_label: str | None) -> np.ndarray:
    """``sig`` minus the signal labelled ``minus_label`` (when given), float32, in place."""
    data = read_night(study, sig)
    if minus_label:
        data -= read_night(study, study.signals[study.signal_index(minus_label)])
    return data


def _reader(study, sig, minus_label: str | None = None, divide_by: float = 1.0, *, lazy: bool = True):
    """What a Signal holds: a reader of ``sig`` (minus ``minus_label``, divided by
    ``divide_by``) from the open ``study``, or (``lazy`` off: a study closed after reading,
    e.g. a ResMed sibling) the samples themselves."""

    def read() -> np.ndarray:
        data = _difference(study, sig, minus_label)
        if divide_by != 1.0:
            data /= np.float32(divide_by)
        return data

    return read if lazy else read()


def _from_study(study, chosen: dict, offset_s: float, chmap=None, *, lazy: bool = True) -> None:
    for sig in study.signals:
        if sig.sfreq_hz < 0.2:  # CRC channels and the like
            continue
        kind = _kind(sig.display_label, sig.unit)
        if kind is None or kind in chosen:
            continue
        if kind in ("nasal-pressure", "thermistor", "cpap-flow", "flow") and sig.sfreq_hz < 1:
            continue  # a 1-Hz respiration *rate* is not a flow signal
        per_min = kind == "leak" and sig.unit.strip().lower() in ("l/min", "lpm")
        data = _reader(study, sig, None, 60.0 if per_min else 1.0, lazy=lazy)
        chosen[kind] = Signal(data, float(sig.sfreq_hz), sig.display_label, kind, sig.unit, offset_s)
    if chmap is None:
        return
    # the canonical map for what the labels did not say
    for canon, kind in (("C-FLOW", "flow"), ("RESP THORACIC", "thorax"), ("RESP ABDOMINAL", "abdomen"),
                        ("SPO2", "spo2"), ("CAPNO", "capno")):
        src = chmap[canon]
        if not src.present or kind in chosen or (kind == "flow" and any(
                k in chosen for k in ("nasal-pressure", "thermistor", "cpap-flow"))):
            continue
        idx = study.signal_index(src.plus)
        sig = study.signals[idx]
        data = _reader(study, sig, src.minus, lazy=lazy)
        chosen[kind] = Signal(data, float(sig.sfreq_hz), src.describe(), kind, sig.unit, offset_s)


def _brain(study, chmap, chosen: dict) -> None:
    if chmap is None:
        return
    order = ["EEG C3-M2", "EEG C4-M1", "EEG F3-M2", "EEG F4-M1", "EEG O1-M2", "EEG O2-M1", "EEG CZ-O1"]
    for canon in order:
        src = chmap[canon]
        if src.present:
            sig = study.signals[study.signal_index(src.plus)]
            data = _reader(study, sig, src.minus)
            chosen["eeg"] = Signal(data, float(sig.sfreq_hz), src.describe(), "eeg", sig.unit)
            break
    src = chmap["EMG CHIN1-CHIN2"]
    if src.present:
        sig = study.signals[study.signal_index(src.plus)]
        data = _reader(study, sig, src.minus)
        chosen["emg"] = Signal(data, float(sig.sfreq_hz), src.describe(), "emg", sig.unit)


def _rip_sum(thorax: Signal | None, abdomen: Signal | None) -> Signal | None:
    """Thorax + abdomen belts summed (the abdomen brought to the thorax's rate)."""
    if thorax is None or abdomen is None:
        return None

    def read() -> np.ndarray:
        th, abd = thorax.data, abdomen.data
        t_th = thorax.offset_s + np.arange(th.size) / thorax.sfreq_hz
        t_ab = abdomen.offset_s + np.arange(abd.size) / abdomen.sfreq_hz
        ab = np.interp(t_th, t_ab, abd, left=np.nan, right=np.nan)
        ab += th
        return ab.astype(np.float32)

    return Signal(read, thorax.sfreq_hz, f"{thorax.label} + {abdomen.label}", "rip-sum",
                  thorax.unit, thorax.offset_s)


def event_input(study, chmap=None) -> EventInput:
    """The signals the rules need from an open study (and its ResMed siblings, read at
    once). The study's own signals are read when a rule step asks for them: keep the study
    open until the rules have run."""
    from engine.io import open_study

    chosen: dict[str, Signal] = {}
    notes: list[str] = []
    _from_study(study, chosen, 0.0, chmap)
    _brain(study, chmap, chosen)
    duration = float(study.duration_s)
    sib = resmed_siblings(getattr(study, "path", ""))
    t0 = getattr(study, "start_datetime", None)
    for part, p in sib.items():
        if Path(p).resolve() == Path(study.path).resolve():
            continue
        try:
            other = open_study(p)
        except Exception as exc:  # noqa: BLE001 - a damaged sibling only loses its signals
            notes.append(f"{Path(p).name}: not read ({exc})")
            continue
        try:
            off = (other.start_datetime - t0).total_seconds() if t0 is not None else 0.0
            _from_study(other, chosen, float(off), None, lazy=False)  # closed below: read now
            notes.append(f"also read {Path(p).name} ({part}), starting {off:+.0f} s")
        finally:
            other.close()
    flows = {k: chosen.get(k) for k in ("thermistor", "nasal-pressure", "cpap-flow", "flow")}
    apnea = flows["thermistor"] or flows["cpap-flow"] or flows["nasal-pressure"] or flows["flow"]
    hyp = flows["nasal-pressure"] or flows["cpap-flow"] or flows["flow"] or flows["thermistor"]
    if apnea is None:
        rip = chosen.get("rip-sum") or _rip_sum(chosen.get("thorax"), chosen.get("abdomen"))
        if rip is not None:  # AASM: the alternative apnea and hypopnea sensor
            apnea = hyp = rip
            notes.append(f"no airflow channel: the RIP sum ({rip.label}) stands in for it (AASM alternative sensor)")
    age = age_from_header(getattr(study, "patient", ""), t0)
    return EventInput(duration, apnea, hyp, chosen.get("thorax"), chosen.get("abdomen"), chosen.get("rip-sum"),
                      chosen.get("spo2"), chosen.get("leak"), chosen.get("eeg"), chosen.get("emg"),
                      chosen.get("capno"), age, tuple(notes))
