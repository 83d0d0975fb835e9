"""Events on the traces: translucent boxes on their channels' rows, drawn only for the
window in view, from a pool of items created once.

Mouse: with an event type armed, drag across a channel to create one; with nothing armed
(the default) a drag selects a time span that the context menu can score as any type.
Click an event to select it; drag an event's edge to move it. Model suggestions draw
dashed with their confidence; labels never overlap (stacked in lanes, else hidden), and
in windows longer than ``LABEL_MAX_WINDOW_S`` events are thin marks without labels.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QObject, QRectF, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFontMetricsF, QPen
from PySide6.QtWidgets import QGraphicsItem, QGraphicsRectItem, QGraphicsSimpleTextItem

import engine.api as eng
from engine.api import EventType, Provenance

TYPE_COLOURS = {
    EventType.OBSTRUCTIVE_APNEA: (220, 40, 40), EventType.CENTRAL_APNEA: (130, 60, 200),
    EventType.MIXED_APNEA: (240, 130, 20), EventType.HYPOPNEA: (230, 190, 0),
    EventType.DESATURATION: (200, 0, 150), EventType.AROUSAL: (0, 160, 90),
    # the AASM rules' own (issue #12): an apnea whose type no effort channel can tell, a flow
    # reduction nothing can confirm as a hypopnea, PCO2 above the limit
    EventType.APNEA: (170, 50, 50), EventType.POSSIBLE_RESPIRATORY: (200, 180, 120),
    EventType.HYPOVENTILATION: (0, 130, 160),
}
SHORT = {
    EventType.OBSTRUCTIVE_APNEA: "OA", EventType.CENTRAL_APNEA: "CA", EventType.MIXED_APNEA: "MA",
    EventType.HYPOPNEA: "H", EventType.DESATURATION: "Desat", EventType.AROUSAL: "Ar",
    EventType.APNEA: "A (type?)", EventType.POSSIBLE_RESPIRATORY: "Resp?", EventType.HYPOVENTILATION: "HypoV",
}
_BREATHING = ("flow", "resp")
TYPE_KINDS = {  # row kinds a channel-less event is scored from
    EventType.OBSTRUCTIVE_APNEA: _BREATHING, EventType.CENTRAL_APNEA: _BREATHING,
    EventType.MIXED_APNEA: _BREATHING, EventType.HYPOPNEA: _BREATHING, EventType.APNEA: _BREATHING,
    EventType.DESATURATION: ("spo2",), EventType.AROUSAL: ("eeg",),
}
EDGE_PX = 6.0
MIN_EVENT_S = 0.5  # a shorter drag is a click, not a span
LABEL_MAX_WINDOW_S = 600.0  # longer windows: thin marks, no labels
LABEL_GAP_PX = 3.0
PROVENANCE_TEXT = {
    Provenance.HUMAN: "scored by you", Provenance.IMPORTED: "imported",
    Provenance.MODEL: "model suggestion (dashed box) — A accepts, X rejects",
    Provenance.MODEL_ACCEPTED: "model suggestion you accepted",
    Provenance.MODEL_REJECTED: "model suggestion you rejected",
}


def _clock(t_s: float) -> str:
    t = int(round(t_s))
    return f"{t // 3600:d}:{t // 60 % 60:02d}:{t % 60:02d}"


class EventOverlay(QObject):
    selection_changed = Signal(object)  # event id or None
    context_requested = Signal(float, int, object)  # time_s, row, global QPoint
    edit_failed = Signal(str)
    event_drawn = Signal(float, float, int)  # onset_s, duration_s, row (a new event)
    span_drawn = Signal(float, float, int)  # start_s, stop_s, row: a finished new drag

    def __init__(self, signal_view, controller):
        super().__init__(signal_view)
        self.sv = signal_view
        self.ctl = controller
        self.armed_type: str | None = None  # nothing armed: a drag selects a span
        self.selected: int | None = None
        self.span: tuple[float, float, int] | None = None  # (start_s, stop_s, row)
        self._pool: list[QGraphicsRectItem] = []
        self._shown: list[tuple[QGraphicsRectItem, int]] = []
        self._rubber = QGraphicsRectItem()
        self._rubber.setPen(QPen(QColor(0, 0, 0), 0, Qt.PenStyle.DashLine))
        self._rubber.setBrush(QBrush(QColor(0, 120, 255, 50)))
        self._rubber.setVisible(False)
        self._rubber.setZValue(20)
        self.sv.vb.addItem(self._rubber, ignoreBounds=True)
        self._span_item = QGraphicsRectItem()
        self._span_item.setPen(QPen(QColor(0, 90, 200), 0, Qt.PenStyle.DashLine))
        self._span_item.setBrush(QBrush(QColor(0, 120, 255, 40)))
        self._span_item.setVisible(False)
        self._span_item.setZValue(19)
        self._span_item.setToolTip("Selected span: right-click › Score as …, Esc clears")
        self.sv.vb.addItem(self._span_item, ignoreBounds=True)
        self._mark_curves: list[pg.PlotCurveItem] = []  # long windows: one thin-line curve per colour
        self.n_marks = 0
        self._drag = None  # ("new", t0, row) | ("edge", event_id, which, onset, offset)
        self.sv.vb.claim("dragged", self.drag_event)
        self.sv.vb.claim("clicked", self.click_event)

    # --- geometry ------------------------------------------------------------------------
    def _rows_of(self, ev) -> list[int]:
        """The rows an event's box is drawn on: its channels; a channel-less event of a
        known type goes on the rows of the signals it is scored from (breathing, SpO2,
        EEG), so imported events do not wash over every trace."""
        if ev.channels:
            labels = [r.label for r in self.sv.rows]
            return [i for i, lb in enumerate(labels) if lb in ev.channels]
        kinds = TYPE_KINDS.get(ev.type, ())
        return [i for i, r in enumerate(self.sv.rows) if r.kind in kinds and r.sig >= 0]

    def _s_per_px(self) -> float:
        return self.sv.window_s / max(1.0, float(self.sv.plot_width_px()))

    # --- drawing -------------------------------------------------------------------------
    def _item(self, k: int) -> QGraphicsRectItem:
        while len(self._pool) <= k:
            it = QGraphicsRectItem()
            it.setZValue(5)
            txt = QGraphicsSimpleTextItem(it)
            txt.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations)
            it._text = txt
            self.sv.vb.addItem(it, ignoreBounds=True)
            self._pool.append(it)
        return self._pool[k]

    def tooltip_for(self, ev) -> str:
        """What a box is: type, time, length, who scored it and how sure the model was."""
        lines = [f"{ev.type} at {_clock(ev.onset_s)}, {ev.duration_s:.1f} s"
                 + (f" on {', '.join(ev.channels)}" if ev.channels else "")]
        src = PROVENANCE_TEXT.get(ev.provenance, ev.provenance.value)
        if ev.confidence is not None and ev.provenance != Provenance.HUMAN:
            src += f"; confidence {ev.confidence * 100:.0f} %"
        lines.append(src)
        lines += eng.event_terms_lines(ev.attrs)  # the AASM rule that admitted it, what was measured
        return "\n".join(lines)

    def redraw(self) -> None:
        doc = self.ctl.doc
        n = len(self.sv.rows)
        t0, t1 = self.sv.start_s, self.sv.start_s + self.sv.window_s
        events = doc.events(start_s=t0, stop_s=t1) if doc is not None else []
        marks_only = self.sv.window_s > LABEL_MAX_WINDOW_S
        k = 0
        self._shown = []
        if marks_only:
            for it in self._pool:
                it.setVisible(False)
            self._draw_marks(events, n)
            return
        self._hide_marks()
        labelled: list[tuple[QGraphicsRectItem, float, float, float]] = []  # item, x, y_top, h
        for ev in events:
            rows = self._rows_of(ev)
            spans = [(n - r - 1, 1.0) for r in rows] if rows else [(0.0, float(n))]
            if not rows and ev.type not in TYPE_COLOURS:
                # a note about the recording ("Channel missing: …"), not a scored event:
                # a thin strip along the top, never a wash of colour over every trace
                spans = [(n - 0.22, 0.26)]
            for y0, h in spans:
                it = self._item(k)
                k += 1
                it.setRect(QRectF(ev.onset_s, y0 + 0.04, ev.duration_s, h - 0.08))
                c = TYPE_COLOURS.get(ev.type, (120, 120, 120))
                suggestion = ev.provenance == Provenance.MODEL
                alpha = 40 if suggestion else (55 if rows else 28)
                it.setBrush(QBrush(QColor(*c, alpha)))
                pen = QPen(QColor(*c), 0)
                pen.setCosmetic(True)
                pen.setWidthF(2.5 if ev.id == self.selected else 1.0)
                if suggestion:
                    pen.setStyle(Qt.PenStyle.DashLine)
                it.setPen(pen)
                it.setToolTip(self.tooltip_for(ev))
                label = SHORT.get(ev.type, ev.type[:10])
                if suggestion and ev.confidence is not None:
                    label += f" {ev.confidence:.0%}?"
                it._text.setText(label)
                it._text.setBrush(QBrush(QColor(*c).darker(150)))
                # an event that began before the window keeps its label at the left edge
                labelled.append((it, max(ev.onset_s, t0), y0 + h - 0.04, h))
                it.setVisible(True)
                self._shown.append((it, ev.id))
        for it in self._pool[k:]:
            it.setVisible(False)
        self._layout_labels(labelled)

    def _draw_marks(self, events, n: int) -> None:
        """Long windows: every event as a thin line along the bottom of its rows, one
        curve per colour (an 8-h night has ~2000 marks: one item each would cost ~0.2 s a
        page, a bar item ~75 ms a frame)."""
        runs: dict[tuple, tuple[list, list]] = {}
        min_w = 2 * self._s_per_px()  # at least two pixels wide
        for ev in events:
            rows = self._rows_of(ev)
            if rows:
                ys = [n - r - 1 + 0.1 for r in rows]
            elif ev.type in TYPE_COLOURS:
                ys = [0.1]
            else:  # a note about the recording: along the top
                ys = [n - 0.1]
            key = (TYPE_COLOURS.get(ev.type, (120, 120, 120)), ev.provenance == Provenance.MODEL)
            xs, yv = runs.setdefault(key, ([], []))
            off = ev.onset_s + max(ev.duration_s, min_w)
            for y in ys:
                xs += (ev.onset_s, off)
                yv += (y, y)
        while len(self._mark_curves) < len(runs):
            c = pg.PlotCurveItem(antialias=False)
            c.setZValue(5)
            c.setToolTip("Events in a long window: a thin line on each channel they were scored on "
                         "(dimmer: model suggestions); zoom in (Ctrl+=) to see and edit them")
            self.sv.vb.addItem(c, ignoreBounds=True)
            self._mark_curves.append(c)
        self.n_marks = 0
        for curve, ((colour, suggestion), (xs, yv)) in zip(self._mark_curves, runs.items()):
            pen = pg.mkPen(*colour, 110 if suggestion else 200, width=3)
            pen.setCapStyle(Qt.PenCapStyle.FlatCap)
            curve.setPen(pen)
            curve.setData(np.asarray(xs, float), np.asarray(yv, float), connect="pairs")
            curve.setVisible(True)
            self.n_marks += len(xs) // 2
        for curve in self._mark_curves[len(runs):]:
            curve.setVisible(False)

    def _hide_marks(self) -> None:
        for curve in self._mark_curves:
            curve.setVisible(False)
        self.n_marks = 0

    def _layout_labels(self, labelled) -> None:
        """Labels never overlap: on each row a label takes the first free lane (a line of
        text lower); when the row has no lane left for it, it is hidden (the box and its
        tooltip remain)."""
        if not labelled:
            return
        px_x, px_y = self.sv.vb.viewPixelSize()  # view units per pixel
        if not px_x or not px_y:
            return
        lanes: dict[float, list[float]] = {}  # row top -> right end (px) of each lane
        for it, x, top, h in sorted(labelled, key=lambda e: (e[2], e[1])):
            fm = QFontMetricsF(it._text.font())
            w_px = fm.horizontalAdvance(it._text.text()) + LABEL_GAP_PX
            h_px = fm.height()
            n_lanes = max(1, int((h / px_y) // h_px))
            x_px = (x - self.sv.start_s) / px_x
            ends = lanes.setdefault(top, [])
            lane = next((i for i, end in enumerate(ends) if x_px >= end), len(ends))
            if lane >= n_lanes:
                it._text.setVisible(False)
                continue
            if lane == len(ends):
                ends.append(0.0)
            ends[lane] = x_px + w_px
            it._text.setPos(x, top - lane * h_px * px_y)
            it._text.setVisible(True)

    # --- hit testing ---------------------------------------------------------------------
    def event_at(self, t_s: float, row: int):
        """The event under a point (its box on that row, or a channel-less one)."""
        doc = self.ctl.doc
        if doc is None:
            return None
        tol = EDGE_PX * self._s_per_px()
        best = None
        for ev in doc.events(start_s=t_s - tol, stop_s=t_s + tol):
            rows = self._rows_of(ev)
            if rows and row not in rows:
                continue
            if ev.onset_s - tol <= t_s <= ev.offset_s + tol:
                if best is None or (bool(rows) and not self._rows_of(best)) or ev.id == self.selected:
                    best = ev
        return best

    def _edge_at(self, ev, t_s: float) -> str | None:
        tol = EDGE_PX * self._s_per_px()
        if abs(t_s - ev.onset_s) <= tol:
            return "start"
        if abs(t_s - ev.offset_s) <= tol:
            return "end"
        return None

    def select(self, event_id: int | None) -> None:
        self.selected = event_id
        if event_id is not None:
            self.clear_span()
        self.redraw()
        self.selection_changed.emit(event_id)

    def in_view(self, event_id: int | None) -> bool:
        """Whether that event is drawn in the window now on screen."""
        doc = self.ctl.doc
        if doc is None or event_id is None:
            return False
        try:
            ev = doc.event(event_id)
        except KeyError:
            return False
        t0, t1 = self.sv.start_s, self.sv.start_s + self.sv.window_s
        return ev.onset_s < t1 and ev.offset_s > t0 and ev.provenance != Provenance.MODEL_REJECTED

    def visible_selection(self) -> int | None:
        """The selected event while it is in view; a selection out of view is dropped."""
        if self.selected is not None and not self.in_view(self.selected):
            self.select(None)
        return self.selected

    def set_span(self, start_s: float, stop_s: float, row: int) -> None:
        n = len(self.sv.rows)
        self.span = (start_s, stop_s, row)
        self._span_item.setRect(QRectF(start_s, n - row - 1 + 0.04, stop_s - start_s, 0.92))
        self._span_item.setVisible(True)

    def clear_span(self) -> None:
        self.span = None
        self._span_item.setVisible(False)

    def span_in_view(self) -> bool:
        if self.span is None:
            return False
        a, b, row = self.span
        t0, t1 = self.sv.start_s, self.sv.start_s + self.sv.window_s
        return a < t1 and b > t0 and 0 <= row < len(self.sv.rows)

    # --- mouse ---------------------------------------------------------------------------
    def click_event(self, ev) -> None:
        if ev.button() == Qt.MouseButton.RightButton:
            p = self.sv.vb.mapSceneToView(ev.scenePos())
            ev.accept()
            self.context_requested.emit(float(p.x()), self.sv.row_at_y(p.y()), ev.screenPos().toPoint())
            return
        if ev.button() != Qt.MouseButton.LeftButton:
            ev.ignore()
            return
        p = self.sv.vb.mapSceneToView(ev.scenePos())
        hit = self.event_at(p.x(), self.sv.row_at_y(p.y()))
        self.clear_span()
        self.select(hit.id if hit else None)
        ev.accept()

    def drag_event(self, ev, axis=None) -> None:
        try:
            self._drag_event(ev)
        except Exception as exc:  # a failed edit (e.g. disk full) must not kill the view
            self._drag = None
            self._rubber.setVisible(False)
            self.edit_failed.emit(str(exc))

    def _drag_event(self, ev) -> None:
        if ev.button() != Qt.MouseButton.LeftButton or self.ctl.doc is None:
            ev.ignore()
            return
        ev.accept()
        p = self.sv.vb.mapSceneToView(ev.scenePos())
        t = min(max(p.x(), 0.0), self.ctl.doc.recording_duration_s)
        if ev.isStart():
            p0 = self.sv.vb.mapSceneToView(ev.buttonDownScenePos())
            row = self.sv.row_at_y(p0.y())
            hit = self.event_at(p0.x(), row)
            edge = self._edge_at(hit, p0.x()) if hit else None
            if hit and edge:
                self._drag = ("edge", hit.id, edge, hit.onset_s, hit.offset_s)
                self.selected = hit.id
            elif row >= 0:
                self._drag = ("new", max(0.0, p0.x()), row)
                self.clear_span()
            else:
                self._drag = None
        if self._drag is None:
            return
        n = len(self.sv.rows)
        if self._drag[0] == "new":
            _, t0, row = self._drag
            a, b = sorted((t0, t))
            self._rubber.setRect(QRectF(a, n - row - 1 + 0.04, b - a, 0.92))
            self._rubber.setVisible(True)
        else:
            _, eid, which, on, off = self._drag
            a, b = (min(t, off - MIN_EVENT_S), off) if which == "start" else (on, max(t, on + MIN_EVENT_S))
            self._rubber.setRect(QRectF(a, 0, b - a, n))
            self._rubber.setVisible(True)
        if ev.isFinish():
            self._rubber.setVisible(False)
            drag, self._drag = self._drag, None
            if drag[0] == "new":
                _, t0, row = drag
                a, b = sorted((t0, t))
                if b - a >= MIN_EVENT_S:
                    # the scoring UI decides: an event of the armed type (asking first when
                    # it is shorter than the AASM minimum), or a selected span
                    self.span_drawn.emit(a, b, row)
            else:
                _, eid, which, on, off = drag
                a, b = (min(t, off - MIN_EVENT_S), off) if which == "start" else (on, max(t, on + MIN_EVENT_S))
                self.ctl.move_event(eid, a, b - a)
                self.select(eid)

    def create_event(self, start_s: float, stop_s: float, row: int, type_: str) -> int | None:
        """A human event of ``type_`` on ``row``'s channel, selected."""
        label = self.sv.rows[row].label
        eid = self.ctl.add_event(start_s, stop_s - start_s, type_, (label,))
        self.clear_span()
        self.select(eid)
        self.event_drawn.emit(start_s, stop_s - start_s, row)
        return eid

    def delete_selected(self) -> bool:
        if self.visible_selection() is None or self.ctl.doc is None:
            return False
        try:
            self.ctl.remove_event(self.selected)
        except KeyError:
            pass
        self.select(None)
        return True
