"""Opening a file that is a scoring, not a recording: an annotation-only EDF+ (a ResMed
device's ``*_EVE.edf``, a Sleep-EDF hypnogram) or a hypnogram / event list in another
format, named on the command line, dropped on the window or picked from the recent files.

- Its recording is in the same folder — found by clock time for an EDF+, by name for the
  others (``Hypnogram_<stem>.txt``, ``<stem>-nsrr.xml``): that recording opens, and the
  scoring is imported onto it when the scorer has not scored it yet (otherwise their work
  is kept and the status bar says how to replace it). Times alone never choose between
  two sessions (two patients at the same anonymised hour): then the scorer is told which
  recordings fit.
- A study is open: the scorer is asked whether to import it onto that study (one undo
  step) — unless its times miss that recording, or the study's scoring is read-only.
- Neither: a message says what the file is and what to do; nothing else changes.

The open study is never replaced by a blank night of zero epochs."""

from __future__ import annotations

import os

from PySide6.QtWidgets import QMessageBox

import engine.api as eng
from engine.api import (
    overlaps,
    recording_candidates,
    recording_for,
    recording_named_for,
    scoring_only_text,
)

IMPORT_TITLE = "Import scoring"


def is_scoring_format(path: str) -> bool:
    """A file the scoring importers read that is not EDF/BDF (a CSV hypnogram, NSRR XML,
    a DREAMS hypnogram, UCDDB, WFDB text, a Noxturnal export) — one that actually imports,
    not any ``.txt``. A damaged EDF is not one."""
    if os.path.isdir(path) or path.lower().endswith((".edf", ".bdf", ".rec")):
        return False
    try:
        if eng.detect_format(path) in ("edf", "dreams-events"):
            return False
        eng.import_scoring(path)
        return True
    except Exception:  # noqa: BLE001 - a probe: whatever fails to import is not a scoring
        return False


def has_scorer_work(doc) -> bool:
    """Stages or events the scorer made or decided (pending suggestions do not count)."""
    return bool((doc.stages() >= 0).any()) or bool(doc.events(decided_only=True))


def _same_file(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def open_scoring_file(win, path: str, scoring_study=None) -> bool:
    """``path`` holds a scoring and no signals (``scoring_study``: it opened as an
    annotation-only EDF+, or None for the other formats). True when a recording opened."""
    name = os.path.basename(path)
    current = win.viewer.study
    fits_current = True
    try:
        if scoring_study is not None:
            what = scoring_only_text(scoring_study)
            candidates = recording_candidates(scoring_study)
            recording = recording_for(scoring_study)
            if current is not None:
                fits_current = overlaps(scoring_study, current)
        else:
            what = f"{name} is a scoring ({eng.detect_format(path)}), not a recording"
            recording = recording_named_for(path)
            candidates = [recording] if recording is not None else []
    finally:
        if scoring_study is not None:
            scoring_study.close()
    if recording is not None and (current is None or not _same_file(current.path, str(recording))):
        return _open_with_recording(win, path, str(recording), what)
    if current is not None:
        _ask_import(win, path, what, fits_current)
        return False
    if len(candidates) > 1:
        where = (f"more than one recording in its folder covers its times "
                 f"({', '.join(c.name for c in candidates[:4])}): open the right one")
    elif scoring_study is not None:
        where = "no recording in its folder covers its times: open the recording first"
    else:
        where = "no recording in its folder is named for it: open the recording first"
    win.report_error("Not a recording", f"{what}. {where[0].upper()}{where[1:]}, then File › Import scoring… "
                                        "to load it onto it.")
    return False


def _open_with_recording(win, path: str, recording: str, what: str) -> bool:
    rec_name = os.path.basename(recording)
    if not win.open_path(recording, from_scoring=True):
        return False
    ctl = win.scoring.ctl
    lead = f"{what}; opened its recording {rec_name}"
    if ctl.doc is None or ctl.read_only:
        win.statusBar().showMessage(f"{lead}; its scoring is read-only, so {os.path.basename(path)} was not imported")
        return True
    if has_scorer_work(ctl.doc):
        win.statusBar().showMessage(f"{lead} and kept your scoring of it; File › Import scoring… replaces it "
                                    f"with {os.path.basename(path)}'s")
        return True
    if win.scoring.import_path(path):
        win.statusBar().showMessage(f"{lead} — " + win.statusBar().currentMessage())
    return True


def _ask_import(win, path: str, what: str, fits: bool) -> None:
    study_name = os.path.basename(win.viewer.study.path)
    if win.scoring.ctl.read_only:
        win.report_error(IMPORT_TITLE, f"{what}. The open study {study_name} is read-only here: nothing "
                                       "can be imported onto it.")
        return
    if not fits:
        win.report_error(IMPORT_TITLE, f"{what}. Its times do not fall in the open study {study_name}: "
                                       "importing it would place nothing; open its own recording.")
        return
    ask_replace(win, f"{what}.\n\nImport it onto the open study {study_name}?", path)
    win.statusBar().showMessage(what)


def ask_replace(win, question: str, path: str) -> None:
    """Ask before an import replaces the study's stages and events (one undo step)."""
    box = QMessageBox(QMessageBox.Icon.Question, IMPORT_TITLE,
                      f"{question} It replaces the study's stages and events; Ctrl+Z undoes it.",
                      QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, win)
    box.finished.connect(lambda res: win.scoring.import_path(path)
                         if res == QMessageBox.StandardButton.Yes else None)
    win.show_box(box)
