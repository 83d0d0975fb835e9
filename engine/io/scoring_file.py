"""A file that holds a scoring and no signals — an annotation-only EDF+: a ResMed device's
``*_EVE.edf``, a Sleep-EDF ``*-Hypnogram.edf``, an HMC annotation file. Opened as a study
it would be a blank night of zero epochs; instead it is named for what it is, and the
recording it belongs to is looked for in its folder by clock time (a ResMed night's EVE
file starts when the device was switched on, its ``*_BRP.edf`` when the mask went on, so
names do not pair them; times do)."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from engine.io.edf_header import read_raw_header

RECORDING_SUFFIXES = (".edf", ".bdf", ".rec")
MAX_FOLDER_FILES = 400  # a folder bigger than this is an archive, not a night's files: not scanned


def holds_no_signals(study) -> bool:
    """True for a file that opens but has nothing to show: no signal, or no time."""
    return not study.signals or float(study.duration_s) <= 0


def scoring_only_text(study) -> str:
    """One line saying what the file is, e.g. ``x_EVE.edf holds 5 annotations and no
    signals: it is a scoring, not a recording``."""
    n = len(study.annotations)
    return (f"{os.path.basename(study.path)} holds {n} annotation{'s' if n != 1 else ''} and no "
            "signals: it is a scoring, not a recording")


def _span(path: Path) -> tuple[dt.datetime, dt.datetime, float] | None:
    """(start, end, highest sampling rate) of a recording with signals, from its header."""
    try:
        h = read_raw_header(str(path))
    except Exception:  # noqa: BLE001 - an unreadable neighbour is simply not a candidate
        return None
    if h.record_duration_s <= 0 or h.n_records <= 0:
        return None
    rates = [s.samples_per_record / h.record_duration_s for s in h.signals if not s.is_annotation]
    if not rates:
        return None
    return h.start, h.start + dt.timedelta(seconds=h.n_records * h.record_duration_s), max(rates)


def recording_for(study) -> Path | None:
    """The recording in the scoring file's folder that the most of its annotations fall in
    (by clock time; ties go to the highest sampling rate — a ResMed night's flow file
    before its 1-Hz oximetry — then the earliest start), or None when none overlaps."""
    here = Path(study.path)
    start = study.start_datetime
    times = [(start + dt.timedelta(seconds=a.onset_s),
              start + dt.timedelta(seconds=a.onset_s + max(0.0, a.duration_s or 0.0)))
             for a in study.annotations]
    if not times:
        return None
    try:
        names = sorted(os.listdir(here.parent or "."))
    except OSError:
        return None
    if len(names) > MAX_FOLDER_FILES:
        return None
    best: tuple[int, float, float] | None = None
    found: Path | None = None
    for name in names:
        cand = here.parent / name
        if not name.lower().endswith(RECORDING_SUFFIXES) or cand == here or not cand.is_file():
            continue
        span = _span(cand)
        if span is None:
            continue
        r0, r1, rate = span
        inside = sum(1 for t0, t1 in times if t0 < r1 and t1 >= r0)
        if not inside:
            continue
        key = (inside, rate, -r0.timestamp())
        if best is None or key > best:
            best, found = key, cand
    return found


def refuse_scoring_only(study, what_next: str) -> None:
    """Raise a one-line UserError when ``study`` holds no signals, naming its recording
    when one is beside it, e.g. ``x_EVE.edf holds 5 annotations and no signals: it is a
    scoring, not a recording; its recording here is x_BRP.edf; nothing was scored``."""
    if not holds_no_signals(study):
        return
    from engine.errors import UserError

    rec = recording_for(study)
    where = f"; its recording here is {rec.name}" if rec is not None else ""
    raise UserError(f"{scoring_only_text(study)}{where}; {what_next}")


def _named_for(stem: str, name: str) -> bool:
    """A scoring file named after the recording: DREAMS' ``Hypnogram_<stem>.txt``, NSRR's
    ``<stem>-nsrr.xml`` / ``<stem>.xml``."""
    low, s = name.lower(), stem.lower()
    return low in (f"hypnogram_{s}.txt", f"{s}-nsrr.xml", f"{s}.xml")


def scorings_for(study) -> list[Path]:
    """Scorings of ``study`` lying beside it: annotation-only EDF+ files whose annotations
    fall in its time span (a ResMed EVE file beside BRP/PLD/SAD, a Sleep-EDF hypnogram
    beside its PSG), and files named after it (``Hypnogram_<stem>.txt``, ``<stem>-nsrr.xml``)."""
    here = Path(study.path)
    try:
        names = sorted(os.listdir(here.parent or "."))
    except OSError:
        return []
    if len(names) > MAX_FOLDER_FILES:
        return []
    start = study.start_datetime
    end = start + dt.timedelta(seconds=float(study.duration_s))
    out: list[Path] = []
    for name in names:
        cand = here.parent / name
        if cand == here or not cand.is_file():
            continue
        if _named_for(here.stem, name):
            out.append(cand)
        elif name.lower().endswith(RECORDING_SUFFIXES) and _span(cand) is None and _falls_in(cand, start, end):
            out.append(cand)
    return out


def _falls_in(path: Path, start: dt.datetime, end: dt.datetime) -> bool:
    """An annotation-only EDF+ with an annotation inside [start, end)."""
    from engine.io.study import open_study

    try:
        other = open_study(path)
    except Exception:  # noqa: BLE001 - a damaged neighbour is not a scoring of this study
        return False
    try:
        if not holds_no_signals(other):
            return False
        t0 = other.start_datetime
        for a in other.annotations:
            a0 = t0 + dt.timedelta(seconds=a.onset_s)
            a1 = a0 + dt.timedelta(seconds=max(0.0, a.duration_s or 0.0))
            if a0 < end and a1 >= start:
                return True
        return False
    finally:
        other.close()
