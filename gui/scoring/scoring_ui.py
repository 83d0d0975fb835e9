"""Hand scoring wired into the main window: staging keys with auto-advance, the
hypnogram and event list docks, event drawing, undo/redo, import/export, the sleep
report and the inter-scorer comparison."""

from __future__ import annotations

import os

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QDockWidget, QFileDialog, QInputDialog

from engine.api import (
    Stage,
    UserError,
    compare_scorings,
    export_edf_plus,
    export_events_tsv,
    export_hypnogram_csv,
    import_scoring,
    sleep_report,
)
from gui.dialogs.compare_dialog import CompareDialog
from gui.dialogs.report_dialog import ReportDialog
from gui.scoring.controller import EVENT_TYPES, ScoringController
from gui.scoring.event_list import EventList
from gui.scoring.event_overlay import EventOverlay
from gui.scoring.hypnogram import HypnogramPanel

DEFAULT_STAGE_KEYS = {"W": "W,0", "N1": "1", "N2": "2", "N3": "3", "R": "R,5", "?": "Backspace"}
STAGES = {"W": Stage.W, "N1": Stage.N1, "N2": Stage.N2, "N3": Stage.N3, "R": Stage.R,
          "?": Stage.UNSCORED}
EVENT_KEYS = dict(zip(EVENT_TYPES, ("Shift+O", "Shift+C", "Shift+M", "Shift+H", "Shift+D", "Shift+A")))
SCORING_FILTER = ("Scorings (*.edf *.EDF *.csv *.tsv *.txt *.xml *.an *.hea *.hyp);;All files (*)")


class ScoringUI:
    def __init__(self, win):
        self.win = win
        self.viewer = win.viewer
        self.ctl = ScoringController(win)
        self.overlay = EventOverlay(self.viewer.signal_view, self.ctl)
        self.hypnogram = HypnogramPanel()
        self.events = EventList()
        self.dialogs: list = []
        # extra signals to append on export (the assistant's accepted reconstructions)
        self.extra_signals_provider = None
        self.hypnogram_dock = self._dock(self.hypnogram, "Hypnogram", Qt.DockWidgetArea.BottomDockWidgetArea,
                                         "hypnogram")
        self.events_dock = self._dock(self.events, "Events", Qt.DockWidgetArea.RightDockWidgetArea, "events")
        self.ctl.changed.connect(self._doc_changed)
        self.viewer.page_changed.connect(self._page_changed)
        self.hypnogram.jump_requested.connect(self.viewer.centre_on)
        self.overlay.edit_failed.connect(lambda msg: self.win.report_error("Event not saved", msg))
        self.events.jump_requested.connect(self._jump_to_event)
        self._build_actions()

    def _dock(self, widget, title, area, name):
        d = QDockWidget(title, self.win)
        d.setObjectName(name)
        d.setWidget(widget)
        self.win.addDockWidget(area, d)
        return d

    # --- actions -------------------------------------------------------------------------
    def _build_actions(self) -> None:
        win = self.win
        mb = win.menuBar()
        help_action = win.help_menu.menuAction()

        def menu(title):
            m = mb.addMenu(title)
            mb.insertMenu(help_action, m)
            return m

        edit = mb.addMenu("&Edit")
        mb.insertMenu(mb.actions()[1], edit)
        self.undo_action = win._action(edit, "Undo", self.ctl.undo, ["Ctrl+Z"])
        self.redo_action = win._action(edit, "Redo", self.ctl.redo, ["Ctrl+Shift+Z", "Ctrl+Y"])
        edit.addSeparator()
        win._action(edit, "Staging keys…", self.edit_stage_keys)

        score = menu("&Score")
        self.stage_actions = {}
        for name in STAGES:
            text = "Clear stage" if name == "?" else f"Stage {name}"
            self.stage_actions[name] = win._action(
                score, text, lambda _=False, n=name: self.stage_cursor(STAGES[n]))
        self.auto_advance = win._action(score, "Auto-advance after staging", lambda *_: None,
                                        checkable=True)
        self.auto_advance.setChecked(True)
        self.apply_stage_keys()

        ev = menu("E&vents")
        group = QActionGroup(win)
        self.type_actions = {}
        for t in EVENT_TYPES:
            a = win._action(ev, f"Draw {t}", lambda _=False, t=t: self.arm_type(t), [EVENT_KEYS[t]],
                            checkable=True)
            group.addAction(a)
            self.type_actions[t] = a
        self.type_actions[self.overlay.armed_type].setChecked(True)
        ev.addSeparator()
        win._action(ev, "Delete selected event", self.overlay.delete_selected, ["Delete"])
        ev.addSeparator()
        win._action(ev, "Lights off at this epoch", self.lights_off)
        win._action(ev, "Lights on after this epoch", self.lights_on)

        f = win.file_menu
        first = f.actions()[2] if len(f.actions()) > 2 else None
        imp = QAction("&Import scoring…", win)
        imp.triggered.connect(self.import_dialog)
        f.insertAction(first, imp)
        exp = f.addMenu("&Export")
        f.insertMenu(first, exp)
        win._action(exp, "Annotated EDF+…", self.export_edf_dialog, ["Ctrl+E"])
        win._action(exp, "events.tsv (BIDS)…", self.export_tsv_dialog)
        win._action(exp, "Hypnogram CSV…", self.export_csv_dialog)
        tools = menu("&Tools")
        win._action(tools, "Sleep report…", self.show_report, ["Ctrl+R"])
        win._action(tools, "Compare with another scoring…", self.compare_dialog)

    def apply_stage_keys(self) -> None:
        s = self.win.settings
        for name, action in self.stage_actions.items():
            keys = str(s.value(f"stage_keys/{name}", DEFAULT_STAGE_KEYS[name]))
            action.setShortcuts([QKeySequence(k.strip()) for k in keys.split(",") if k.strip()])

    def edit_stage_keys(self) -> None:
        for name in STAGES:
            cur = str(self.win.settings.value(f"stage_keys/{name}", DEFAULT_STAGE_KEYS[name]))
            text, ok = QInputDialog.getText(self.win, "Staging keys",
                                            f"Keys for {'clearing a stage' if name == '?' else name} "
                                            "(comma-separated):", text=cur)
            if not ok:
                return
            self.set_stage_keys(name, text)

    def set_stage_keys(self, name: str, keys: str) -> None:
        self.win.settings.setValue(f"stage_keys/{name}", keys)
        self.apply_stage_keys()

    # --- study lifecycle -----------------------------------------------------------------
    def open_for(self, study) -> list[str]:
        try:
            self.ctl.open_for(study)
        except (UserError, OSError) as exc:
            self.win.report_error("Scoring not available", f"the scoring could not be opened: {exc}")
            return []
        self.hypnogram.set_duration(study.duration_s, study.start_datetime)
        self.events.set_document(self.ctl.doc, study.start_datetime)
        self._redraw_all()
        return list(self.ctl.warnings)

    def close(self) -> None:
        self.ctl.close()
        self.events.set_document(None, None)
        self.hypnogram.set_stages(np.zeros(0, int))

    # --- staging -------------------------------------------------------------------------
    def stage_cursor(self, stage: Stage) -> None:
        v = self.viewer
        if self.ctl.doc is None or v.study is None:
            return
        ep = v.cursor_epoch
        self.ctl.set_stage(ep, stage)
        if self.auto_advance.isChecked() and stage != Stage.UNSCORED:
            v.advance_cursor()

    def arm_type(self, type_: str) -> None:
        self.overlay.armed_type = type_
        self.type_actions[type_].setChecked(True)
        if self.overlay.selected is not None and self.ctl.doc is not None:
            try:
                self.ctl.retype_event(self.overlay.selected, type_)
            except KeyError:
                self.overlay.selected = None
        self.win.statusBar().showMessage(f"Drag across a channel to mark: {type_}")

    def lights_off(self) -> None:
        self.ctl.set_lights_off(self.viewer.cursor_epoch * 30.0)

    def lights_on(self) -> None:
        self.ctl.set_lights_on((self.viewer.cursor_epoch + 1) * 30.0)

    # --- redraw --------------------------------------------------------------------------
    def _doc_changed(self, change) -> None:
        doc = self.ctl.doc
        if doc is None:
            return
        if change.everything or change.epochs is not None or change.suggestion_epochs is not None:
            self.hypnogram.set_stages(doc.stages())
        if change.everything or change.event_ids:
            self.overlay.redraw()
            self.events.refresh()
        self._update_undo_text()

    def _redraw_all(self) -> None:
        doc = self.ctl.doc
        if doc is None:
            return
        self.hypnogram.set_stages(doc.stages())
        self.overlay.redraw()
        self.events.refresh()
        self._update_undo_text()

    def _update_undo_text(self) -> None:
        doc = self.ctl.doc
        u = doc.undo_label() if doc else None
        r = doc.redo_label() if doc else None
        self.undo_action.setText(f"Undo {u}" if u else "Undo")
        self.redo_action.setText(f"Redo {r}" if r else "Redo")
        self.undo_action.setEnabled(bool(u))
        self.redo_action.setEnabled(bool(r))

    def _page_changed(self, start_s: float, window_s: float) -> None:
        self.overlay.redraw()
        self.hypnogram.set_window(start_s, start_s + window_s, self.viewer.cursor_epoch * 30.0)

    def _jump_to_event(self, onset_s: float, event_id: int) -> None:
        self.viewer.centre_on(onset_s)
        self.overlay.select(event_id)

    # --- files ---------------------------------------------------------------------------
    def _study(self):
        return self.viewer.study

    def import_dialog(self) -> None:
        if self._study() is None:
            return
        path, _ = QFileDialog.getOpenFileName(self.win, "Import scoring", os.path.dirname(self._study().path),
                                              SCORING_FILTER)
        if path:
            self.import_path(path)

    def _load_other(self, path: str):
        study = self._study()
        n = self.ctl.doc.n_epochs
        res = import_scoring(path, n_epochs=n, recording_start=study.start_datetime)
        return res

    def import_path(self, path: str) -> bool:
        if self.ctl.doc is None:
            return False
        try:
            res = self._load_other(path)
        except (UserError, OSError) as exc:
            self.win.report_error("Import scoring", str(exc))
            return False
        self.ctl.replace_with(res.scoring, f"Import {os.path.basename(path)}")
        msg = f"Imported {os.path.basename(path)}"
        if res.warnings:
            msg += " — " + "; ".join(res.warnings)
        self.win.statusBar().showMessage(msg)
        return True

    def _save_path(self, title: str, suffix: str, filt: str) -> str | None:
        stem = self._study().path.rsplit(".", 1)[0]
        path, _ = QFileDialog.getSaveFileName(self.win, title, stem + suffix, filt)
        return path or None

    def _export(self, title: str, suffix: str, filt: str, fn) -> None:
        if self.ctl.doc is not None:
            p = self._save_path(title, suffix, filt)
            if p:
                fn(p)

    def _guarded_export(self, path: str, write) -> bool:
        """Run one export; a clear message instead of a traceback when it fails."""
        try:
            warnings = write() or []
        except (UserError, OSError) as exc:
            self.win.report_error("Export", str(exc))
            return False
        self.win.statusBar().showMessage(f"Exported {path}" + (" — " + "; ".join(warnings) if warnings else ""))
        return True

    def export_edf_dialog(self) -> None:
        self._export("Export annotated EDF+", ".scored.edf", "EDF+ (*.edf)", self.export_edf)

    def export_tsv_dialog(self) -> None:
        self._export("Export events.tsv", "_events.tsv", "TSV (*.tsv)", self.export_tsv)

    def export_csv_dialog(self) -> None:
        self._export("Export hypnogram CSV", ".hypnogram.csv", "CSV (*.csv)", self.export_csv)

    def export_edf(self, path: str) -> bool:
        def write():
            extras = tuple(self.extra_signals_provider()) if self.extra_signals_provider else ()
            rep = export_edf_plus(self._study().path, self.ctl.doc, path, extra_signals=extras)
            return getattr(rep, "warnings", None)
        return self._guarded_export(path, write)

    def export_tsv(self, path: str) -> bool:
        return self._guarded_export(path, lambda: export_events_tsv(
            self.ctl.doc, path, source=self._study().path, end_s=self._study().duration_s) and None)

    def export_csv(self, path: str) -> bool:
        return self._guarded_export(path, lambda: export_hypnogram_csv(
            self.ctl.doc, path, source=self._study().path) and None)

    # --- report and comparison -----------------------------------------------------------
    def _spo2(self):
        study, chmap = self._study(), self.viewer.chmap
        src = chmap["SPO2"] if chmap is not None else None
        if src is None or not src.present:
            return None, None
        i = study.signal_index(src.plus)
        return study.read(i, 0.0, study.duration_s), study.signals[i].sfreq_hz

    def show_report(self):
        if self.ctl.doc is None:
            return None
        spo2, sf = self._spo2()
        rep = sleep_report(self.ctl.doc, spo2_pct=spo2, spo2_sfreq_hz=sf)
        dlg = ReportDialog(rep, self.ctl.doc, self._study(), self.win)
        self.dialogs.append(dlg)
        dlg.open()
        return dlg

    def compare_dialog(self) -> None:
        if self.ctl.doc is None:
            return
        path, _ = QFileDialog.getOpenFileName(self.win, "Compare with scoring",
                                              os.path.dirname(self._study().path), SCORING_FILTER)
        if path:
            self.compare_with(path)

    def compare_with(self, path: str):
        try:
            other = self._load_other(path).scoring
        except (UserError, OSError) as exc:
            self.win.report_error("Compare scorings", str(exc))
            return None
        agreement = compare_scorings(self.ctl.doc, other)
        dlg = CompareDialog(agreement, "this scoring", os.path.basename(path), self.win)
        self.dialogs.append(dlg)
        dlg.open()
        return dlg
