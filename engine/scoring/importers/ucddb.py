"""St. Vincent's University Hospital / UCD sleep apnea database (PhysioNet UCDDB).

``ucddbNNN_stage.txt``: one code per 30-s epoch: 0 Wake, 1 REM, 2 Stage 1, 3 Stage 2,
4 Stage 3, 5 Stage 4 (3 and 4 -> N3), 6 artifact, 7 indeterminate (both unscored). The
real files also hold code 8 (runs of it in ucddb008, not in the database notes): read as
unscored and reported.

``ucddbNNN_respevt.txt``: a fixed-width table ``Time Type PB/CS Duration Low %Drop Snore
Arousal Rate Change``; ``Time`` is a clock time (hh:mm:ss). Types: APNEA-O/C/M,
HYP-O/C/M, ``PB EVENT`` (periodic breathing), ``POSSIBLE`` (possible event). Onsets are
seconds after the study start clock time given by the caller (``study_start``); without
it, after the first event's clock time (and a warning says so). Times past midnight wrap.
"""

from __future__ import annotations

import datetime as _dt
import os
import re
from pathlib import Path

from engine.errors import ScoringFormatError
from engine.scoring.importers._common import ImportResult, ScoringBuilder, time_of_day_s
from engine.scoring.labels import EPOCH_S, EventType, Stage

UCDDB_STAGE_CODES: dict[int, Stage] = {
    0: Stage.W,
    1: Stage.R,
    2: Stage.N1,
    3: Stage.N2,
    4: Stage.N3,
    5: Stage.N3,
    6: Stage.UNSCORED,  # artifact
    7: Stage.UNSCORED,  # indeterminate
}

_RESP_TYPES: dict[str, tuple[str, dict[str, object]]] = {
    "APNEA-O": (EventType.OBSTRUCTIVE_APNEA, {}),
    "APNEA-C": (EventType.CENTRAL_APNEA, {}),
    "APNEA-M": (EventType.MIXED_APNEA, {}),
    "HYP-O": (EventType.HYPOPNEA, {"hypopnea_kind": "obstructive"}),
    "HYP-C": (EventType.HYPOPNEA, {"hypopnea_kind": "central"}),
    "HYP-M": (EventType.HYPOPNEA, {"hypopnea_kind": "mixed"}),
    "PB": (EventType.PERIODIC_BREATHING, {}),
    "POSSIBLE": (EventType.POSSIBLE_RESPIRATORY, {}),
}

_ROW = re.compile(r"^\s*(\d{1,2}):(\d{2}):(\d{2})\s+(.*)$")


def import_ucddb_stage(
    path: str | os.PathLike[str], *, n_epochs: int | None = None, epoch_s: float = EPOCH_S
) -> ImportResult:
    path = Path(path)
    b = ScoringBuilder(epoch_s)
    text = path.read_bytes().decode("latin-1").replace("\x1a", "")
    odd: dict[int, int] = {}
    i = 0
    for line in text.splitlines():
        s = line.strip()
        if not s:
            continue
        try:
            code = int(s)
        except ValueError as exc:
            raise ScoringFormatError(
                f"{path.name}: line {i + 1} is not a stage code: {s!r}"
            ) from exc
        st = UCDDB_STAGE_CODES.get(code)
        if st is None:
            odd[code] = odd.get(code, 0) + 1
            st = Stage.UNSCORED
        b.add_stage_epoch(i, st)
        i += 1
    if odd:
        b.warnings.append(
            f"{path.name}: undocumented stage code(s) "
            + ", ".join(f"{c} ({n} epochs)" for c, n in sorted(odd.items()))
            + " read as unscored"
        )
    return b.result("ucddb-stage", n_epochs=n_epochs)


def _parse_start(study_start: _dt.datetime | _dt.time | str | float | None) -> float | None:
    """Study start as seconds after midnight."""
    if study_start is None:
        return None
    if isinstance(study_start, (int, float)):
        return float(study_start)
    if isinstance(study_start, _dt.datetime):
        return time_of_day_s(study_start.time())
    if isinstance(study_start, _dt.time):
        return time_of_day_s(study_start)
    m = re.fullmatch(r"\s*(\d{1,2})[:.](\d{2})[:.](\d{2})\s*", str(study_start))
    if not m:
        raise ScoringFormatError(f"study start {study_start!r} is not hh:mm:ss")
    return int(m[1]) * 3600 + int(m[2]) * 60 + int(m[3])


def import_ucddb_respevt(
    path: str | os.PathLike[str],
    *,
    study_start: _dt.datetime | _dt.time | str | float | None = None,
    n_epochs: int | None = None,
    epoch_s: float = EPOCH_S,
    builder: ScoringBuilder | None = None,
) -> ImportResult:
    path = Path(path)
    b = builder or ScoringBuilder(epoch_s)
    text = path.read_bytes().decode("latin-1").replace("\x1a", "")
    origin = _parse_start(study_start)
    rows = []
    bad = 0
    for line in text.splitlines():
        m = _ROW.match(line)
        if not m:
            continue
        clock = int(m[1]) * 3600 + int(m[2]) * 60 + int(m[3])
        rest = m[4]
        tokens = rest.split()
        if not tokens:
            bad += 1
            continue
        kind = tokens[0]
        i = 1
        if kind == "PB" and len(tokens) > 1 and tokens[1] == "EVENT":
            i = 2
        if i < len(tokens) and tokens[i] in ("PB", "CS"):
            pbcs = tokens[i]
            i += 1
        else:
            pbcs = None
        try:
            duration = float(tokens[i])
        except (IndexError, ValueError):
            bad += 1
            continue
        nums = []
        for t in tokens[i + 1 :]:
            if t in ("+", "-"):
                break
            try:
                nums.append(float(t))
            except ValueError:
                break
        rows.append((clock, kind, pbcs, duration, nums, line))
    if origin is None and rows:
        origin = rows[0][0]
        b.warnings.append(
            f"{path.name}: study start not given; onsets are seconds after the first event "
            f"({rows[0][0] // 3600:02d}:{rows[0][0] // 60 % 60:02d}:{rows[0][0] % 60:02d})"
        )
    unknown: dict[str, int] = {}
    for clock, kind, pbcs, duration, nums, _line in rows:
        assert origin is not None  # set above whenever there are rows
        onset = clock - origin
        if onset < -6 * 3600:  # after midnight
            onset += 24 * 3600
        etype, attrs = _RESP_TYPES.get(kind, (None, {}))
        if etype is None:
            unknown[kind] = unknown.get(kind, 0) + 1
            etype = kind
        attrs = dict(attrs, source_label=kind if kind != "PB" else "PB EVENT")
        if pbcs:
            attrs["pb_cs"] = pbcs
        if len(nums) >= 2:
            attrs["spo2_nadir_pct"] = nums[0]
            attrs["desat_drop_pct"] = nums[1]
        b.add_event(onset, duration, etype, attrs=attrs)
    if bad:
        b.warnings.append(f"{path.name}: {bad} line(s) not understood; skipped")
    if unknown:
        b.warnings.append(f"{path.name}: unknown event types kept as they are: {unknown}")
    if builder is not None:
        return ImportResult(b.build(n_epochs=n_epochs), "ucddb-respevt", b.warnings)
    return b.result("ucddb-respevt", n_epochs=n_epochs)


def _recording_start_beside(stage_path: Path) -> _dt.datetime | None:
    """The start of the subject's recording lying beside its stage file (UCDDB ships
    ``ucddb002.rec``, an EDF), from its header; None when there is none."""
    from engine.io.edf_header import read_raw_header

    subject = stage_path.name[: -len("_stage.txt")] if stage_path.name.endswith("_stage.txt") else stage_path.stem
    for suffix in (".rec", ".edf", ".REC", ".EDF"):
        cand = stage_path.with_name(subject + suffix)
        if cand.is_file():
            try:
                return read_raw_header(str(cand)).start
            except Exception:  # noqa: BLE001 - an unreadable recording places nothing
                return None
    return None


def import_ucddb(
    stage_path: str | os.PathLike[str],
    respevt_path: str | os.PathLike[str] | None = None,
    *,
    study_start: _dt.datetime | _dt.time | str | float | None = None,
    n_epochs: int | None = None,
) -> ImportResult:
    """A UCDDB subject: stages plus, when present beside it (or given), the respiratory
    events. The events carry clock times and the stages do not, so the events are merged
    only when ``study_start`` (the recording's start: the study's EDF, or the caller)
    places them; without it the stages come alone and a warning says why (merged at the
    first event's time, a third of ucddb002's events fell in wake epochs and its AHI read
    18 instead of what the lab scored)."""
    stage_path = Path(stage_path)
    res = import_ucddb_stage(stage_path, n_epochs=n_epochs)
    if respevt_path is None:
        cand = stage_path.with_name(stage_path.name.replace("_stage.txt", "_respevt.txt"))
        respevt_path = cand if cand.exists() and cand != stage_path else None
    if respevt_path is None:
        return res
    if study_start is None:
        study_start = _recording_start_beside(stage_path)
    if study_start is None:
        res.events_not_placed = import_ucddb_respevt(respevt_path, study_start=0.0).n_events
        res.warnings.append(
            f"{Path(respevt_path).name} was not merged: its {res.events_not_placed} events are clock "
            "times and the recording's start is not known (import onto the recording, or give the "
            "study start)"
        )
        return res
    ev = import_ucddb_respevt(respevt_path, study_start=study_start)
    doc = res.scoring
    for e in ev.scoring.events(include_rejected=True):
        if e.onset_s < doc.duration_s:
            doc._events[doc._next_event_id] = type(e)(
                doc._next_event_id,
                e.onset_s,
                e.duration_s,
                e.type,
                e.channels,
                e.provenance,
                e.confidence,
                e.attrs,
            )
            doc._next_event_id += 1
    res.warnings += ev.warnings
    res.n_events = doc.n_events
    res.format = "ucddb"
    return res
