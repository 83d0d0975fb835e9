"""The DREAMS database's own scorings stored as 1-Hz "signals" inside its EDF files
(Université de Mons – TCTS lab, Devuyst et al.; e.g. ``excerpt3.edf``).

Channels, one value per second:

* ``hypnogram`` — the expert's R&K stage, the same codes as ``Hypnogram_excerptN.txt``
  (5 W, 4 REM, 3/2/1 stages 1/2/3, 0 stage 4, negative unknown); a 30-s epoch takes
  the majority of its 30 seconds (engine.scoring.importers.dreams_hypnogram's rule).
* ``event_pneumo`` — the expert's respiratory events: 0 none, else a code held for
  the event's duration. The database documents no code table, so the codes were read
  off excerpt 3 itself, by what the recorded breathing does under each code (median
  amplitude of the nasal airflow NAF1 and the belts VAB/VTH over 4-s windows, against
  the seconds with no event):

  ==== ====== ============================ =========================================
  code events flow / effort vs. no event  taken as
  ==== ====== ============================ =========================================
  10   35     flow -57 %, effort -60 %     Hypopnea
  3    3      flow -85 %, effort -75 %     Mixed apnea (our rule detector, run on the
                                           same night, types one of them mixed)
  1    1      flow -89 %, effort -60 %     Obstructive apnea
  ==== ====== ============================ =========================================

  Any other non-zero code is imported as ``Possible respiratory event`` with its code
  in ``attrs["dreams_code"]`` — a guess is not made. Every event keeps its code there.
* ``event_neuro`` — the expert's arousals (micro-arousals): 1 while one lasts (3-8 s
  in excerpt 3).
* ``hypnogram_aut`` / ``event_pneumo_aut`` — an automatic analyser's output; not
  imported (it is not a reference).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from engine.errors import ScoringFormatError
from engine.scoring.importers._common import ImportResult, ScoringBuilder
from engine.scoring.importers.dreams_hypnogram import DREAMS_CODES, epoch_stage
from engine.scoring.labels import EPOCH_S, EventType, Stage

__all__ = ["PNEUMO_CODES", "import_dreams_events", "has_dreams_event_channels"]

PNEUMO_CODES: dict[int, str] = {
    10: EventType.HYPOPNEA,
    3: EventType.MIXED_APNEA,
    1: EventType.OBSTRUCTIVE_APNEA,
}
CHANNELS = ("hypnogram", "event_pneumo", "event_neuro")


def has_dreams_event_channels(study: Any) -> bool:
    labels = {s.label.strip().lower() for s in study.signals}
    return "event_pneumo" in labels or "event_neuro" in labels


def _runs(codes: np.ndarray) -> list[tuple[int, int, int]]:
    """(start, stop, code) of the non-zero runs of an integer code array."""
    out: list[tuple[int, int, int]] = []
    if codes.size == 0:
        return out
    change = np.flatnonzero(np.diff(codes) != 0) + 1
    starts = np.r_[0, change]
    stops = np.r_[change, codes.size]
    for a, b in zip(starts, stops):
        if codes[a] != 0:
            out.append((int(a), int(b), int(codes[a])))
    return out


def _channel(study: Any, name: str) -> tuple[np.ndarray, float] | None:
    for s in study.signals:
        if s.label.strip().lower() == name:
            x = np.asarray(study.read(s.index, 0.0, float(study.duration_s)), np.float64)
            return np.rint(x).astype(np.int64), float(s.sfreq_hz)
    return None


def import_dreams_events(path: str | os.PathLike[str]) -> ImportResult:
    """The expert stages, respiratory events and arousals of a DREAMS EDF (see module)."""
    from engine.io import open_study

    path = Path(path)
    study = open_study(path)
    try:
        if not has_dreams_event_channels(study):
            raise ScoringFormatError(f"{path.name}: no DREAMS event channels (event_pneumo / event_neuro)")
        b = ScoringBuilder()
        warnings: list[str] = []
        n_stage = 0
        hyp = _channel(study, "hypnogram")
        if hyp is not None:
            codes, fs = hyp
            per = int(round(EPOCH_S * fs))
            for k in range(int(np.ceil(codes.size / per))):
                chunk = codes[k * per:(k + 1) * per]
                if chunk.size < per // 2:
                    break
                st = epoch_stage([DREAMS_CODES.get(int(c), Stage.UNSCORED) for c in chunk])
                if st != Stage.UNSCORED:
                    b.add_stage_epoch(k, st)
                    n_stage += 1
        unknown: dict[int, int] = {}
        n_ev = 0
        for name, table in (("event_pneumo", PNEUMO_CODES), ("event_neuro", {1: EventType.AROUSAL})):
            ch = _channel(study, name)
            if ch is None:
                continue
            codes, fs = ch
            for a, e, code in _runs(codes):
                typ = table.get(code)
                if typ is None:
                    typ = EventType.POSSIBLE_RESPIRATORY if name == "event_pneumo" else f"DREAMS {name} {code}"
                    unknown[code] = unknown.get(code, 0) + 1
                b.add_event(a / fs, (e - a) / fs, typ, channels=(name,),
                            attrs={"dreams_channel": name, "dreams_code": code})
                n_ev += 1
        if unknown:
            warnings.append("DREAMS codes without a known meaning, imported as they are: "
                            + ", ".join(f"{c} ({n}x)" for c, n in sorted(unknown.items())))
        scoring = b.build(n_epochs=int(np.ceil(study.duration_s / EPOCH_S - 1e-9)),
                          start_datetime=getattr(study, "start_datetime", None),
                          recording_duration_s=float(study.duration_s))
        return ImportResult(scoring, "dreams-events", b.warnings + warnings, n_stage, n_ev)
    finally:
        study.close()
