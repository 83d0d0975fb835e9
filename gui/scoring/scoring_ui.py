"""Hand scoring wired into the main window: staging keys with auto-advance, the epoch
header, the hypnogram and event list docks, event drawing, undo/redo, import/export,
the sleep report and the inter-scorer comparison.

Keys act only on what the scorer sees: an event selection that leaves the window is
dropped (paging, jumping, Esc), so A/X/Enter, Delete and the event-type keys fall back
to the current epoch; every action says what it did in the status bar."""

from __future__ import annotations

import os

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import (
    QFileDialog,
    QInputDialog,
    QLabel,
    QMessageBox,
    QVBoxLayout,
    QWidget,
)

import engine.api as eng
from engine.api import (
    EPOCH_S,
    Stage,
    UserError,
    event_min_duration_s,
)
from gui.dialogs.compare_dialog import CompareDialog
from gui.dialogs.report_dialog import ReportDialog
from gui.scoring.controller import EVENT_TYPES, ScoringController
from gui.scoring.event_list import EventList
from gui.scoring.event_overlay import EventOverlay
from gui.scoring.hypnogram import LEGEND_HTML, HypnogramPanel
from gui.viewer.epoch_header import EpochHeader

DEFAULT_STAGE_KEYS = {"W": "W,0", "N1": "1", "N2": "2", "N3": "3", "R": "R,5", "?": "Backspace"}
# the review rhythm (actions registered by the assistant UI): A accepts and advances, X
# rejects and stays (then the scorer types the stage), Enter accepts and advances
DEFAULT_REVIEW_KEYS = {"accept": "A", "reject": "X", "accept_advance": "Return,Enter"}
REVIEW_KEY_TEXT = {"accept": "accepting a suggestion (and advancing)",
                   "reject": "rejecting a suggestion (staying)",
                   "accept_advance": "accepting and advancing"}
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
        self.review_actions: dict = {}  # name -> QAction, filled by the assistant UI
        self.confirm_box: QMessageBox | None = None
        self._scoring_beside = None  # a scoring of the open study found in its folder
        self.header = EpochHeader()
        self.viewer.layout().insertWidget(1, self.header)
        self.legend = QLabel(LEGEND_HTML)
        self.legend.setWordWrap(True)
        self.legend.setStyleSheet("QLabel { font-size: 8pt; color: #333; }")
        # extra signals to append on export (the assistant's accepted reconstructions)
        self.extra_signals_provider = None
        self.hypnogram_box = hyp_box = QWidget()
        hl = QVBoxLayout(hyp_box)
        hl.setContentsMargins(0, 0, 0, 0)
        hl.setSpacing(0)
        hl.addWidget(self.hypnogram)
        hl.addWidget(self.legend)
        self.hypnogram_dock = self._dock(hyp_box, "Hypnogram", Qt.DockWidgetArea.BottomDockWidgetArea,
                                         "hypnogram")
        self.events_dock = self._dock(self.events, "Events", Qt.DockWidgetArea.RightDockWidgetArea, "events")
        win.resizeDocks([self.events_dock], [self.events.sizeHint().width()], Qt.Orientation.Horizontal)
        self.ctl.changed.connect(self._doc_changed)
        self.viewer.page_changed.connect(self._page_changed)
        self.hypnogram.jump_requested.connect(self.viewer.centre_on)
        self.overlay.edit_failed.connect(lambda msg: self.win.report_error("Event not saved", msg))
        self.events.jump_requested.connect(self._jump_to_event)
        self.overlay.span_drawn.connect(self._span_drawn)
        self._build_actions()
        self._show_study_panels(False)

    def _dock(self, widget, title, area, name):
        return self.win.add_dock(widget, title, name, area)

    def add_below_hypnogram(self, widget) -> None:
        """A strip that belongs with the hypnogram (the assistant's hypnodensity): under
        the hypnogram, above its legend."""
        self.hypnogram_box.layout().insertWidget(1, widget)

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
        self.undo_action = win.add_action(edit, "Undo", self.undo, ["Ctrl+Z"])
        self.redo_action = win.add_action(edit, "Redo", self.redo, ["Ctrl+Shift+Z", "Ctrl+Y"])
        edit.addSeparator()
        win.add_action(edit, "Staging keys…", self.edit_stage_keys)

        score = menu("&Score")
        self.stage_actions = {}
        for name in STAGES:
            text = "Clear stage" if name == "?" else f"Stage {name}"
            self.stage_actions[name] = win.add_action(
                score, text, lambda _=False, n=name: self.stage_cursor(STAGES[n]))
        self.auto_advance = win.add_action(score, "Auto-advance after staging", lambda *_: None,
                                        checkable=True)
        self.auto_advance.setChecked(True)
        self.apply_stage_keys()

        ev = menu("E&vents")
        group = QActionGroup(win)
        self.type_actions = {}
        self.span_action = win.add_action(ev, "Select a span (nothing armed)", lambda _=False: self.arm_type(None),
                                       checkable=True)
        group.addAction(self.span_action)
        for t in EVENT_TYPES:
            a = win.add_action(ev, f"Draw {t}", lambda _=False, t=t: self.arm_type(t), [EVENT_KEYS[t]],
                            checkable=True)
            group.addAction(a)
            self.type_actions[t] = a
        self.span_action.setChecked(True)
        ev.addSeparator()
        win.add_action(ev, "Delete selected event", self.delete_selected, ["Delete"])
        self.confirm_short_action = win.add_action(
            ev, "Ask before an event shorter than the AASM minimum", self.set_confirm_short, checkable=True)
        self.confirm_short_action.setChecked(self._setting_bool("scoring/confirm_short_events", True))
        self.pediatric_action = win.add_action(
            ev, "Pediatric minimum durations (2 breaths, central apnea 20 s)", self.set_pediatric_rules,
            checkable=True)
        self.pediatric_action.setChecked(self._setting_bool("scoring/pediatric_rules", False))
        ev.addSeparator()
        win.add_action(ev, "Lights off at this epoch", self.lights_off)
        win.add_action(ev, "Lights on after this epoch", self.lights_on)

        f = win.file_menu
        first = f.actions()[2] if len(f.actions()) > 2 else None
        imp = QAction("&Import scoring…", win)
        imp.triggered.connect(self.import_dialog)
        f.insertAction(first, imp)
        # the scoring lying beside the open study, when there is one (File › Import <name>)
        self.import_beside_action = QAction("", win)
        self.import_beside_action.setVisible(False)
        self.import_beside_action.triggered.connect(self.import_beside)
        f.insertAction(first, self.import_beside_action)
        exp = f.addMenu("&Export")
        f.insertMenu(first, exp)
        win.add_action(exp, "Annotated EDF+…", self.export_edf_dialog, ["Ctrl+E"])
        win.add_action(exp, "events.tsv (BIDS)…", self.export_tsv_dialog)
        win.add_action(exp, "Hypnogram CSV…", self.export_csv_dialog)
        tools = menu("&Tools")
        win.add_action(tools, "Sleep report…", self.show_report, ["Ctrl+R"])
        win.add_action(tools, "Compare with another scoring…", self.compare_dialog)

    @property
    def scoring_beside(self):
        """A scoring of the open study lying in its folder (None: none, or the scorer has
        already scored it): File › Import <its name> imports it, File › Import scoring…
        starts on it."""
        return self._scoring_beside

    @scoring_beside.setter
    def scoring_beside(self, path) -> None:
        self._scoring_beside = path
        self.import_beside_action.setVisible(path is not None)
        if path is not None:
            self.import_beside_action.setText(f"Import {os.path.basename(str(path)).replace('&', '&&')} (beside the study)")

    def import_beside(self) -> None:
        """File › Import <the scoring beside the study>; asks first once the scorer has
        scored (the import replaces stages and events)."""
        from gui.scoring_file_open import ask_replace, has_scorer_work

        path = self.scoring_beside
        if path is None or self.ctl.doc is None:
            return
        if has_scorer_work(self.ctl.doc):
            ask_replace(self.win, f"You have scored this study. Import {os.path.basename(str(path))} anyway?",
                        str(path))
        else:
            self.import_path(str(path))

    def _setting_bool(self, key: str, default: bool) -> bool:
        v = self.win.settings.value(key, default)
        return v if isinstance(v, bool) else str(v).lower() in ("true", "1", "yes")

    def set_confirm_short(self, on: bool) -> None:
        self.win.settings.setValue("scoring/confirm_short_events", bool(on))
        self.confirm_short_action.setChecked(bool(on))

    def set_pediatric_rules(self, on: bool) -> None:
        self.win.settings.setValue("scoring/pediatric_rules", bool(on))
        self.pediatric_action.setChecked(bool(on))

    def _key_default(self, name: str) -> str:
        return DEFAULT_STAGE_KEYS.get(name) or DEFAULT_REVIEW_KEYS[name]

    def key_text(self, name: str) -> str:
        return str(self.win.settings.value(f"stage_keys/{name}", self._key_default(name)))

    def apply_stage_keys(self) -> None:
        for name, action in list(self.stage_actions.items()) + list(self.review_actions.items()):
            keys = self.key_text(name)
            action.setShortcuts([QKeySequence(k.strip()) for k in keys.split(",") if k.strip()])

    def edit_stage_keys(self) -> None:
        names = list(STAGES) + [n for n in DEFAULT_REVIEW_KEYS if n in self.review_actions]
        for name in names:
            what = ("clearing a stage" if name == "?" else REVIEW_KEY_TEXT.get(name, name))
            text, ok = QInputDialog.getText(self.win, "Staging keys",
                                            f"Keys for {what} (comma-separated):", text=self.key_text(name))
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
        self._show_study_panels(True)
        self._redraw_all()
        return list(self.ctl.warnings)

    def close(self) -> None:
        self.ctl.close()
        self.scoring_beside = None
        self.events.set_document(None, None)
        self.hypnogram.set_stages(np.zeros(0, int))
        self.overlay.selected = None
        self.overlay.clear_span()
        self._show_study_panels(False)

    def _show_study_panels(self, on: bool) -> None:
        """Without a study: no shaded window marks, no stage axis, no header."""
        self.hypnogram.set_active(on)
        self.viewer.overview.window.setVisible(on)
        if not on:
            self.viewer.signal_view.cursor.setVisible(False)
            self.header.setText("")

    # --- feedback ------------------------------------------------------------------------
    def say(self, msg: str) -> None:
        """What an action did, in the status bar."""
        self.win.statusBar().showMessage(msg, 10000)

    def epoch_name(self, epoch: int) -> str:
        return f"Epoch {epoch + 1}"

    def update_header(self) -> None:
        v = self.viewer
        if v.study is None or self.ctl.doc is None:
            self.header.setText("")
            return
        self.header.show_epoch(self.ctl.doc, v.cursor_epoch, self.ctl.doc.n_epochs, v.study.start_datetime)

    def undo(self) -> None:
        doc = self.ctl.doc
        label = doc.undo_label() if doc is not None else None
        before = self._events_by_id()
        self._show_change(self.ctl.undo(), before)
        self.say(f"Undid: {label}" if label else "Nothing to undo")

    def redo(self) -> None:
        doc = self.ctl.doc
        label = doc.redo_label() if doc is not None else None
        before = self._events_by_id()
        self._show_change(self.ctl.redo(), before)
        self.say(f"Redid: {label}" if label else "Nothing to redo")

    def _events_by_id(self) -> dict:
        doc = self.ctl.doc
        return {e.id: e for e in doc.events(include_rejected=True)} if doc is not None else {}

    def _show_change(self, change, before: dict) -> None:
        """An undo/redo is never invisible: the epoch (or event) it changed comes into
        view and a single changed epoch becomes the cursor, so the next key acts there."""
        v, doc = self.viewer, self.ctl.doc
        if change is None or doc is None or v.study is None:
            return
        w = v.effective_window()
        if change.epochs is not None and change.epochs[1] - change.epochs[0] == 1:
            ep = change.epochs[0]
            if v.start_s <= ep * EPOCH_S < v.start_s + w:
                v.cursor_epoch = ep
                v.refresh()
            else:
                v.centre_on(ep * EPOCH_S + EPOCH_S / 2)
        elif change.event_ids:
            now = self._events_by_id()
            evs = [now.get(i) or before.get(i) for i in sorted(change.event_ids)]
            evs = [e for e in evs if e is not None]  # (a removed event: where it was)
            if evs and not any(e.onset_s < v.start_s + w and e.offset_s > v.start_s for e in evs):
                v.centre_on(evs[0].onset_s + evs[0].duration_s / 2)

    # --- staging -------------------------------------------------------------------------
    def stage_cursor(self, stage: Stage) -> None:
        v = self.viewer
        if self.ctl.doc is None or v.study is None:
            return
        ep = v.cursor_epoch
        before = self.ctl.doc.stage_at(ep)
        self.ctl.set_stage(ep, stage)
        was = before.short if int(before) >= 0 else "unscored"
        if stage == Stage.UNSCORED:
            self.say(f"{self.epoch_name(ep)}: stage cleared (was {was})")
        else:
            self.say(f"{self.epoch_name(ep)}: {stage.short} (was {was})")
        if self.auto_advance.isChecked() and stage != Stage.UNSCORED:
            v.advance_cursor()
        else:
            self.update_header()

    # --- selection -----------------------------------------------------------------------
    def visible_selection(self) -> int | None:
        """The selected event while it is on screen (a hidden one is dropped)."""
        return self.overlay.visible_selection()

    def clear_selection(self) -> bool:
        """Esc: drop the event selection and the selected span. True when there was one."""
        had = self.overlay.selected is not None or self.overlay.span is not None
        self.overlay.clear_span()
        if self.overlay.selected is not None:
            self.overlay.select(None)
        if had:
            self.say("Selection cleared")
        return had

    def delete_selected(self) -> None:
        eid = self.visible_selection()
        if eid is None:
            self.say("No event selected on this page: click one to select it")
            return
        ev = self.ctl.doc.event(eid)
        self.overlay.delete_selected()
        self.say(f"Deleted {ev.type} at {self._clock(ev.onset_s)}")

    def _clock(self, t_s: float) -> str:
        from gui.viewer.time_axis import clock_text

        st = self.viewer.study
        return clock_text(st.start_datetime, t_s) if st is not None and st.start_datetime else f"{t_s:.1f} s"

    def arm_type(self, type_: str | None) -> None:
        """Arm an event type for drawing (None: drags select a span). With an event
        selected ON SCREEN, the type key retypes it instead; a hidden one is never touched."""
        eid = self.visible_selection() if type_ is not None else None
        if eid is not None and self.ctl.doc is not None:
            old = self.ctl.doc.event(eid)
            if old.type != type_:
                self.ctl.retype_event(eid, type_)
                self.say(f"{old.type} at {self._clock(old.onset_s)} is now {type_} (Esc to deselect)")
            else:
                self.say(f"The selected event already is {type_}")
            self._check_type_action(self.overlay.armed_type)
            return
        self.overlay.armed_type = type_
        self._check_type_action(type_)
        if type_ is None:
            self.say("Nothing armed: a drag selects a span; right-click it to score it as an event")
        elif self.overlay.span_in_view():
            a, b, row = self.overlay.span
            self.create_checked(a, b, row, type_)
        else:
            self.say(f"Armed {type_}: drag across a channel to mark it (Events › Select a span to disarm)")

    def _check_type_action(self, type_: str | None) -> None:
        (self.span_action if type_ is None else self.type_actions[type_]).setChecked(True)

    # --- drawing events ------------------------------------------------------------------
    def _span_drawn(self, start_s: float, stop_s: float, row: int) -> None:
        t = self.overlay.armed_type
        if t is None:
            self.overlay.set_span(start_s, stop_s, row)
            self.say(f"Selected {stop_s - start_s:.1f} s on {self.viewer.signal_view.rows[row].label}: "
                     "right-click › Score as …, or press an event key (Shift+O/C/M/H/D/A)")
        else:
            self.create_checked(start_s, stop_s, row, t)

    def min_duration_s(self, type_: str) -> float | None:
        return event_min_duration_s(type_, pediatric=self.pediatric_action.isChecked())

    def create_checked(self, start_s: float, stop_s: float, row: int, type_: str) -> None:
        """Create the event, asking first when it is shorter than its AASM minimum (setting)."""
        dur = stop_s - start_s
        m = self.min_duration_s(type_)
        if m is None or dur >= m - 1e-9 or not self.confirm_short_action.isChecked():
            self._create(start_s, stop_s, row, type_)
            return
        self.overlay.set_span(start_s, stop_s, row)
        box = QMessageBox(QMessageBox.Icon.Question, "Shorter than the AASM minimum",
                          f"This {type_.lower()} lasts {dur:.1f} s; the AASM minimum is {m:g} s.\n\n"
                          "Create it anyway?",
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, self.win)
        box.setDefaultButton(QMessageBox.StandardButton.No)
        box.finished.connect(lambda res: self._confirmed(res, start_s, stop_s, row, type_))
        self.confirm_box = box
        box.open()

    def _confirmed(self, res: int, start_s: float, stop_s: float, row: int, type_: str) -> None:
        self.confirm_box = None
        if res == QMessageBox.StandardButton.Yes:
            self._create(start_s, stop_s, row, type_)
        else:
            self.say(f"{type_} not created ({stop_s - start_s:.1f} s is below the "
                     f"{self.min_duration_s(type_):g}-s minimum); the span stays selected")

    def _create(self, start_s: float, stop_s: float, row: int, type_: str) -> None:
        if self.ctl.doc is None or not 0 <= row < len(self.viewer.signal_view.rows):
            return
        try:
            self.overlay.create_event(start_s, stop_s, row, type_)
        except (UserError, OSError) as exc:
            self.win.report_error("Event not saved", str(exc))
            return
        self.say(f"Added {type_} at {self._clock(start_s)}, {stop_s - start_s:.1f} s on "
                 f"{self.viewer.signal_view.rows[row].label} (Delete removes it, Ctrl+Z undoes)")

    def score_span_as(self, type_: str) -> None:
        """Context menu › Score as …: the selected span becomes an event of ``type_``."""
        if not self.overlay.span_in_view():
            self.say("No span selected on this page: drag across a channel first")
            return
        a, b, row = self.overlay.span
        self.create_checked(a, b, row, type_)

    def span_menu_actions(self) -> list[QAction]:
        """'Score as …' actions for the selected span (empty without one on screen)."""
        if not self.overlay.span_in_view():
            return []
        out = []
        for t in EVENT_TYPES:
            a = QAction(f"Score as {t}", self.win)
            a.triggered.connect(lambda _=False, t=t: self.score_span_as(t))
            out.append(a)
        return out

    def lights_off(self) -> None:
        ep = self.viewer.cursor_epoch
        self.ctl.set_lights_off(ep * EPOCH_S)
        self.say(f"Lights off at the start of {self.epoch_name(ep)} ({self._clock(ep * EPOCH_S)})")

    def lights_on(self) -> None:
        ep = self.viewer.cursor_epoch
        self.ctl.set_lights_on((ep + 1) * EPOCH_S)
        self.say(f"Lights on after {self.epoch_name(ep)} ({self._clock((ep + 1) * EPOCH_S)})")

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
        self.update_header()

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
        ov = self.overlay
        if ov.selected is not None and not ov.in_view(ov.selected):
            ov.selected = None  # never act on what the scorer can no longer see
            ov.selection_changed.emit(None)
        if ov.span is not None and not ov.span_in_view():
            ov.clear_span()
        ov.redraw()
        if self.viewer.study is not None:  # no band over (most of) the whole strip
            self.viewer.overview.window.setVisible(window_s < 0.5 * self.viewer.study.duration_s)
        self.hypnogram.set_window(start_s, start_s + window_s, self.viewer.cursor_epoch * EPOCH_S)
        self.update_header()

    def _jump_to_event(self, onset_s: float, event_id: int) -> None:
        """Centre the event (its middle) in the window and select it."""
        doc = self.ctl.doc
        mid = onset_s
        if doc is not None:
            try:
                ev = doc.event(event_id)
                mid = ev.onset_s + ev.duration_s / 2
            except KeyError:
                pass
        self.viewer.centre_on(mid)  # the event's epoch becomes the cursor
        self.overlay.select(event_id)
        if doc is not None and self.overlay.selected is not None and doc.has_event(event_id):
            ev = doc.event(event_id)
            self.say(f"Selected {ev.type} at {self._clock(ev.onset_s)}: A accepts, X rejects, "
                     "a type key retypes, Delete removes, Esc deselects")

    # --- files ---------------------------------------------------------------------------
    def _study(self):
        return self.viewer.study

    def import_dialog(self) -> None:
        if self._study() is None:
            return
        start = str(self.scoring_beside) if self.scoring_beside is not None else os.path.dirname(self._study().path)
        path, _ = QFileDialog.getOpenFileName(self.win, "Import scoring", start, SCORING_FILTER)
        if path:
            self.import_path(path)

    def _load_other(self, path: str):
        study = self._study()
        n = self.ctl.doc.n_epochs
        res = eng.import_scoring(path, n_epochs=n, recording_start=study.start_datetime)
        return res

    def import_path(self, path: str) -> bool:
        if self.ctl.doc is None:
            return False
        try:
            res = self._load_other(path)
            self.ctl.replace_with(res.scoring, f"Import {os.path.basename(path)}")  # refused when read-only
        except (UserError, OSError) as exc:
            self.win.report_error("Import scoring", str(exc))
            return False
        if self.scoring_beside is not None and os.path.abspath(str(self.scoring_beside)) == os.path.abspath(path):
            self.scoring_beside = None  # imported: the menu entry has done its job
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
            rep = eng.export_edf_plus(self._study().path, self.ctl.doc, path, extra_signals=extras)
            return getattr(rep, "warnings", None)
        return self._guarded_export(path, write)

    def export_tsv(self, path: str) -> bool:
        return self._guarded_export(path, lambda: eng.export_events_tsv(
            self.ctl.doc, path, source=self._study().path, end_s=self._study().duration_s) and None)

    def export_csv(self, path: str) -> bool:
        return self._guarded_export(path, lambda: eng.export_hypnogram_csv(
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
        rep = eng.sleep_report(self.ctl.doc, spo2_pct=spo2, spo2_sfreq_hz=sf)
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
        agreement = eng.compare_scorings(self.ctl.doc, other)
        dlg = CompareDialog(agreement, "this scoring", os.path.basename(path), self.win)
        self.dialogs.append(dlg)
        dlg.open()
        return dlg
