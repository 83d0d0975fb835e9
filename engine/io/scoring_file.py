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
    rates = [s.samples_per_record / h.record_duration_s for s in h.signals
             if not s.is_annotation and s.samples_per_record > 0]
    if not rates:
        return None
    return h.start, h.start + dt.timedelta(seconds=h.n_records * h.record_duration_s), max(rates)


def _folder(path: Path) -> list[str]:
    """The names in ``path``'s folder, sorted; none when it cannot be listed or holds more
    than MAX_FOLDER_FILES (an archive, not a night's files)."""
    try:
        names = sorted(os.listdir(path.parent or "."))
    except OSError:
        return []
    return names if len(names) <= MAX_FOLDER_FILES else []


def _affinity(a: str, b: str) -> int:
    """How many leading characters two file stems share (case-insensitive)."""
    n = 0
    for x, y in zip(a.lower(), b.lower()):
        if x != y:
            break
        n += 1
    return n


def session_key(stem: str) -> str:
    """The files of one recording session share their name up to the last separator
    (ResMed's ``20260111_220919_BRP`` / ``_PLD`` / ``_SAD``; ``x.edf`` and ``x.bdf``)."""
    low = stem.lower()
    cut = max(low.rfind("_"), low.rfind("-"), low.rfind("."))
    return low[:cut] if cut > 0 else low


def _times(study) -> list[tuple[dt.datetime, dt.datetime]]:
    start = study.start_datetime
    return [(start + dt.timedelta(seconds=a.onset_s),
             start + dt.timedelta(seconds=a.onset_s + max(0.0, a.duration_s or 0.0)))
            for a in study.annotations]


def recording_candidates(study) -> list[Path]:
    """The recordings in the scoring file's folder with the most of its annotations inside
    them (by clock time) and, among those, the names closest to the scoring's. More than
    one session among them means the times cannot tell (anonymised dates, two patients
    recorded at the same hour): the scorer must choose."""
    here = Path(study.path)
    times = _times(study)
    if not times:
        return []
    ranked: list[tuple[tuple[int, int], float, float, Path]] = []
    for name in _folder(here):
        cand = here.parent / name
        if not name.lower().endswith(RECORDING_SUFFIXES) or cand == here or not cand.is_file():
            continue
        span = _span(cand)
        if span is None:
            continue
        r0, r1, rate = span
        inside = sum(1 for t0, t1 in times if t0 < r1 and t1 >= r0)
        if inside:
            ranked.append(((inside, _affinity(here.stem, cand.stem)), rate, -r0.timestamp(), cand))
    if not ranked:
        return []
    top = max(r[0] for r in ranked)
    # the flow file before its 1-Hz oximetry, then the earliest, then by name
    tied = sorted((r for r in ranked if r[0] == top), key=lambda r: (-r[1], -r[2], r[3].name))
    return [r[3] for r in tied]


def recording_for(study) -> Path | None:
    """The one recording the scoring belongs to (see recording_candidates): the best file
    of the single session that wins — a ResMed night's flow file before its oximetry —
    or None when none overlaps or several sessions tie."""
    cands = recording_candidates(study)
    if not cands or len({session_key(c.stem) for c in cands}) > 1:
        return None
    return cands[0]


def recording_named_for(path: str | os.PathLike) -> Path | None:
    """The recording a scoring in another format is named after: DREAMS'
    ``Hypnogram_<stem>.txt``, NSRR's ``<stem>-nsrr.xml`` / ``<stem>.xml`` → ``<stem>.edf``
    (or .rec / .bdf) in the same folder."""
    p = Path(path)
    low = p.name.lower()
    stems = []
    if low.startswith("hypnogram_") and low.endswith(".txt"):
        stems.append(p.name[len("hypnogram_"):-len(".txt")])
    if low.endswith("-nsrr.xml"):
        stems.append(p.name[: -len("-nsrr.xml")])
    if low.endswith(".xml"):
        stems.append(p.stem)
    names = {n.lower(): n for n in _folder(p)}
    for stem in stems:
        for suffix in RECORDING_SUFFIXES:
            name = names.get((stem + suffix).lower())
            if name is not None and _span(p.parent / name) is not None:
                return p.parent / name
    return None


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
    """Scorings of ``study`` lying beside it: files named after it (``Hypnogram_<stem>.txt``,
    ``<stem>-nsrr.xml``), then annotation-only EDF+ files whose annotations fall in its
    time span (a ResMed EVE file beside BRP/PLD/SAD, a Sleep-EDF hypnogram beside its PSG),
    closest name first. When the closest two of those are equally close and of different
    sessions (two patients' hypnograms at the same anonymised hour), times cannot tell
    which is this study's: none of them is offered."""
    here = Path(study.path)
    start = study.start_datetime
    end = start + dt.timedelta(seconds=float(study.duration_s))
    named: list[Path] = []
    by_time: list[tuple[int, Path]] = []
    for name in _folder(here):
        cand = here.parent / name
        if cand == here or not cand.is_file():
            continue
        if _named_for(here.stem, name):
            named.append(cand)
        elif name.lower().endswith(RECORDING_SUFFIXES) and _span(cand) is None and _falls_in(cand, start, end):
            by_time.append((_affinity(here.stem, cand.stem), cand))
    by_time.sort(key=lambda r: (-r[0], r[1].name))
    if (len(by_time) > 1 and by_time[0][0] == by_time[1][0]
            and session_key(by_time[0][1].stem) != session_key(by_time[1][1].stem)):
        by_time = []
    return named + [p for _a, p in by_time]


def overlaps(scoring_study, study) -> bool:
    """Whether any annotation of the scoring falls in the recording's time span."""
    start = study.start_datetime
    end = start + dt.timedelta(seconds=float(study.duration_s))
    return any(t0 < end and t1 >= start for t0, t1 in _times(scoring_study))


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
        return any(t0 < end and t1 >= start for t0, t1 in _times(other))
    finally:
        other.close()
