"""Noxturnal (Nox Medical) event exports: UTF-16 CSV, French (or English) labels.

Columns ``Heure de début, Heure de fin, Événement, Durée`` (``Start Time, End Time,
Event, Duration`` in English exports), a units row ``[],[],[],[s]``, then one row per
item with absolute clock times ``dd/mm/yyyy HH:MM:SS``. Stage rows (``Éveil``, ``N1``,
``N2``, ``N3``, ``REM``) fill the epochs; every other row becomes an event (``Micro-éveil``
-> Arousal, ``A. Obstructive``/``A. Centrale``/``A. Mixte`` -> apneas, ``Hypopnée``,
``Désat`` -> Oxygen desaturation, ``MJ`` -> Limb movement; unknown labels such as body
positions or ``Notification`` are kept as they are).

Onsets are seconds after ``recording_start`` (the study's EDF start, when the caller has
it). Without it the origin is put on the epoch grid of the first stage row, early enough
that no row has a negative onset, and a warning says so.
"""

from __future__ import annotations

import csv
import datetime as _dt
import io
import math
import os
from pathlib import Path

from engine.errors import ScoringFormatError
from engine.scoring.importers._common import ImportResult, ScoringBuilder
from engine.scoring.labels import EPOCH_S, Stage, event_type_from_text, normalize_text

_NOX_STAGES = {
    "eveil": Stage.W,
    "wake": Stage.W,
    "n1": Stage.N1,
    "n2": Stage.N2,
    "n3": Stage.N3,
    "rem": Stage.R,
    "sommeil paradoxal": Stage.R,
    "non classe": Stage.UNSCORED,
    "unscored": Stage.UNSCORED,
}
_SKIP = {"debut de l'analyse", "fin de l'analyse", "analysis start", "analysis stop"}


def _decode(raw: bytes) -> str:
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return raw.decode("utf-16")
    for enc in ("utf-8-sig", "cp1252"):
        try:
            return raw.decode(enc)
        except UnicodeDecodeError:
            continue
    return raw.decode("latin-1")


def _parse_dt(text: str) -> _dt.datetime:
    text = text.strip()
    for fmt in (
        "%d/%m/%Y %H:%M:%S",
        "%d/%m/%Y %H:%M:%S.%f",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M:%S.%f",
        "%m/%d/%Y %H:%M:%S",
    ):
        try:
            return _dt.datetime.strptime(text, fmt)
        except ValueError:
            continue
    raise ValueError(text)


def looks_like_noxturnal(head: bytes | str) -> bool:
    """True when the first line is a Noxturnal export header."""
    if isinstance(head, bytes):
        head = head[:4000]
        text = _decode(
            head[: len(head) // 2 * 2] if head[:2] in (b"\xff\xfe", b"\xfe\xff") else head
        )
    else:
        text = head
    first = normalize_text(text.splitlines()[0]) if text else ""
    return ("heure de debut" in first and "evenement" in first) or (
        "start time" in first and "end time" in first and "event" in first
    )


def import_noxturnal_csv(
    path: str | os.PathLike[str],
    *,
    recording_start: _dt.datetime | None = None,
    n_epochs: int | None = None,
    epoch_s: float = EPOCH_S,
    keep_markers: bool = True,
) -> ImportResult:
    """``keep_markers``: keep rows like ``Début de l'analyse`` as events too (they are
    counted as events in the file's totals)."""
    path = Path(path)
    text = _decode(path.read_bytes())
    rows = list(csv.reader(io.StringIO(text)))
    if not rows or not looks_like_noxturnal(text[:4000]):
        raise ScoringFormatError(f"{path.name}: not a Noxturnal event export")
    items = []
    bad = 0
    for row in rows[1:]:
        if len(row) < 3 or not row[0].strip() or row[0].strip().startswith("["):
            continue
        try:
            t0 = _parse_dt(row[0])
            t1 = _parse_dt(row[1]) if row[1].strip() else t0
        except ValueError:
            bad += 1
            continue
        dur = (t1 - t0).total_seconds()
        if len(row) > 3 and row[3].strip():
            try:
                dur = float(row[3].replace(",", "."))
            except ValueError:
                pass
        items.append((t0, dur, row[2].strip()))
    if not items:
        raise ScoringFormatError(f"{path.name}: no rows")
    b = ScoringBuilder(epoch_s)
    if recording_start is None:
        stage_t = [t for t, _d, lab in items if normalize_text(lab) in _NOX_STAGES]
        first_stage = min(stage_t) if stage_t else min(t for t, _d, _l in items)
        earliest = min(t for t, _d, _l in items)
        back = math.ceil((first_stage - earliest).total_seconds() / epoch_s - 1e-9)
        origin = first_stage - _dt.timedelta(seconds=back * epoch_s)
        b.warnings.append(
            f"{path.name}: recording start not given; time 0 is {origin:%d/%m/%Y %H:%M:%S} "
            "(on the epoch grid of the first stage row)"
        )
    else:
        origin = recording_start
    for t0, dur, label in items:
        onset = (t0 - origin).total_seconds()
        norm = normalize_text(label)
        st = _NOX_STAGES.get(norm)
        if st is not None:
            b.add_stage_span(onset, dur, st)
            continue
        if norm in _SKIP and not keep_markers:
            continue
        etype = event_type_from_text(label)
        b.add_event(onset, dur, etype, attrs={"source_label": label} if etype != label else {})
    if bad:
        b.warnings.append(f"{path.name}: {bad} row(s) with unreadable times skipped")
    return b.result("noxturnal-csv", n_epochs=n_epochs, start_datetime=origin)
