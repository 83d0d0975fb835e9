"""Import scorings from other tools. `import_scoring(path)` detects the format by content
and extension (`detect_format`) and returns an `ImportResult` whose ``scoring`` has every
item with provenance ``imported``.

Formats: ``edf`` (EDF+/BDF+ annotations), ``csv-hypnogram`` (CSV/TSV hypnograms, BIDS
events.tsv), ``nsrr-xml``, ``ucddb-stage`` (merged with its ``_respevt.txt`` sibling),
``ucddb-respevt``, ``wfdb-text`` (rdann output), ``noxturnal-csv``, ``dreams-hypnogram``
(DREAMS ``Hypnogram_excerptN.txt``: 5-s R&K codes, 30-s epochs by majority),
``dreams-events`` (a DREAMS EDF's own 1-Hz scoring channels ``hypnogram``,
``event_pneumo``, ``event_neuro``; chosen for an EDF that holds them).
"""

from __future__ import annotations

import datetime as _dt
import os
from pathlib import Path

from engine.errors import ScoringFormatError
from engine.scoring.document import Scoring
from engine.scoring.importers._common import ImportResult, ScoringBuilder
from engine.scoring.importers.csv_hypnogram import import_csv_hypnogram
from engine.scoring.importers.dreams_events import import_dreams_events
from engine.scoring.importers.dreams_hypnogram import import_dreams_hypnogram, looks_like_dreams
from engine.scoring.importers.edf_annotations import import_edf_annotations, read_edf_annotations
from engine.scoring.importers.noxturnal_csv import import_noxturnal_csv, looks_like_noxturnal
from engine.scoring.importers.nsrr_xml import import_nsrr_xml
from engine.scoring.importers.ucddb import (
    import_ucddb,
    import_ucddb_respevt,
    import_ucddb_stage,
)
from engine.scoring.importers.wfdb_text import import_wfdb_text

__all__ = [
    "FORMATS",
    "ImportResult",
    "ScoringBuilder",
    "detect_format",
    "shift_scoring",
    "import_scoring",
    "import_csv_hypnogram",
    "import_dreams_hypnogram",
    "import_edf_annotations",
    "import_noxturnal_csv",
    "import_nsrr_xml",
    "import_ucddb",
    "import_ucddb_respevt",
    "import_ucddb_stage",
    "import_wfdb_text",
    "read_edf_annotations",
]

FORMATS = (
    "edf",
    "csv-hypnogram",
    "nsrr-xml",
    "ucddb-stage",
    "ucddb-respevt",
    "wfdb-text",
    "noxturnal-csv",
    "dreams-hypnogram",
    "dreams-events",
)


def shift_scoring(scoring: Scoring, offset_s: float) -> Scoring:
    """A copy with every time moved by ``offset_s`` (stages by whole epochs, rounded;
    items moved before 0 are dropped)."""
    d = scoring.to_dict()
    k = int(round(offset_s / scoring.epoch_s))
    n = d["n_epochs"]
    for key, fill in (
        ("stage", -1),
        ("stage_prov", -1),
        ("stage_conf", None),
        ("sugg_proba", None),
        ("sugg_state", -1),
        ("sugg_source", ""),
    ):
        arr = d[key]
        d[key] = (arr[-k:] if k < 0 else [fill] * k + arr)[: max(0, n + k)]
    d["n_epochs"] = max(0, n + k)
    d["events"] = [
        dict(e, onset_s=e["onset_s"] + offset_s)
        for e in d["events"]
        if e["onset_s"] + offset_s >= 0
    ]
    for key in ("lights_off_s", "lights_on_s"):
        if d[key] is not None:
            d[key] = d[key] + offset_s if d[key] + offset_s >= 0 else None
    d["recording_duration_s"] = d["n_epochs"] * scoring.epoch_s
    return Scoring.from_dict(d)


def _has_dreams_channels(path: Path) -> bool:
    """An EDF carrying the DREAMS database's scoring channels (``event_pneumo`` …)."""
    try:
        from engine.io.edf_header import read_raw_header

        labels = {s.label.strip().lower() for s in read_raw_header(str(path)).signals}
    except Exception:  # noqa: BLE001 - not readable here: the EDF importer says why
        return False
    return "event_pneumo" in labels or "event_neuro" in labels


def detect_format(path: str | os.PathLike[str]) -> str:
    """Name of the format of ``path`` (see FORMATS), by content first, then extension."""
    path = Path(path)
    try:
        with open(path, "rb") as fh:
            head = fh.read(4096)
    except OSError as exc:
        raise ScoringFormatError(f"cannot read {path}: {exc}") from exc
    name = path.name.lower()
    if len(head) >= 256 and (head[:8] == b"0       " or head[:8] == b"\xffBIOSEMI"):
        return "dreams-events" if _has_dreams_channels(path) else "edf"
    if head[:2] in (b"\xff\xfe", b"\xfe\xff") and looks_like_noxturnal(head[: len(head) // 2 * 2]):
        return "noxturnal-csv"
    stripped = head.lstrip(b"\xef\xbb\xbf \r\n\t")
    if (
        stripped.startswith(b"<?xml")
        or stripped.startswith(b"<PSGAnnotation")
        or name.endswith(".xml")
    ):
        return "nsrr-xml"
    if name.endswith("_stage.txt"):
        return "ucddb-stage"
    if name.endswith("_respevt.txt") or b"Respiratory Event List" in head:
        return "ucddb-respevt"
    first = head.split(b"\n", 1)[0]
    if name.endswith(".an") or (b"Sample #" in first and b"Aux" in first):
        return "wfdb-text"
    if looks_like_noxturnal(head[: len(head) // 2 * 2]):
        return "noxturnal-csv"
    if looks_like_dreams(head, path.name):
        return "dreams-hypnogram"
    if name.endswith((".csv", ".tsv", ".txt", ".hyp")):
        return "csv-hypnogram"
    if name.endswith((".edf", ".bdf", ".rec")):
        return "edf"
    raise ScoringFormatError(f"{path.name}: unknown scoring format")


def import_scoring(
    path: str | os.PathLike[str],
    *,
    format: str | None = None,
    n_epochs: int | None = None,
    recording_start: _dt.datetime | None = None,
) -> ImportResult:
    """Import any supported scoring file. ``n_epochs`` fits the result to a recording
    (extra epochs/events beyond it are dropped, with a warning); ``recording_start`` (the
    study's start datetime) anchors formats that carry clock times (Noxturnal, UCDDB
    respiratory events)."""
    path = Path(path)
    if not path.exists():
        raise ScoringFormatError(f"{path}: no such file")
    if path.suffix.lower() == ".hea" and path.with_suffix(".an").exists():
        path = path.with_suffix(".an")  # a WFDB header: import its rdann text beside it
    fmt = format or detect_format(path)
    if fmt == "edf":
        res = import_edf_annotations(path)
    elif fmt == "csv-hypnogram":
        res = import_csv_hypnogram(path)
    elif fmt == "nsrr-xml":
        res = import_nsrr_xml(path)
    elif fmt == "ucddb-stage":
        res = import_ucddb(path, study_start=recording_start)
    elif fmt == "ucddb-respevt":
        res = import_ucddb_respevt(path, study_start=recording_start)
    elif fmt == "wfdb-text":
        res = import_wfdb_text(path)
    elif fmt == "noxturnal-csv":
        res = import_noxturnal_csv(path, recording_start=recording_start)
    elif fmt == "dreams-hypnogram":
        res = import_dreams_hypnogram(path)
    elif fmt == "dreams-events":
        res = import_dreams_events(path)
    else:
        raise ScoringFormatError(f"unknown scoring format {fmt!r}; known: {', '.join(FORMATS)}")
    if (
        recording_start is not None
        and fmt == "edf"
        and res.scoring.start_datetime is not None
        and res.scoring.start_datetime != recording_start
    ):
        offset = (res.scoring.start_datetime - recording_start).total_seconds()
        if 1.0 <= abs(offset) < 48 * 3600:  # sub-second differences are header rounding
            res.scoring = shift_scoring(res.scoring, offset)
            res.scoring.start_datetime = recording_start
            res.warnings.append(
                f"the scoring starts {offset:+g} s from the recording; its times were shifted"
            )
    if n_epochs is not None and res.scoring.n_epochs != n_epochs:
        fitted, dropped = res.scoring.resized(n_epochs)
        if dropped["epochs"] or dropped["events"]:
            res.warnings.append(
                f"the scoring is longer than the recording: {dropped['epochs']} scored "
                f"epoch(s) and {dropped['events']} event(s) after its end were clipped"
            )
        res.scoring = fitted
    return res
