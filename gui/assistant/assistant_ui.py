"""The assistant wired into the main window: starts with each study, overlays its
suggestions, and gives the scorer keys to accept or reject them."""

from __future__ import annotations

import time

from PySide6.QtCore import QTimer
from PySide6.QtGui import QActionGroup
from PySide6.QtWidgets import (
    QFileDialog,
    QInputDialog,
    QMenu,
    QProgressBar,
)

from engine.api import EPOCH_S, Provenance, epoch_of
from gui.assistant.controller import AssistantController
from gui.assistant.ghosts import canonical_of_ghost, ghost_rows, window_trace
from gui.assistant.hypnodensity import HypnodensityStrip
from gui.assistant.panels import OUTLIER_THRESHOLD, AssistantPanel


class AssistantUI:
    def __init__(self, win, scoring_ui):
        self.win = win
        self.viewer = win.viewer
        self.sui = scoring_ui
        self.ctl = AssistantController(win)
        self.panel = AssistantPanel()
        self._status_msg: str | None = None  # a progress text waiting for its turn
        self._status_at = 0.0  # when the status line last changed (monotonic s)
        self._status_timer = QTimer(self.panel)  # shows the waiting text when its turn comes
        self._status_timer.setSingleShot(True)
        self._status_timer.timeout.connect(self._show_status)
        self.density = HypnodensityStrip()
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(180)
        self.progress.setRange(0, 1000)
        self.progress.setVisible(False)
        win.statusBar().addPermanentWidget(self.progress)
        self.dock = win.add_dock(self.panel, "Assistant", "assistant", tab_with=self.sui.events_dock)
        # the hypnodensity strip sits under the hypnogram, above the legend
        self.density.set_duration(1.0)
        self.density.setToolTip("Hypnodensity: the model's probability of each stage per epoch, stacked "
                                "(W yellow, R red, N1 light blue, N2 blue, N3 dark blue); red marks: unusual epochs")
        self.sui.add_below_hypnogram(self.density)
        self.viewer.overview.marks.setToolTip("Red marks: epochs the model finds unusual (outlier score ≥ 0.99)")
        self._density_label(False)
        self.accepted_reconstructions: set[int] = set()
        self.sui.extra_signals_provider = self.accepted_extra_signals
        self._refresh_timer = QTimer(win)
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.setInterval(80)
        self._refresh_timer.timeout.connect(self._refresh_panels)
        self.viewer.virtual_provider = self._ghost_trace
        self.ctl.progress.connect(self._progress)
        self.ctl.updated.connect(self._model_updated)
        self.ctl.failed.connect(self._failed)
        self.ctl.finished.connect(self._finished)
        self.ctl.refitted.connect(self._refitted)
        self.ctl.similar_ready.connect(self._similar_ready)
        self.panel.jump_to_epoch.connect(self.viewer.go_to_epoch)
        self.sui.ctl.changed.connect(self._doc_changed)
        self.sui.overlay.context_requested.connect(self._context_menu)
        self._build_actions()

    # --- actions -------------------------------------------------------------------------
    def _build_actions(self) -> None:
        win = self.win
        mb = win.menuBar()
        m = mb.addMenu("&Assistant")
        mb.insertMenu(win.help_menu.menuAction(), m)
        a = win.add_action
        self.enabled_action = a(m, "Suggest with the model", self.set_enabled, checkable=True)
        self.enabled_action.setChecked(True)
        # the review rhythm: A accepts and advances, X rejects and stays (then type the
        # stage, which advances), Enter accepts and advances; keys in Edit › Staging keys
        self.sui.review_actions["accept"] = a(
            m, "Accept suggestion and advance (epoch, or selected event on screen)", self.accept_and_advance)
        self.sui.review_actions["reject"] = a(
            m, "Reject suggestion and stay — then type the stage (epoch, or selected event)", self.reject)
        self.sui.review_actions["accept_advance"] = a(m, "Accept and advance", self.accept_and_advance)
        self.sui.apply_stage_keys()
        m.addSeparator()
        a(m, "Accept all stage suggestions with confidence ≥ …", self.accept_stages_dialog)
        a(m, "Accept all event suggestions with confidence ≥ …", self.accept_events_dialog)
        # the AASM rule set the respiratory events are scored by (issue #12)
        self.rules_menu = m.addMenu("Respiratory rules")
        self.rules_actions = {}
        group = QActionGroup(self.rules_menu)
        for key, text in (("auto", "From the age in the header (else pediatric)"),
                          ("aasm-pediatric", "AASM pediatric"), ("aasm-adult", "AASM adult (3 % or arousal)"),
                          ("aasm-adult-4", "AASM adult (4 %)")):
            act = self.rules_menu.addAction(text)
            act.setCheckable(True)
            group.addAction(act)
            act.triggered.connect(lambda _=False, k=key: self.set_rule_set(k))
            self.rules_actions[key] = act
        self.rules_actions["auto"].setChecked(True)
        m.addSeparator()
        a(m, "Next flagged epoch", lambda: self.jump_flagged(True), ["]"])
        a(m, "Previous flagged epoch", lambda: self.jump_flagged(False), ["["])
        a(m, "Similar epochs to this one", lambda: self.similar(self.viewer.cursor_epoch), ["Ctrl+F"])
        a(m, "Re-fit on my reviews now", lambda: self.ctl.maybe_refit(force=True))
        m.addSeparator()
        self.recon_menu = m.addMenu("Export reconstructed channel")
        self.recon_menu.setEnabled(False)
        a(m, "Model file…", self.choose_model)
        self.menu = m

    def set_rule_set(self, name: str) -> bool:
        """Assistant › Respiratory rules: score the events again by another rule set (the
        rules' pending suggestions are replaced; decided events stay)."""
        self.ctl.rule_set = None if name == "auto" else name
        if name in self.rules_actions:
            self.rules_actions[name].setChecked(True)
        return self.ctl.rerun_rules()

    def set_enabled(self, on: bool) -> None:
        self.ctl.enabled = bool(on)
        if not on:
            self.ctl.stop()
            self.sui.ctl.throttle.hold(False)
            self.progress.setVisible(False)
            self._set_status("Suggestions are off")
        elif self.viewer.study is not None and self.sui.ctl.doc is not None:
            self.start()

    # --- lifecycle -----------------------------------------------------------------------
    def _density_label(self, on: bool) -> None:
        """The strip's "P" (stage probability) label only while a study is open."""
        self.density.getPlotItem().getAxis("left").setTicks([[(0.5, "P")]] if on else [[]])

    def start(self) -> None:
        study, doc = self.viewer.study, self.sui.ctl.doc
        if study is None or doc is None:
            return
        self._density_label(True)
        self.accepted_reconstructions.clear()
        self.panel.start = study.start_datetime
        self.density.set_duration(study.duration_s)
        self.density.set_proba(doc.suggestion_proba())
        self.sui.ctl.throttle.hold(self.ctl.enabled)  # the pass's changes: twice a second
        self.ctl.start(study, self.viewer.chmap, doc, center_epoch=self.viewer.current_epoch())
        self.progress.setValue(0)
        self.progress.setVisible(self.ctl.enabled)
        self._refresh_timer.start()  # the review queue fills just after the first page is drawn

    def stop(self) -> None:
        self._density_label(False)
        self.ctl.stop()
        self.sui.ctl.throttle.hold(False)
        self.progress.setVisible(False)
        if self.viewer.study is not None:
            self.viewer.set_virtual_rows([])

    def choose_model(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.win, "Model file", "", "Models (*.safetensors *.pt);;All (*)")
        if path:
            self.use_model(path)

    def use_model(self, path: str) -> None:
        self.ctl.model_path = path
        self.start()

    # --- results -------------------------------------------------------------------------
    STATUS_EVERY_S = 0.25  # the status line is word-wrapped: each new text re-lays out the dock

    def _progress(self, frac: float, msg: str) -> None:
        self.progress.setValue(int(frac * 1000))
        self.progress.setFormat(f"model {frac:.0%}")
        if self.ctl.last_error is not None:  # the other jobs go on; the failure stays in view
            msg = f"{self._failure_text(self.ctl.last_error)}<br>{msg}"
        self._status_msg = msg
        wait_s = self._status_at + self.STATUS_EVERY_S - time.monotonic()
        if 0.0 < frac < 1.0 and self.ctl.last_error is None and wait_s > 0:
            # a burst of batch counts: the latest text is shown when the interval is over
            if not self._status_timer.isActive():
                self._status_timer.start(int(wait_s * 1000) + 1)
            return
        self._show_status()

    def _show_status(self) -> None:
        if self._status_msg is not None:
            self._set_status(self._status_msg)

    def _set_status(self, text: str) -> None:
        """The status line now (a progress text still pending is dropped)."""
        self._status_msg = None
        self._status_timer.stop()
        self._status_at = time.monotonic()
        if text != self.panel.status.text():
            self.panel.status.setText(text)

    def _model_updated(self) -> None:
        doc = self.sui.ctl.doc
        if doc is None:
            return
        out = self.panel.outlier_epochs(self.ctl.outlier, OUTLIER_THRESHOLD)
        self.density.set_outliers(out)
        self.sui.hypnogram.set_outliers(out)
        self.viewer.overview.set_marks(out * EPOCH_S + EPOCH_S / 2)
        chans = self.ctl.reconstructed_channels()
        have = {r.sig for r in self.viewer.rows if r.sig < 0}
        if {-(c + 1) for c, _, _ in chans} != have:
            self.viewer.set_virtual_rows(ghost_rows([c for c, _, _ in chans], self.ctl.reconstruction_pieces,
                                                    self.viewer.rows, self.viewer.chmap))
            self._rebuild_recon_menu(chans)
        else:
            t0 = self.viewer.start_s
            if any(p.start_s < t0 + self.viewer.effective_window() and
                   p.start_s + len(p.mean) / p.sfreq_hz > t0
                   for c, _, _ in chans for p in self.ctl.reconstruction_pieces(c)[-4:]):
                self.viewer.refresh()
        self._refresh_timer.start()

    def _finished(self) -> None:
        self.sui.ctl.throttle.hold(False)  # everything pending reaches the panels now
        self.progress.setVisible(False)
        if self.ctl.last_error is None and self.ctl.session is not None:
            s = self.ctl.session
            what = "Suggestions" if s.can_stage else "Event suggestions (no EEG or EOG: no stage suggestions)"
            self._set_status(f"{what} ready for {s.n_epochs} epochs · "
                                      f"missing channels: {', '.join(s.missing_channels) or 'none'}"
                                      + (f" · {self.ctl.recon_note}" if self.ctl.recon_note else "")
                                      + (f" · {self.ctl.stage_note}" if self.ctl.stage_note else ""))
        if self.ctl.likeness_note:  # the status bar says when a study is unlike the training nights
            self.win.statusBar().showMessage(f"Assistant: {self.ctl.likeness_note}", 20000)

    @staticmethod
    def _failure_text(msg: str) -> str:
        import html

        return f"<span style='color:#b00'>The model stopped: {html.escape(msg)}</span>"

    def _failed(self, msg: str) -> None:
        """Non-modal: the viewer and hand scoring keep working."""
        self.progress.setVisible(False)
        self._set_status(self._failure_text(msg))
        self.win.statusBar().showMessage(f"Assistant: {msg}", 15000)

    def _refitted(self, res) -> None:
        self.panel.show_changes(res)
        self.win.statusBar().showMessage(
            f"Re-fitted on {res.n_reviewed} reviewed epochs: {len(res.changed)} suggestions changed", 10000)

    def _similar_ready(self, epoch: int, similar) -> None:
        self.dock.raise_()
        self.panel.show_similar(epoch, similar)

    def _doc_changed(self, change) -> None:
        doc = self.sui.ctl.doc
        if doc is None:
            return
        if change.everything or change.suggestion_epochs is not None or change.epochs is not None:
            self.sui.hypnogram.set_suggestions(doc.suggested_stages(), doc.pending_suggestion_mask())
            if change.everything or change.suggestion_epochs is not None:
                self.density.set_proba(doc.suggestion_proba())
            if change.reason == "edit" and change.epochs is not None:
                self.ctl.maybe_refit()
        self._refresh_timer.start()

    def _refresh_panels(self) -> None:
        doc = self.sui.ctl.doc
        self.panel.show_review(self.ctl.review_state() if doc is not None else None, doc,
                               outlier=self.ctl.outlier if doc is not None else None)
        self.panel.show_agreement(self.ctl.agreement() if doc is not None else None)

    def _ghost_trace(self, sig: int, start_s: float, stop_s: float, max_points: int):
        return window_trace(self.ctl.reconstruction_pieces(canonical_of_ghost(sig)), start_s, stop_s, max_points)

    def _rebuild_recon_menu(self, chans) -> None:
        self.recon_menu.clear()
        for c, name, reason in chans:
            act = self.recon_menu.addAction(f"{name} ({reason})")
            act.setCheckable(True)
            act.setChecked(c in self.accepted_reconstructions)
            act.toggled.connect(lambda on, c=c: self.accept_reconstruction(c, on))
        self.recon_menu.setEnabled(bool(chans))

    def accept_reconstruction(self, canonical: int, on: bool = True) -> None:
        (self.accepted_reconstructions.add if on else self.accepted_reconstructions.discard)(canonical)

    def accepted_extra_signals(self) -> list:
        """Reconstructed channels the scorer accepted, as whole-night export signals
        (labelled "... recon", transducer "reconstructed by PedSleepMAE")."""
        from engine.api import CANONICAL_CHANNELS, SNORE_PREFILTER, reconstruction_signal

        study = self.viewer.study
        out = []
        for c in sorted(self.accepted_reconstructions):
            pieces = self.ctl.reconstruction_pieces(c)
            if not pieces or study is None:
                continue
            ch = CANONICAL_CHANNELS[c]
            loud = ch.model_view == "loudness"  # the model rebuilds the snore loudness, not the buzz
            out.append(reconstruction_signal(pieces, pieces[0].sfreq_hz, study.duration_s, ch.model_label, ch.unit,
                                             reason=pieces[0].reason, source_channel=ch.name,
                                             prefilter=SNORE_PREFILTER if loud else ""))
        return out

    # --- accept / reject -----------------------------------------------------------------
    def _selected_suggestion(self):
        doc, eid = self.sui.ctl.doc, self.sui.overlay.selected
        if doc is None or eid is None:
            return None
        try:
            ev = doc.event(eid)
        except KeyError:
            return None
        return ev if ev.provenance in (Provenance.MODEL, Provenance.MODEL_ACCEPTED,
                                       Provenance.MODEL_REJECTED) else None

    def _decide(self, accept: bool, advance: bool = False) -> bool:
        """Accept or reject the selected event suggestion while it is ON SCREEN, else the
        cursor epoch's stage suggestion; with ``advance`` an accepted epoch moves the cursor
        on (an event moves the selection to the next pending suggestion on the page). Says
        what it did in the status bar. False when there was nothing to decide."""
        doc = self.sui.ctl.doc
        if doc is None:
            return False
        say = self.sui.say
        if self.sui.visible_selection() is not None:
            ev = self._selected_suggestion()
            if ev is not None:
                return self._decide_event(ev, accept, advance)
        ep = self.viewer.cursor_epoch
        name = self.sui.epoch_name(ep)
        sugg = doc.suggestion(ep)
        stage = doc.stage_at(ep)
        if not accept:
            if sugg is None or sugg.state == Provenance.MODEL_REJECTED:
                say(f"{name}: no model suggestion to reject" if sugg is None
                    else f"{name}: suggestion already rejected — type the stage")
                return False
            doc.reject_suggestion(ep)
            say(f"{name}: rejected model {sugg.stage.short} — type the stage (it advances)")
            self.sui.update_header()
            return True
        if sugg is not None and sugg.state == Provenance.MODEL:
            doc.accept_suggestions([ep], overwrite=True, label=f"Accept suggestion at epoch {ep + 1}")
            say(f"{name}: accepted model {sugg.stage.short} ({sugg.confidence * 100:.0f} %)")
            if advance:
                self.viewer.advance_cursor()
            return True
        if int(stage) >= 0:  # nothing pending: keep the decided stage and move on
            say(f"{name}: kept {stage.short}")
            if advance:
                self.viewer.advance_cursor()
            return True
        if sugg is not None and sugg.state == Provenance.MODEL_REJECTED:
            say(f"{name}: you rejected the suggestion — type the stage")
        else:
            say(f"{name}: no model suggestion here — type the stage")
        return False

    def _decide_event(self, ev, accept: bool, advance: bool) -> bool:
        doc = self.sui.ctl.doc
        (doc.accept_event if accept else doc.reject_event)(ev.id)
        when = self.sui._clock(ev.onset_s)
        self.sui.say(f"{'Accepted' if accept else 'Rejected'} suggested {ev.type} at {when}")
        nxt = None
        if accept and advance:
            t0, t1 = self.viewer.start_s, self.viewer.start_s + self.viewer.effective_window()
            later = [e for e in doc.events(start_s=t0, stop_s=t1)
                     if e.provenance == Provenance.MODEL and e.onset_s >= ev.onset_s and e.id != ev.id]
            nxt = later[0].id if later else None
        self.sui.overlay.select(nxt)
        return True

    def accept(self) -> bool:
        return self._decide(True)

    def reject(self) -> bool:
        return self._decide(False)

    def accept_and_advance(self) -> bool:
        return self._decide(True, advance=True)

    def accept_stages_at(self, threshold: float):
        doc = self.sui.ctl.doc
        return doc.accept_suggestions(min_confidence=threshold,
                                      label=f"Accept stage suggestions ≥ {threshold:.0%}") if doc else None

    def accept_events_at(self, threshold: float):
        """Accept the pending event suggestions whose confidence reaches ``threshold``. The
        AASM rules' events carry no confidence (a rule admits an event or not): they are
        only taken at 0, and the status bar says how many were left for review."""
        doc = self.sui.ctl.doc
        if doc is None:
            return None
        pending = [e for e in doc.events() if e.provenance is Provenance.MODEL]
        change = doc.accept_events(min_confidence=threshold,
                                   label=f"Accept event suggestions ≥ {threshold:.0%}")
        n_rules_left = sum(e.confidence is None for e in pending) if threshold > 0 else 0
        n_taken = sum(not doc.has_event(e.id) or doc.event(e.id).provenance is not Provenance.MODEL
                      for e in pending)
        note = f"Accepted {n_taken} event suggestion(s) with confidence ≥ {threshold:.0%}"
        if n_rules_left:
            note += (f"; {n_rules_left} by the AASM rules have no confidence and were left for review "
                     "(accept at 0 to take them all)")
        self.sui.say(note)
        return change

    def accept_stages_dialog(self) -> None:
        t, ok = QInputDialog.getDouble(self.win, "Accept stage suggestions",
                                       "Accept every pending stage suggestion with confidence at least:",
                                       0.9, 0.0, 1.0, 2)
        if ok:
            self.accept_stages_at(t)

    def accept_events_dialog(self) -> None:
        t, ok = QInputDialog.getDouble(self.win, "Accept event suggestions",
                                       "Accept every pending event suggestion with confidence at least:\n"
                                       "(the AASM rules' events have no confidence: only 0 takes them)",
                                       0.8, 0.0, 1.0, 2)
        if ok:
            self.accept_events_at(t)

    # --- navigation ----------------------------------------------------------------------
    def jump_flagged(self, forward: bool) -> int | None:
        st = self.ctl.review_state()
        if st is None:
            return None
        e = st.next_after(self.viewer.cursor_epoch, forward)
        if e is not None:
            if self.viewer.effective_window() <= 30:
                self.viewer.go_to_epoch(e)
            else:
                self.viewer.centre_on(e * EPOCH_S + EPOCH_S / 2)
            self.viewer.cursor_epoch = e
            self.viewer.refresh()
            self.sui.say(f"{self.sui.epoch_name(e)}: flagged for review ({st.n_flagged_remaining} remain)")
        else:
            self.sui.say(f"No flagged epoch {'after' if forward else 'before'} this one")
        return e

    def similar(self, epoch: int) -> bool:
        ok = self.ctl.request_similar(int(epoch))
        if not ok:
            self.win.statusBar().showMessage("Similar epochs need the model's embeddings: wait for suggestions", 5000)
        return ok

    def _context_menu(self, t_s: float, row: int, screen_pos) -> None:
        ep = epoch_of(t_s)
        menu = QMenu(self.win)
        span = self.sui.span_menu_actions()
        for act in span:
            menu.addAction(act)
        if span:
            menu.addSeparator()
        menu.addAction(f"Similar epochs to epoch {ep + 1}", lambda: self.similar(ep))
        if self.sui.ctl.doc is not None and self.sui.ctl.doc.suggestion(ep) is not None:
            def at(fn):
                self.viewer.cursor_epoch = ep
                fn()
            menu.addAction("Accept the stage suggestion", lambda: at(self.accept))
            menu.addAction("Reject the stage suggestion", lambda: at(self.reject))
        self._menu = menu
        menu.popup(screen_pos)
