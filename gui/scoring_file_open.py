"""Opening a file that is a scoring, not a recording: an annotation-only EDF+ (a ResMed
device's ``*_EVE.edf``, a Sleep-EDF hypnogram) or a hypnogram / event list in another
format, named on the command line, dropped on the window or picked from the recent files.

- Its recording is in the same folder (found by clock time): that recording opens, and
  the scoring is imported onto it when the scorer has not scored it yet (otherwise their
  work is kept and the status bar says how to replace it).
- A study is open: the scorer is asked whether to import it onto that study (one undo step).
- Neither: a message says what the file is and what to do; nothing else changes.

The open study is never replaced by a blank night of zero epochs."""

from __future__ import annotations

import os

from PySide6.QtWidgets import QMessageBox

import engine.api as eng
from engine.api import ScoringFormatError, recording_for, scoring_only_text

IMPORT_TITLE = "Import scoring"


def is_scoring_format(path: str) -> bool:
    """A file the scoring importers read that is not EDF/BDF (a CSV hypnogram, NSRR XML,
    a DREAMS hypnogram, UCDDB, WFDB text, a Noxturnal export). A damaged EDF is not one."""
    if os.path.isdir(path) or path.lower().endswith((".edf", ".bdf", ".rec")):
        return False
    try:
        return eng.detect_format(path) not in ("edf", "dreams-events")
    except (ScoringFormatError, OSError):
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
    if scoring_study is not None:
        what = scoring_only_text(scoring_study)
        recording = recording_for(scoring_study)
        scoring_study.close()
    else:
        what = f"{name} is a scoring ({eng.detect_format(path)}), not a recording"
        recording = None
    current = win.viewer.study
    if recording is not None and (current is None or not _same_file(current.path, str(recording))):
        return _open_with_recording(win, path, str(recording), what)
    if current is not None:
        _ask_import(win, path, what)
        return False
    win.report_error("Not a recording", f"{what}. No recording in its folder covers its times: open the "
                                        "recording first, then File › Import scoring… to load it onto it.")
    return False


def _open_with_recording(win, path: str, recording: str, what: str) -> bool:
    rec_name = os.path.basename(recording)
    if not win.open_path(recording):
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


def _ask_import(win, path: str, what: str) -> None:
    study_name = os.path.basename(win.viewer.study.path)
    box = QMessageBox(QMessageBox.Icon.Question, IMPORT_TITLE,
                      f"{what}.\n\nImport it onto the open study {study_name}? It replaces the study's "
                      "stages and events; Ctrl+Z undoes it.",
                      QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, win)
    box.finished.connect(lambda res: win.scoring.import_path(path)
                         if res == QMessageBox.StandardButton.Yes else None)
    win.statusBar().showMessage(what)
    win.show_box(box)
