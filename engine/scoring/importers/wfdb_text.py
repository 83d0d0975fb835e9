"""WFDB annotations as printed by ``rdann`` (MIT-BIH Polysomnographic Database, slpdb).

Each line annotates the 30-s epoch starting at its time; the aux string holds the stage
first (``W``, ``1``, ``2``, ``3``, ``4`` (3, 4 -> N3), ``R``, ``MT`` movement time; ``M``
occurs as a typo of MT in slp45) and then event codes for that epoch:

=====  ==========================================  ======================================
code   meaning (PhysioNet slpdb notes)             events made here
=====  ==========================================  ======================================
H      hypopnea                                    Hypopnea
HA     hypopnea with arousal                       Hypopnea + Arousal
OA     obstructive apnea                           Obstructive apnea
X      obstructive apnea with arousal              Obstructive apnea + Arousal
CA     central apnea                               Central apnea
CAA    central apnea with arousal                  Central apnea + Arousal
L      leg movements (``LL``, ``LLL``: typos)      Limb movement
LA     leg movements with arousal                  Limb movement + Arousal
A      arousal                                     Arousal
MT     movement time                               Movement time
=====  ==========================================  ======================================

The files give no event durations: each event is placed on its epoch (onset = epoch
start, duration = 30 s) with ``attrs["timing"] = "epoch"``. The sampling rate and start
time come from the ``.hea`` file beside the ``.an`` file when present, else the
elapsed-time column is used.
"""

from __future__ import annotations

import datetime as _dt
import os
import re
from pathlib import Path

from engine.errors import ScoringFormatError
from engine.scoring.importers._common import ImportResult, ScoringBuilder
from engine.scoring.labels import EPOCH_S, EventType, Stage

_STAGES = {
    "W": Stage.W,
    "1": Stage.N1,
    "2": Stage.N2,
    "3": Stage.N3,
    "4": Stage.N3,
    "R": Stage.R,
    "MT": Stage.UNSCORED,
    "M": Stage.UNSCORED,
}

_EVENTS: dict[str, tuple[str, ...]] = {
    "H": (EventType.HYPOPNEA,),
    "HA": (EventType.HYPOPNEA, EventType.AROUSAL),
    "OA": (EventType.OBSTRUCTIVE_APNEA,),
    "X": (EventType.OBSTRUCTIVE_APNEA, EventType.AROUSAL),
    "CA": (EventType.CENTRAL_APNEA,),
    "CAA": (EventType.CENTRAL_APNEA, EventType.AROUSAL),
    "L": (EventType.LIMB_MOVEMENT,),
    "LA": (EventType.LIMB_MOVEMENT, EventType.AROUSAL),
    "A": (EventType.AROUSAL,),
    "MT": (EventType.MOVEMENT_TIME,),
}

_LINE = re.compile(
    r"^\s*\[?([\d:.]+)\]?\s+(\d+)\s+(\S+)\s+(-?\d+)\s+(-?\d+)\s+(-?\d+)(?:\t|\s+)?(.*)$"
)


def _elapsed_s(text: str) -> float:
    parts = [float(p) for p in text.split(":")]
    s = 0.0
    for p in parts:
        s = s * 60 + p
    return s


def read_header(hea: Path) -> tuple[float | None, _dt.datetime | None]:
    """(sampling frequency, start datetime) from a WFDB ``.hea`` record line."""
    try:
        first = hea.read_text(encoding="latin-1").splitlines()[0].split()
    except (OSError, IndexError):
        return None, None
    fs = None
    if len(first) >= 3:
        m = re.match(r"([\d.]+)", first[2])
        fs = float(m.group(1)) if m else None
    start = None
    if len(first) >= 6:
        for fmt in ("%H:%M:%S %d/%m/%Y", "%H:%M:%S %d/%m/%y"):
            try:
                start = _dt.datetime.strptime(f"{first[4]} {first[5]}", fmt)
                break
            except ValueError:
                continue
    return fs, start


def import_wfdb_text(
    path: str | os.PathLike[str], *, n_epochs: int | None = None, epoch_s: float = EPOCH_S
) -> ImportResult:
    path = Path(path)
    fs, start = read_header(path.with_suffix(".hea"))
    b = ScoringBuilder(epoch_s)
    unknown: dict[str, int] = {}
    n_lines = 0
    for line in path.read_text(encoding="latin-1").splitlines():
        m = _LINE.match(line)
        if not m:
            continue
        n_lines += 1
        onset = int(m[2]) / fs if fs else _elapsed_s(m[1])
        aux = m[7].split()
        if not aux:
            continue
        epoch = b.epoch_index(onset)
        epoch_onset = epoch * epoch_s
        tokens = aux
        if aux[0] in _STAGES:
            b.add_stage_epoch(epoch, _STAGES[aux[0]])
            if aux[0] in ("MT", "M"):
                b.add_event(
                    epoch_onset,
                    epoch_s,
                    EventType.MOVEMENT_TIME,
                    attrs={"source_label": aux[0], "timing": "epoch"},
                )
            tokens = aux[1:]
        for tok in tokens:
            key = "L" if re.fullmatch(r"L{2,}", tok) else tok
            types = _EVENTS.get(key)
            if types is None:
                unknown[tok] = unknown.get(tok, 0) + 1
                types = (tok,)
            for t in types:
                b.add_event(epoch_onset, epoch_s, t, attrs={"source_label": tok, "timing": "epoch"})
    if n_lines == 0:
        raise ScoringFormatError(f"{path.name}: no rdann annotation lines found")
    if unknown:
        b.warnings.append(f"{path.name}: unknown aux codes kept as events: {unknown}")
    return b.result("wfdb-text", n_epochs=n_epochs, start_datetime=start)
