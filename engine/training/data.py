"""Nights for training and scoring: from arrays, from EDF studies, from the generator.

A ``ScoredNight`` is a prepared night (see engine.model.preprocess) with, when known, its
stages per 30-s epoch (0..4 = W, N1, N2, N3, R; -1 unscored) and events
(type, onset_s, duration_s) in the docs/architecture.md vocabulary.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from engine.channels.model_input import load_study_input
from engine.epochs import EPOCH_S
from engine.errors import UserError
from engine.model.preprocess import NightInput, prepare_night

log = logging.getLogger(__name__)

MIXED_TO_OBSTRUCTIVE = True


@dataclass
class ScoredNight:
    name: str
    night: NightInput
    stages: np.ndarray | None = None  # [n_epochs] int8
    events: list[tuple[str, float, float]] = field(default_factory=list)
    channel_names: tuple[str, ...] = ()

    @property
    def n_epochs(self) -> int:
        return self.night.n_epochs


def compact_night(night: NightInput) -> NightInput:
    """Same night with the signals stored as float16 (half the memory, for training)."""
    return NightInput(night.z.astype(np.float16), night.present, night.flat, night.center, night.scale)


def normalize_event_type(t: str) -> str | None:
    from engine.scoring.labels import EventType

    if t in EventType.MODEL_TYPES:
        return t
    if t == EventType.MIXED_APNEA and MIXED_TO_OBSTRUCTIVE:
        return EventType.OBSTRUCTIVE_APNEA
    try:
        from engine.scoring.labels import event_type_from_text

        t2 = event_type_from_text(t)
    except Exception:  # noqa: BLE001
        t2 = None
    if t2 == EventType.MIXED_APNEA and MIXED_TO_OBSTRUCTIVE:
        return EventType.OBSTRUCTIVE_APNEA
    return t2 if t2 in EventType.MODEL_TYPES else None


def expand_study_paths(paths) -> list[Path]:
    """EDF/BDF files given directly or found (recursively) in folders; sorted."""
    out: list[Path] = []
    for p in paths:
        p = Path(p)
        if p.is_dir():
            out += sorted(q for q in p.rglob("*") if q.suffix.lower() in (".edf", ".bdf")
                          and not q.name.endswith(".scored.edf"))
        elif p.is_file():
            out.append(p)
        else:
            raise UserError(f"{p}: no such study file or folder")
    if not out:
        raise UserError("no EDF studies found in " + ", ".join(map(str, paths)))
    return out


def _truth_for(path: Path):
    """The generator's ground-truth sidecar ``<stem>.truth.json``, if any."""
    cand = path.with_name(path.stem + ".truth.json")
    if not cand.is_file():
        return None
    return json.loads(cand.read_text())


def truth_stages_events(truth: dict, n_epochs: int):
    stages = np.full(n_epochs, -1, np.int8)
    st = truth.get("stages") or truth.get("hypnogram") or []
    st = [_stage_code(s) for s in st]
    n = min(len(st), n_epochs)
    stages[:n] = st[:n]
    events = []
    for e in truth.get("events", []):
        t = normalize_event_type(e.get("type") or e.get("label") or e.get("text") or "")
        if t is None:
            continue
        events.append((t, float(e.get("onset_s", e.get("onset", 0.0))),
                       float(e.get("duration_s", e.get("duration", 0.0)))))
    return stages, events


def _stage_code(s) -> int:
    if isinstance(s, (int, np.integer)):
        return int(s)
    m = {"W": 0, "N1": 1, "N2": 2, "N3": 3, "R": 4, "REM": 4}
    s = str(s).replace("Sleep stage ", "").strip().upper()
    return m.get(s, -1)


def load_scored_study(path, *, labels: bool = True, half: bool = False) -> ScoredNight:
    """An EDF study prepared for the model; stages/events from ``<stem>.truth.json`` (the
    generator's sidecar) or from the file's own annotations when present."""
    path = Path(path)
    x, present, names, study = load_study_input(path)
    night = prepare_night(x, present)
    if half:
        night = compact_night(night)
    sn = ScoredNight(path.stem, night, channel_names=names)
    if labels:
        truth = _truth_for(path)
        if truth is not None:
            sn.stages, sn.events = truth_stages_events(truth, night.n_epochs)
        else:
            sn.stages, sn.events = _annotations_of(study, night.n_epochs)
    try:
        study.close()
    except Exception:  # noqa: BLE001
        pass
    return sn


def _annotations_of(study, n_epochs):
    """Stages and events from the study's EDF+ annotations (via the scoring vocabulary)."""
    try:
        from engine.scoring.labels import stage_from_text
    except Exception:  # noqa: BLE001
        return None, []
    anns = getattr(study, "annotations", None)
    if callable(anns):
        anns = anns()
    if not anns:
        return None, []
    stages = np.full(n_epochs, -1, np.int8)
    events = []
    any_stage = False
    for a in anns:
        text = a.text.split("|")[0].split(" [")[0].strip()
        st = None
        try:
            st = stage_from_text(text)
        except Exception:  # noqa: BLE001
            st = None
        if st is not None and int(st) >= 0:
            i0 = int(round(a.onset_s / EPOCH_S))
            n = max(1, int(round((a.duration_s or EPOCH_S) / EPOCH_S)))
            stages[i0:i0 + n] = int(st)
            any_stage = True
            continue
        t = normalize_event_type(text)
        if t is not None:
            events.append((t, float(a.onset_s), float(a.duration_s)))
    return (stages if any_stage else None), events


def synth_model_input(night_obj) -> tuple[np.ndarray, np.ndarray]:
    """``engine.synth.Night`` -> (x [16, T] float32 at 128 Hz, present [16] bool)."""
    from engine.channels.canonical import CANONICAL_NAMES, EPOCH_SAMPLES
    from engine.channels.model_input import to_model_rate

    n_t = len(night_obj.stages) * EPOCH_SAMPLES
    x = np.zeros((len(CANONICAL_NAMES), n_t), np.float32)
    present = np.zeros(len(CANONICAL_NAMES), bool)
    for c, name in enumerate(CANONICAL_NAMES):
        sig = night_obj.signals.get(name)
        if sig is None:
            continue
        y = to_model_rate(sig, night_obj.sfreq_hz[name], c)[:n_t]
        x[c, : len(y)] = y
        present[c] = True
    return x, present


def night_from_synth(night_obj, name: str = "synth") -> ScoredNight:
    """A ScoredNight (with truth) from ``engine.synth.generate_night(...)``."""
    x, present = synth_model_input(night_obj)
    sn = ScoredNight(name, prepare_night(x, present))
    codes = {"W": 0, "N1": 1, "N2": 2, "N3": 3, "R": 4}
    sn.stages = np.array([codes.get(s, -1) for s in night_obj.stages], np.int8)[: sn.n_epochs]
    sn.events = [(t, float(e.onset_s), float(e.duration_s)) for e in night_obj.events
                 if (t := normalize_event_type(e.type))]
    return sn
