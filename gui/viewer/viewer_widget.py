"""The viewer: signal view + overview strip + position line, and the paging/gain/filter
state behind them. Owns the study's TraceSource and its pyramid worker."""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from dataclasses import replace

import numpy as np
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from engine.api import (
    EPOCH_S,
    Derivation,
    DerivedStudy,
    DisplayFilter,
    PyramidSet,
    TraceSource,
    build_pyramids,
)
from gui.viewer import display_state as ds
from gui.viewer.overview import OverviewStrip
from gui.viewer.signal_view import SignalView
from gui.viewer.time_axis import clock_text
from gui.workers import FIRST_PAGE_GRACE_S, GeneratorWorker

HURRY_PYRAMIDS_WINDOW_S = 120.0  # longer windows: the pyramids' build does not pause
LONG_VIEW_S = 900.0  # longer windows' traces are kept apart from the pages' cache
LONG_VIEWS_KEPT = 4

WINDOW_CHOICES_S = (5.0, 10.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0, 7200.0, math.inf)


def window_text(w: float) -> str:
    if math.isinf(w):
        return "whole night"
    if w < 60:
        return f"{w:g} s"
    if w < 3600:
        return f"{w / 60:g} min"
    return f"{w / 3600:g} h"


class Viewer(QWidget):
    page_changed = Signal(float, float)  # start_s, window_s
    rows_changed = Signal()  # a new set of rows (study opened, mapping changed)
    visibility_changed = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.position = QLabel("No study open — File › Open (Ctrl+O) or drop an EDF here")
        self.position.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.signal_view = SignalView(self)
        self.overview = OverviewStrip(self)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addWidget(self.position)
        lay.addWidget(self.signal_view, 1)
        lay.addWidget(self.overview)
        self.study = None
        self.chmap = None
        self.source: TraceSource | None = None
        self.rows: list[ds.ChannelDisplay] = []
        self.start_s = 0.0
        self.window_s = 30.0
        self.selected: int | None = None  # index into visible rows
        self.cursor_epoch = 0  # the epoch staging keys act on (the page's first, then onward)
        self.notch_hz: float | None = None
        self.clip_rows = True  # traces clipped to their row (Channels › Clip traces to rows)
        self.derived: DerivedStudy | None = None  # the study plus a montage's derivations A − B
        self.montage_name: str | None = None
        self.pyramid_worker: GeneratorWorker | None = None
        self.last_page_ms = 0.0
        # rows not read from the file (reconstructed channels): sig < 0, drawn from this
        # provider: (sig, start_s, stop_s, max_points) -> (x, mean, low, high) or None
        self.virtual_provider = None
        # long views' traces (whole night, hours), kept apart from the source's page cache,
        # which ~50 flips of 16 rows empty: (requests, start, stop, points) -> traces
        self._long_views: OrderedDict = OrderedDict()
        self.overview.jump_requested.connect(self.centre_on)
        self.signal_view.row_clicked.connect(self.select_row)
        self.signal_view.wheel_pages.connect(lambda d: self.next_page() if d > 0 else self.prev_page())

    # --- study lifecycle -----------------------------------------------------------------
    def set_study(self, study, chmap, window_s: float | None = None) -> None:
        self.close_study()
        self.study, self.chmap = study, chmap
        self.derived = DerivedStudy(study)
        self.montage_name = None
        self.source = TraceSource(self.derived, PyramidSet())
        self.rows = ds.initial_display(self.derived, chmap)
        self.selected = None
        self.start_s = 0.0
        self.cursor_epoch = 0
        if window_s is not None:
            self.window_s = window_s
        self.signal_view.axis.start = study.start_datetime
        self.overview.axis.start = study.start_datetime
        self.overview.set_duration(study.duration_s)
        self.overview.set_activity(np.zeros(0), np.zeros(0))
        self._start_pyramids()
        self.refresh()
        self.rows_changed.emit()

    def set_mapping(self, chmap) -> None:
        """A new channel mapping: kinds, filters and scales follow it; view state is kept."""
        if self.study is None:
            return
        self.chmap = chmap
        new = {r.sig: r for r in ds.initial_display(self.derived, chmap)}
        rows = []
        for r in self.rows:  # the montage's order, visibility, gains and filters stay
            n = new.pop(r.sig, None)
            if n is None:
                rows.append(r)
            elif n.kind != r.kind:
                rows.append(replace(n, visible=r.visible))
            else:
                rows.append(replace(r, mapped_to=n.mapped_to))
        self.rows = rows + list(new.values())
        self.refresh()
        self.rows_changed.emit()

    def close_study(self) -> None:
        if self.pyramid_worker is not None:
            self.pyramid_worker.cancel()
            self.pyramid_worker.deleteLater()
            self.pyramid_worker = None
        self.signal_view.drop_prepared()
        if self.study is not None:
            self.study.close()
        self.study = self.source = self.chmap = self.derived = None
        self.rows = []
        self._long_views.clear()

    def _start_pyramids(self) -> None:
        study, pyr = self.source.study, self.source.pyramids
        w = GeneratorWorker(lambda cancel: build_pyramids(study, pyr, None, cancel), self,
                            delay_s=FIRST_PAGE_GRACE_S)
        w.item.connect(self._pyramid_ready)
        self.pyramid_worker = w
        w.start()
        self._hurry_pyramids_for_long_views()  # a study opened at a long window

    def _hurry_pyramids_for_long_views(self) -> None:
        """A window past ``HURRY_PYRAMIDS_WINDOW_S``: the scorer is zooming out, and views
        of hours need the envelope pyramids (without them a whole-night view reads the whole
        night first, ~0.6 s on a 10-h file). Their build then stops waiting for the pause
        gate, which holds it while the scorer pages (engine.pause_gate)."""
        w = self.pyramid_worker
        if w is not None and not w.hurried and self.study is not None \
                and self.effective_window() > HURRY_PYRAMIDS_WINDOW_S:
            w.hurry()

    def _pyramid_ready(self, request_id: int, fraction: float) -> None:
        if self.pyramid_worker is None or request_id != self.pyramid_worker.request_id:
            return  # from a study that is no longer open
        if fraction < 1.0:
            return
        self._update_overview_activity()
        self._long_views.clear()
        if self.effective_window() > 900:
            self.source.clear()
            self.refresh()
        QTimer.singleShot(0, self._warm_whole_night)

    def _warm_whole_night(self) -> None:
        """Once the pyramids are built: the whole night's traces and rows' envelope scales,
        so the first whole-night view costs what the next ones do (~10 ms less)."""
        if self.study is None or self.source is None or math.isinf(self.window_s):
            return
        w = self.study.duration_s
        vis = self.visible_rows()
        traces, _bands = self._page_traces(vis, 0.0, w)
        self.signal_view.envelope_rows(traces, vis, 0.0, w)

    def overview_signal(self) -> int | None:
        vis = [r for r in self.rows if r.visible and r.sig >= 0]
        for r in vis:
            if r.kind == "eeg":
                return r.sig
        return vis[0].sig if vis else None

    def _update_overview_activity(self) -> None:
        sig = self.overview_signal()
        p = self.source.pyramids.get(sig) if sig is not None else None
        if p is None or not p.levels:
            return
        lev = 0  # finest level with at most ~4000 bins: detail on short studies too
        while lev + 1 < len(p.levels) and len(p.levels[lev][0]) > 4000:
            lev += 1
        lo, hi = p.levels[lev]
        bin_s = p.bin_size(lev) / p.sfreq_hz
        x = (np.arange(len(lo)) + 0.5) * bin_s
        self.overview.set_activity(x, np.log10(np.maximum(hi - lo, 1e-9)))

    # --- paging --------------------------------------------------------------------------
    def effective_window(self) -> float:
        if self.study is None:
            return self.window_s
        return self.study.duration_s if math.isinf(self.window_s) else min(self.window_s,
                                                                            max(self.study.duration_s, 1.0))

    def page_step(self) -> float:
        return self.effective_window()

    def n_epochs(self) -> int:
        return int(math.ceil(self.study.duration_s / EPOCH_S)) if self.study else 0

    def current_epoch(self) -> int:
        return int(self.start_s // EPOCH_S)

    def _clamp(self, start_s: float) -> float:
        if self.study is None:
            return 0.0
        w = self.effective_window()
        last = max(0.0, self.study.duration_s - w)
        if w >= EPOCH_S and w % EPOCH_S == 0:
            last = max(0.0, math.ceil(self.study.duration_s / EPOCH_S) * EPOCH_S - w)
        return float(min(max(start_s, 0.0), last))

    def go_to(self, start_s: float) -> None:
        self.start_s = self._clamp(start_s)
        self.cursor_epoch = self.current_epoch()
        self.refresh()

    def advance_cursor(self) -> None:
        """After staging: the next epoch; the next page when it leaves the window."""
        nxt = self.cursor_epoch + 1
        if nxt >= self.n_epochs():
            self.refresh()
            return
        if nxt * EPOCH_S >= self.start_s + self.effective_window() - 1e-6:
            self.go_to(nxt * EPOCH_S)
        else:
            self.cursor_epoch = nxt
            self.refresh()

    def next_page(self) -> None:
        self.go_to(self.start_s + self.page_step())

    def prev_page(self) -> None:
        self.go_to(self.start_s - self.page_step())

    def go_to_epoch(self, epoch: int) -> None:
        self.go_to(epoch * EPOCH_S)

    def centre_on(self, t_s: float) -> None:
        w = self.effective_window()
        if w >= EPOCH_S:
            start = math.floor((t_s - w / 2) / EPOCH_S + 0.5) * EPOCH_S
            if w == EPOCH_S:
                start = math.floor(t_s / EPOCH_S) * EPOCH_S
        else:
            start = t_s - w / 2
        # the target's epoch becomes the cursor (staging keys act on what was jumped to)
        self.start_s = self._clamp(start)
        target = min(max(int(t_s // EPOCH_S), 0), max(self.n_epochs() - 1, 0))
        inside = self.start_s <= target * EPOCH_S < self.start_s + w
        self.cursor_epoch = target if inside else self.current_epoch()
        self.refresh()

    def set_window(self, window_s: float) -> None:
        # keep the current (cursor) epoch in view: centre the new window on it (issue 13:
        # whole night and back used to move from epoch 159 to 480)
        centre = self.cursor_epoch * EPOCH_S + EPOCH_S / 2
        self.window_s = window_s
        if self.study is not None:
            w = self.effective_window()
            start = centre - w / 2
            if w >= EPOCH_S:
                start = math.floor(start / EPOCH_S + 0.5) * EPOCH_S
                if w == EPOCH_S:
                    start = self.cursor_epoch * EPOCH_S
            self.start_s = self._clamp(start)
            if not self.start_s <= self.cursor_epoch * EPOCH_S < self.start_s + w:
                self.cursor_epoch = self.current_epoch()
            self._hurry_pyramids_for_long_views()
        self.refresh()

    def zoom(self, finer: bool) -> None:
        choices = WINDOW_CHOICES_S
        i = choices.index(self.window_s) if self.window_s in choices else 3
        i = max(0, i - 1) if finer else min(len(choices) - 1, i + 1)
        self.set_window(choices[i])

    # --- channels ------------------------------------------------------------------------
    def visible_rows(self) -> list[ds.ChannelDisplay]:
        return [r for r in self.rows if r.visible]

    def _replace_row(self, sig: int, new) -> None:
        self.rows = [new if r.sig == sig else r for r in self.rows]

    def select_row(self, row: int | None) -> None:
        vis = self.visible_rows()
        self.selected = row if row is not None and 0 <= row < len(vis) else None
        self.signal_view.labels.set_rows(vis, self.selected)

    def move_selection(self, delta: int) -> None:
        n = len(self.visible_rows())
        if n == 0:
            return
        cur = self.selected if self.selected is not None else (-1 if delta > 0 else n)
        self.select_row(min(max(cur + delta, 0), n - 1))

    def _targets(self, all_rows: bool) -> list[ds.ChannelDisplay]:
        vis = self.visible_rows()
        if all_rows or self.selected is None:
            return vis
        return [vis[self.selected]]

    def change_gain(self, up: bool, all_rows: bool = False) -> None:
        for r in self._targets(all_rows):
            self._replace_row(r.sig, ds.gain(r, up))
        self.refresh()

    def toggle_invert(self, all_rows: bool = False) -> None:
        for r in self._targets(all_rows):
            self._replace_row(r.sig, replace(r, inverted=not r.inverted))
        self.refresh()

    def set_row_filter(self, sig: int, filt: DisplayFilter) -> None:
        row = next(r for r in self.rows if r.sig == sig)
        f = filt.with_notch(self.notch_hz) if filt.enabled else filt
        self._replace_row(sig, replace(row, filter=f.for_rate(row.sfreq_hz)))
        self.refresh()

    def set_kind_filter(self, kind: str, filt: DisplayFilter) -> None:
        for r in list(self.rows):
            if r.kind == kind:
                f = filt.with_notch(self.notch_hz) if (filt.enabled and kind not in ("spo2", "capno")) else filt
                self._replace_row(r.sig, replace(r, filter=f.for_rate(r.sfreq_hz)))
        self.refresh()

    def set_notch(self, notch_hz: float | None) -> None:
        """Mains notch (50/60 Hz or off) on every electrophysiological channel."""
        self.notch_hz = notch_hz
        for r in list(self.rows):
            if r.kind in ("eeg", "eog", "emg", "leg", "ecg", "snore") and r.sig >= 0:
                f = r.filter if r.filter.enabled else DisplayFilter(None, None)
                self._replace_row(r.sig, replace(r, filter=f.with_notch(notch_hz).for_rate(r.sfreq_hz)))
        self.refresh()

    def set_virtual_rows(self, rows: list[ds.ChannelDisplay]) -> None:
        """Add or replace the virtual rows (reconstructed channels)."""
        keep = {r.sig: r for r in self.rows if r.sig < 0}
        new = [keep.get(r.sig, r) for r in rows]
        self.rows = ds.insert_virtual(self.rows, new)
        self.selected = None
        self.refresh()
        self.rows_changed.emit()

    def set_visible(self, sig: int, visible: bool) -> None:
        row = next(r for r in self.rows if r.sig == sig)
        self._replace_row(sig, replace(row, visible=visible))
        self.selected = None
        self.refresh()
        self.visibility_changed.emit()

    def set_clip(self, on: bool) -> None:
        """Clip every trace to its row (on by default), or let big deflections overlap."""
        self.clip_rows = bool(on)
        self.refresh()

    # --- montages ------------------------------------------------------------------------
    def apply_montage(self, montage) -> None:
        """Rows in the montage's order with its visibility, colour, gain and filter; its
        derivations A − B become rows of their own; signals it does not name stay listed,
        hidden. Raises UserError for a derivation the study cannot make."""
        if self.study is None:
            return
        rows_by_sig = {r.sig: r for r in self.rows if r.sig >= 0}
        out, used = [], set()
        for mr in montage.rows:
            if mr.minus:
                sig = self.derived.add(Derivation(mr.plus, mr.minus))
                if sig not in rows_by_sig:
                    rows_by_sig[sig] = ds.row_for_signal(self.derived, self.derived.signals[sig], self.chmap)
            else:
                try:
                    sig = self.derived.signal_index(mr.plus)
                except KeyError:
                    continue  # a signal this file lacks (the montage matched the rest)
            base = rows_by_sig[sig]
            out.append(ds.apply_montage_row(base, mr, self.notch_hz))
            used.add(sig)
        out += [replace(r, visible=False) for s_, r in rows_by_sig.items() if s_ not in used]
        virtual = [r for r in self.rows if r.sig < 0]
        self.rows = ds.insert_virtual(out, virtual)
        self.montage_name = montage.name
        self.selected = None
        self.refresh()
        self.rows_changed.emit()

    def montage_rows(self):
        """The current rows as montage rows (what "Save montage" writes)."""
        return ds.montage_rows(self.rows, self.derived)

    # --- drawing -------------------------------------------------------------------------
    def refresh(self) -> None:
        if self.study is None or self.source is None:
            return
        t_start = time.perf_counter()
        w = self.effective_window()
        self.start_s = self._clamp(self.start_s)
        t1 = self.start_s + w
        vis = self.visible_rows()
        traces, bands = self._page_traces(vis, self.start_s, w)
        self.signal_view.clip_rows = self.clip_rows
        self.signal_view.show_page(traces, vis, self.start_s, w, self.selected, bands)
        self.signal_view.show_cursor_epoch(self.cursor_epoch * EPOCH_S, EPOCH_S)
        self.overview.set_window(self.start_s, t1)
        self._update_position_text()
        self.last_page_ms = (time.perf_counter() - t_start) * 1000
        self.page_changed.emit(self.start_s, w)
        self.signal_view.call_after_paint(self._prefetch)

    def _page_traces(self, vis, start_s: float, w: float) -> tuple[list, list]:
        """Per visible row its (x, y) over [start_s, start_s + w), and the reconstructed
        rows' uncertainty bands (row, x, low, high)."""
        t1 = start_s + w
        max_pts = 2 * self.signal_view.plot_width_px()
        real = [r for r in vis if r.sig >= 0]
        got = iter(self._read([(r.sig, r.filter) for r in real], start_s, t1, max_pts))
        traces, bands = [], []
        empty = (np.zeros(0), np.zeros(0, np.float32))
        for i, r in enumerate(vis):
            if r.sig >= 0:
                x, y = next(got)
                x, y = ds.extend_to_edges(x, y, start_s, t1, r.sfreq_hz)
                traces.append(ds.as_steps(x, y) if r.steps and w <= 900 else (x, y))
                continue
            v = self.virtual_provider(r.sig, start_s, t1, max_pts) if self.virtual_provider else None
            if v is None:
                traces.append(empty)
            else:
                x, mean, lo, hi = v
                traces.append((x, mean))
                bands.append((i, x, lo, hi))
        return traces, bands

    def _read(self, requests, start_s: float, t1: float, max_pts: int) -> list:
        if t1 - start_s <= LONG_VIEW_S:
            return self.source.page(requests, start_s, t1, max_pts)
        key = (tuple(requests), start_s, t1, max_pts)
        got = self._long_views.get(key)
        if got is None:
            got = self.source.page(requests, start_s, t1, max_pts)
            self._long_views[key] = got
            while len(self._long_views) > LONG_VIEWS_KEPT:
                self._long_views.popitem(last=False)
        else:
            self._long_views.move_to_end(key)
        return got

    def _update_position_text(self) -> None:
        s = self.study
        w = self.effective_window()
        ep = self.cursor_epoch + 1
        t0, t1 = clock_text(s.start_datetime, self.start_s), clock_text(s.start_datetime, self.start_s + w)
        self.position.setText(
            f"<b>Epoch {ep} / {self.n_epochs()}</b> &nbsp; {t0} – {t1} &nbsp; "
            f"(window {window_text(self.window_s)}) &nbsp; · &nbsp; {s.path.split('/')[-1]}")

    def _prefetch(self) -> None:
        """The next page (the usual next key press), read and drawn while the scorer reads
        this one; runs after this page has been painted (``call_after_paint``)."""
        if self.study is None or self.source is None:
            return
        w = self.effective_window()
        if w > 900:
            return
        nxt = self._clamp(self.start_s + w)
        if nxt == self.start_s:
            return  # the last page
        vis = self.visible_rows()
        traces, _bands = self._page_traces(vis, nxt, w)
        self.signal_view.clip_rows = self.clip_rows
        self.signal_view.prepare(traces, vis, nxt, w)
