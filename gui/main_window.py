"""Main window: menus, file handling (open, recent, drag-and-drop), settings, errors."""

from __future__ import annotations

import logging
import math
import os

from PySide6.QtCore import QByteArray, Qt
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QDockWidget, QFileDialog, QMainWindow, QMenu, QMessageBox

from engine.api import (
    CANONICAL_NAMES,
    FILTER_CHOICES,
    KIND_NAMES,
    ProfileStore,
    StudyError,
    UserError,
    holds_no_signals,
    map_study,
    open_study,
    scorings_for,
)
from gui import settings as st
from gui.input_pause import install_input_pause
from gui.scoring_file_open import has_scorer_work, is_scoring_format, open_scoring_file
from gui.viewer.viewer_widget import WINDOW_CHOICES_S, Viewer, window_text

log = logging.getLogger(__name__)

EDF_FILTER = "Recordings (*.edf *.EDF *.bdf *.BDF *.rec);;All files (*)"


def _takes_an_argument(slot) -> bool:
    """Whether ``slot`` accepts a positional argument (Qt's ``checked``)."""
    import inspect

    try:
        params = list(inspect.signature(slot).parameters.values())
    except (TypeError, ValueError):
        return False
    return any(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.VAR_POSITIONAL) for p in params)


class MainWindow(QMainWindow):
    def __init__(self, profiles: ProfileStore | None = None):
        super().__init__()
        self.setWindowTitle("PedSleep Assist")
        self.resize(1600, 900)
        self.setAcceptDrops(True)
        self.input_pause = install_input_pause()  # background work steps aside while the scorer acts
        self.settings = st.app_settings()
        self.profiles = profiles or ProfileStore()
        self.viewer = Viewer(self)
        self.setCentralWidget(self.viewer)
        self.last_error: str | None = None
        self._message_boxes: list[QMessageBox] = []
        w = self.settings.value("window_s")
        if w is not None:
            try:
                self.viewer.window_s = float(w)
            except (TypeError, ValueError):
                pass
        self._build_menus()
        from gui.scoring.scoring_ui import ScoringUI

        self.scoring = ScoringUI(self)
        from gui.assistant.assistant_ui import AssistantUI

        self.assistant = AssistantUI(self, self.scoring)
        from gui.session import StudySession

        self.session = StudySession(self.viewer, self.scoring, self.assistant)
        geo = self.settings.value("geometry")
        if isinstance(geo, QByteArray):
            self.restoreGeometry(geo)
        state = self.settings.value("state")
        if isinstance(state, QByteArray):
            self.restoreState(state)
        self.viewer.rows_changed.connect(self._rebuild_channel_menus)
        self.statusBar().showMessage("Ready")

    # --- menus and keys ------------------------------------------------------------------
    def add_action(self, menu: QMenu, text: str, slot, keys=(), checkable=False) -> QAction:
        a = QAction(text, self)
        if keys:
            a.setShortcuts([QKeySequence(k) for k in keys])
            a.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        a.setCheckable(checkable)
        a.triggered.connect(self.guard(slot))
        menu.addAction(a)
        self.addAction(a)
        return a

    def add_dock(self, widget, title: str, name: str,
                 area: Qt.DockWidgetArea = Qt.DockWidgetArea.RightDockWidgetArea,
                 tab_with: QDockWidget | None = None) -> QDockWidget:
        """A dock panel of the window (``name`` keys its saved place); ``tab_with`` puts it
        in the same tab group as another dock, raised."""
        d = QDockWidget(title, self)
        d.setObjectName(name)
        d.setWidget(widget)
        self.addDockWidget(area, d)
        if tab_with is not None:
            self.tabifyDockWidget(tab_with, d)
            d.raise_()
        return d

    def guard(self, slot):
        """Wrap a user action: a UserError (disk full, bad file...) becomes a clear message,
        anything unexpected a message too — never a dead GUI. Passes Qt's ``checked``
        argument on only to slots that take one (looked up at the first call: ~75 actions are
        made at start-up)."""
        takes: list[bool] = []

        def run(*args):
            if not takes:
                takes.append(_takes_an_argument(slot))
            try:
                return slot(*args[:1]) if takes[0] else slot()
            except UserError as exc:
                self.report_error("PedSleep Assist", str(exc))
            except Exception as exc:  # noqa: BLE001
                log.exception("unexpected error in %s", getattr(slot, "__name__", slot))
                self.report_error("Unexpected error", f"{type(exc).__name__}: {exc} (nothing was lost)")

        return run

    def _build_menus(self) -> None:
        mb = self.menuBar()
        f = mb.addMenu("&File")
        self.add_action(f, "&Open…", self.open_dialog, ["Ctrl+O"])
        self.recent_menu = f.addMenu("Open &Recent")
        self._rebuild_recent()
        f.addSeparator()
        self.add_action(f, "&Close study", self.close_study, ["Ctrl+W"])
        self.add_action(f, "&Quit", self.close, ["Ctrl+Q"])
        self.file_menu = f

        v = mb.addMenu("&View")
        self.add_action(v, "Next page", self.viewer.next_page, ["Right", "PgDown"])
        self.add_action(v, "Previous page", self.viewer.prev_page, ["Left", "PgUp"])
        self.add_action(v, "First page", lambda: self.viewer.go_to(0), ["Home"])
        self.add_action(v, "Last page", lambda: self.viewer.go_to(math.inf), ["End"])
        v.addSeparator()
        self.add_action(v, "Zoom in (shorter window)", lambda: self.viewer.zoom(True), ["Ctrl+=", "Ctrl++"])
        self.add_action(v, "Zoom out (longer window)", lambda: self.viewer.zoom(False), ["Ctrl+-"])
        wm = v.addMenu("&Window length")
        group = QActionGroup(self)
        self.window_actions = {}
        for w in WINDOW_CHOICES_S:
            a = self.add_action(wm, window_text(w), lambda _=False, w=w: self.set_window(w), checkable=True)
            group.addAction(a)
            self.window_actions[w] = a
        self._check_window_action()
        self.viewer.page_changed.connect(lambda *_: self._check_window_action())

        c = mb.addMenu("&Channels")
        self.add_action(c, "Select next channel", lambda: self.viewer.move_selection(1), ["Down"])
        self.add_action(c, "Select previous channel", lambda: self.viewer.move_selection(-1), ["Up"])
        self.add_action(c, "Clear the selection (event, span, channel)", self.escape, ["Escape"])
        self.add_action(c, "Gain up (selected, or all)", lambda: self.viewer.change_gain(True), ["+", "="])
        self.add_action(c, "Gain down (selected, or all)", lambda: self.viewer.change_gain(False), ["-"])
        self.add_action(c, "Gain up, all channels", lambda: self.viewer.change_gain(True, True), ["Shift+Up"])
        self.add_action(c, "Gain down, all channels", lambda: self.viewer.change_gain(False, True), ["Shift+Down"])
        self.add_action(c, "Invert (selected, or all)", lambda: self.viewer.toggle_invert(), ["Ctrl+I"])
        c.addSeparator()
        self.add_action(c, "Mon&tage… (show, hide, order, colour, gain, derivations)", self.edit_montage,
                     ["Ctrl+Shift+M"])
        self.clip_action = self.add_action(c, "&Clip traces to their rows",
                                        lambda: self.viewer.set_clip(self.clip_action.isChecked()), checkable=True)
        self.clip_action.setChecked(True)
        self.filter_menu = c.addMenu("Display &filters")
        notch = c.addMenu("Mains &notch")
        ng = QActionGroup(self)
        self.notch_actions = {}
        for hz in (None, 50.0, 60.0):
            a = self.add_action(notch, "off" if hz is None else f"{hz:g} Hz",
                             lambda _=False, hz=hz: self.viewer.set_notch(hz), checkable=True)
            ng.addAction(a)
            self.notch_actions[hz] = a
        self.notch_actions[None].setChecked(True)
        c.addSeparator()
        self.add_action(c, "Channel &mapping…", self.edit_mapping, ["Ctrl+M"])

        h = mb.addMenu("&Help")
        self.help_menu = h
        self.add_action(h, "Keys", self.show_keys, ["F1"])
        self.add_action(h, "About", self.show_about)
        self.viewer.signal_view.row_context.connect(self._row_menu)

    def _check_window_action(self) -> None:
        a = self.window_actions.get(self.viewer.window_s)
        if a is not None:
            a.setChecked(True)

    def _rebuild_recent(self) -> None:
        self.recent_menu.clear()
        items = st.recent_files(self.settings)
        for p in items:
            a = self.recent_menu.addAction(p)
            a.triggered.connect(lambda _=False, p=p: self.open_path(p))
        self.recent_menu.setEnabled(bool(items))

    def _rebuild_channel_menus(self) -> None:
        self.filter_menu.clear()
        kinds = sorted({r.kind for r in self.viewer.rows},
                       key=lambda k: list(KIND_NAMES).index(k) if k in KIND_NAMES else len(KIND_NAMES))
        for kind in kinds:
            sub = self.filter_menu.addMenu(KIND_NAMES.get(kind, kind))
            for filt in FILTER_CHOICES.get(kind, ()):
                a = sub.addAction(filt.label())
                a.triggered.connect(lambda _=False, k=kind, f=filt: self.viewer.set_kind_filter(k, f))

    def _row_menu(self, row: int, global_pos) -> None:
        vis = self.viewer.visible_rows()
        if not 0 <= row < len(vis):
            return
        r = vis[row]
        self.viewer.select_row(row)
        m = QMenu(self)
        m.addAction("Gain up", lambda: self.viewer.change_gain(True))
        m.addAction("Gain down", lambda: self.viewer.change_gain(False))
        m.addAction("Invert", lambda: self.viewer.toggle_invert())
        fm = m.addMenu("Filter")
        for filt in FILTER_CHOICES.get(r.kind, ()):
            fm.addAction(filt.label(), lambda f=filt, s=r.sig: self.viewer.set_row_filter(s, f))
        m.addAction("Hide", lambda s=r.sig: self.viewer.set_visible(s, False))
        ctl = self.assistant.ctl
        if ctl.session is not None:  # channels the study never had: only on request
            asks = [c for c in range(len(CANONICAL_NAMES)) if ctl.can_request(c) is None]
            rm = m.addMenu("Reconstruct a channel not recorded")
            for c in asks:
                rm.addAction(CANONICAL_NAMES[c], lambda c=c: self.request_reconstruction(c))
            rm.setEnabled(bool(asks))
            if ctl.unlike:
                rm.setToolTip(ctl.recon_note)
        m.popup(global_pos)

    # --- files ---------------------------------------------------------------------------
    def open_dialog(self) -> None:
        start = os.path.dirname(st.recent_files(self.settings)[0]) if st.recent_files(self.settings) else ""
        path, _ = QFileDialog.getOpenFileName(self, "Open recording", start, EDF_FILTER)
        if path:
            self.open_path(path)

    def open_path(self, path: str, repair: bool = False, from_scoring: bool = False) -> bool:
        """Open a recording. A scoring opened instead goes to gui/scoring_file_open.py
        (``from_scoring``: this call is that module opening the scoring's recording)."""
        try:
            study = open_study(path, repair=repair)
        except StudyError as exc:
            msg = str(exc)
            if not repair and ("truncated" in msg or "header lies" in msg):
                self._ask_repair(path, msg)
            elif not from_scoring and is_scoring_format(path):  # a hypnogram or event list dropped or named
                return self._open_scoring_file(path)
            else:
                self.report_error("Cannot open recording", msg)
            return False
        except Exception as exc:  # never a traceback in the user's face
            self.report_error("Cannot open recording", f"{os.path.basename(path)}: {exc}")
            return False
        if holds_no_signals(study):  # an annotation-only EDF+: a scoring, not a night to show
            if from_scoring:  # never round again
                study.close()
                self.report_error("Cannot open recording", f"{os.path.basename(path)} holds no signals")
                return False
            return self._open_scoring_file(path, study)
        chmap = map_study(study, self.profiles)
        scoring_warnings = self.session.open(study, chmap, before_scoring=self._apply_saved_montage)
        self.setWindowTitle(f"PedSleep Assist — {os.path.basename(path)}")
        st.add_recent(self.settings, path)
        self._rebuild_recent()
        note = f"Opened {os.path.basename(path)}: {len(study.signals)} signals, " \
               f"{study.duration_s / 3600:.2f} h, mapping {16 - len(chmap.missing)}/16"
        if self.scoring.ctl.session is not None and self.scoring.ctl.session.restored:
            note += " — scoring restored from its journal"
        doc = self.scoring.ctl.doc
        offer = doc is not None and not self.scoring.ctl.read_only and not has_scorer_work(doc)
        beside = scorings_for(study) if offer else []
        self.scoring.scoring_beside = beside[0] if beside else None
        if beside:
            note += (f" — {beside[0].name} beside it is a scoring of this recording: "
                     f"File › Import {beside[0].name} imports it")
        if study.warnings or scoring_warnings:
            note += " — " + "; ".join(list(study.warnings) + scoring_warnings)
        self.statusBar().showMessage(note)
        if self.scoring.ctl.read_only:
            self._tell_read_only(os.path.basename(path))
        return True

    def _open_scoring_file(self, path: str, study=None) -> bool:
        try:
            return open_scoring_file(self, path, study)
        except Exception as exc:  # never a traceback in the user's face
            log.exception("opening the scoring %s", path)
            self.report_error("Cannot open scoring", f"{os.path.basename(path)}: {exc}")
            return False

    def _tell_read_only(self, name: str) -> None:
        """The scoring opened read-only: say so in the title, the status bar and a message;
        a read-only archive is continued in a copy only if the scorer agrees."""
        session = self.scoring.ctl.session
        reason = session.read_only_reason or "the scoring is read-only"
        self.setWindowTitle(f"PedSleep Assist — {name} (read-only)")
        self.statusBar().showMessage(f"Read-only: {reason}")
        self.last_error = reason
        if session.can_copy:
            box = QMessageBox(QMessageBox.Icon.Question, "Scoring is read-only",
                              f"{reason}.\n\nMake an editable copy in your user data folder? "
                              "The archive itself is never changed.",
                              QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, self)
            box.finished.connect(lambda res: self._make_editable_copy(name)
                                 if res == QMessageBox.StandardButton.Yes else None)
        else:
            box = QMessageBox(QMessageBox.Icon.Information, "Scoring is read-only", reason,
                              QMessageBox.StandardButton.Ok, self)
        self.show_box(box)

    def show_box(self, box: QMessageBox) -> None:
        """Open a window-modal message without blocking the event loop; it is kept (and
        findable by tests) until it closes."""
        box.finished.connect(lambda *_: self._message_boxes.remove(box) if box in self._message_boxes else None)
        self._message_boxes.append(box)
        box.open()

    def _make_editable_copy(self, name: str) -> None:
        try:
            copy = self.scoring.ctl.make_editable_copy()
        except UserError as exc:
            self.report_error("Scoring is read-only", str(exc))
            return
        self.setWindowTitle(f"PedSleep Assist — {name}")
        self.statusBar().showMessage(f"Editing a copy of the scoring: {copy}")

    def _ask_repair(self, path: str, msg: str) -> None:
        box = QMessageBox(QMessageBox.Icon.Warning, "Damaged recording",
                          f"{msg}.\n\nOpen the complete records it holds? Nothing is written "
                          "to the file.", QMessageBox.StandardButton.Open |
                          QMessageBox.StandardButton.Cancel, self)
        self.last_error = msg
        box.finished.connect(lambda res: self.open_path(path, repair=True)
                             if res == QMessageBox.StandardButton.Open else None)
        self.show_box(box)

    def escape(self) -> None:
        """Esc: drop the event/span selection first, else the channel selection."""
        scoring = getattr(self, "scoring", None)
        if scoring is None or not scoring.clear_selection():
            self.viewer.select_row(None)

    def report_error(self, title: str, msg: str) -> None:
        """A clear, non-blocking message; the app keeps working. Raw bytes reprs
        (``b'...'``) never reach the user: they are shown as the text they hold."""
        import re

        msg = re.sub(r"""\bb(['"])(.*?)\1""", lambda m: "“" + m.group(2) + "”", str(msg))
        self.last_error = msg
        self.statusBar().showMessage(msg)
        if any(b.isVisible() and b.text() == msg for b in self._message_boxes):
            return  # the same message is already on screen (e.g. keys pressed on a read-only scoring)
        self.show_box(QMessageBox(QMessageBox.Icon.Critical, title, msg, QMessageBox.StandardButton.Ok, self))

    def close_study(self) -> None:
        self.session.close()
        self.viewer.signal_view.show_page([], [], 0.0, 30.0, None)
        self.setWindowTitle("PedSleep Assist")

    def set_window(self, w: float) -> None:
        self.viewer.set_window(w)
        self.settings.setValue("window_s", w if not math.isinf(w) else "inf")

    def edit_mapping(self) -> None:
        if self.viewer.study is None:
            return
        from gui.dialogs.mapping_dialog import MappingDialog  # on demand: not needed to start

        dlg = MappingDialog(self.viewer.study, self.viewer.chmap, self.profiles, self)
        dlg.accepted.connect(lambda: self._apply_mapping(dlg.mapping()))
        self._mapping_dialog = dlg
        dlg.open()

    def _apply_saved_montage(self, study) -> None:
        """A saved montage made for these labels opens with the study (large files
        otherwise open with the built-in PSG montage)."""
        m = self.profiles.find_for([s.display_label for s in study.signals])
        if m is None or not m.rows:
            return
        try:
            self.viewer.apply_montage(m)
        except UserError as exc:
            self.statusBar().showMessage(f"Montage '{m.name}' not applied: {exc}")

    def edit_montage(self) -> None:
        if self.viewer.study is None:
            return
        from gui.dialogs.montage_dialog import MontageDialog

        missing = []
        ctl = self.assistant.ctl
        for c in range(len(CANONICAL_NAMES)):
            if ctl.session is not None and ctl.can_request(c) is None:
                missing.append((c, CANONICAL_NAMES[c]))
        dlg = MontageDialog(self.viewer, self.profiles, self, missing)
        dlg.reconstruct_requested.connect(self.request_reconstruction)
        self._montage_dialog = dlg
        dlg.open()

    def request_reconstruction(self, canonical: int) -> None:
        why = self.assistant.ctl.request_reconstruction(canonical)
        self.statusBar().showMessage(why or f"Reconstructing {CANONICAL_NAMES[canonical]} on request…", 10000)

    def _apply_mapping(self, chmap) -> None:
        self.session.remap(chmap)  # the model sees the study through the new mapping

    # --- drag and drop -------------------------------------------------------------------
    def dragEnterEvent(self, ev):  # noqa: N802
        if ev.mimeData().hasUrls():
            ev.acceptProposedAction()

    def dropEvent(self, ev):  # noqa: N802
        for url in ev.mimeData().urls():
            if url.isLocalFile():
                self.open_path(url.toLocalFile())
                break

    # --- help ----------------------------------------------------------------------------
    def keys_html(self) -> str:
        """F1: the review rhythm, then every key with its action (menu mnemonics removed)."""
        import html

        intro = ("<p><b>Review rhythm</b>: <b>A</b> or <b>Enter</b> accepts the suggestion and advances; "
                 "<b>X</b> rejects it and stays — then type the stage, which advances; <b>Backspace</b> "
                 "clears. Keys act on the selected event only while it is on screen, else on the current "
                 "epoch; <b>Esc</b> clears the selection. Remap in Edit › Staging keys.</p>")
        rows = []
        for a in self.actions():
            if a.shortcuts():
                keys = ", ".join(s.toString() for s in a.shortcuts())
                text = a.text().replace("&&", "\0").replace("&", "").replace("\0", "&")
                rows.append(f"<tr><td><b>{html.escape(keys)}</b></td><td>{html.escape(text)}</td></tr>")
        return intro + "<table>" + "".join(rows) + "</table>"

    def show_keys(self) -> None:
        QMessageBox.information(self, "Keys", self.keys_html())

    def show_about(self) -> None:
        QMessageBox.about(self, "About PedSleep Assist",
                          "PedSleep Assist — a polysomnography annotation assistant.\n"
                          "Signals are read-only: the original recording is never written.")

    def closeEvent(self, ev):  # noqa: N802
        try:
            self.settings.setValue("geometry", self.saveGeometry())
            self.settings.setValue("state", self.saveState())
            self.settings.sync()
            self.session.close(app_closing=True)
            from gui.workers import wait_for_orphans

            wait_for_orphans()  # a job that could not be interrupted ends before the app does
        except Exception as exc:  # closing must never crash the app
            log.exception("error while closing")
            self.last_error = str(exc)
        super().closeEvent(ev)
