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
