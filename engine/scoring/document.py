"""The scoring document (`Scoring`): one night's stages, events, model suggestions and
lights off/on — its layers and the queries and edits on them.

Data model
----------
*Decided stage layer* (one value per 30-s epoch): ``stage`` (``Stage``, ``UNSCORED`` = -1
is not Wake), its ``provenance`` (human / imported / model-accepted) and ``confidence``
(float or None).

*Suggestion layer* (beside it, per epoch): the model's class probabilities
``[n_epochs, 5]`` (W, N1, N2, N3, R; NaN row = no suggestion), a state: pending
(``model``), ``model-accepted`` or ``model-rejected``, and what made it (its source).
Accepting copies the suggested stage into the decided layer with provenance
``model-accepted``; rejecting marks it rejected (and clears a stage that came from
accepting it).

*Events*: frozen `Event` records keyed by an int id. A model suggestion is an event with
provenance ``model``; accept/reject turn it into ``model-accepted`` / ``model-rejected``.

The document is split by role (docs/architecture.md):

* here — the layers, their queries, and the public edits, each of which builds a list of
  typed ops;
* ``ops.py`` — those ops (`SetStages`, `SetSuggestions`, `PutEvent`, `DeleteEvent`,
  `SetLights`): apply, inverse, and their JSON form in the journal;
* ``history.py`` — one public call (or one ``with doc.batch(label):`` block) is one undo
  step; its record goes to the record listeners (the journal) before observers hear of
  the change, and an ``OSError`` there rolls the step back and raises ``UserError``, so
  the in-memory document always equals what is on disk;
* ``records.py`` — `Event`, `Suggestion`, `EpochInfo`, `Change`.

Time is float seconds from the recording start; epoch ``i`` covers
``[i * epoch_s, (i + 1) * epoch_s)``.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any, cast

import numpy as np
import numpy.typing as npt

from engine.scoring.history import History, JournalRecord
from engine.scoring.labels import (
    EPOCH_S,
    N_STAGE_CLASSES,
    PROVENANCE_CODES,
    PROVENANCE_INDEX,
    Provenance,
    Stage,
)
from engine.scoring.ops import (
    DeleteEvent,
    PutEvent,
    ScoringOp,
    SetLights,
    SetStages,
    SetSuggestions,
    floats_or_none,
)
from engine.scoring.records import (
    DECIDED_PROVENANCES,
    Change,
    EpochInfo,
    Event,
    Suggestion,
    as_provenance,
    opt_float,
)

__all__ = ["Event", "Suggestion", "EpochInfo", "Change", "Scoring", "DECIDED_PROVENANCES"]

# suggestion states stored per epoch (int8)
_SUGG_NONE = -1
_SUGG_PENDING = PROVENANCE_INDEX[Provenance.MODEL]
_SUGG_ACCEPTED = PROVENANCE_INDEX[Provenance.MODEL_ACCEPTED]
_SUGG_REJECTED = PROVENANCE_INDEX[Provenance.MODEL_REJECTED]

_KEEP: Any = object()  # "leave unchanged" sentinel

Int8Array = npt.NDArray[np.int8]
Float32Array = npt.NDArray[np.float32]
BoolArray = npt.NDArray[np.bool_]
IndexArray = npt.NDArray[np.int64]


def _epochs(idx: IndexArray) -> tuple[int, ...]:
    return tuple(int(i) for i in idx)



def _suggestion_key(onset_s: float, duration_s: float, type_: str, channels: Iterable[str],
                    confidence: float | None, attrs: Mapping[str, Any] | None) -> tuple[Any, ...]:
    """What makes two event suggestions the same one (a refresh keeps its id)."""
    return (float(onset_s), float(duration_s), str(type_), tuple(channels or ()),
            None if confidence is None else float(confidence),
            repr(sorted((attrs or {}).items())))

class Scoring:
    """A night's scoring. See the module docstring for the data model."""

    def __init__(
        self,
        n_epochs: int,
        *,
        epoch_s: float = EPOCH_S,
        start_datetime: _dt.datetime | None = None,
        recording_duration_s: float | None = None,
    ) -> None:
        if n_epochs < 0:
            raise ValueError("n_epochs must be >= 0")
        self.epoch_s = float(epoch_s)
        self.start_datetime = start_datetime
        self.recording_duration_s = (
            float(recording_duration_s)
            if recording_duration_s is not None
            else n_epochs * self.epoch_s
        )
        n = int(n_epochs)
        # the layers (changed only through the ops in ops.py, and by the importers that
        # build a fresh document)
        self._stage: Int8Array = np.full(n, Stage.UNSCORED, dtype=np.int8)
        self._stage_prov: Int8Array = np.full(n, -1, dtype=np.int8)  # -1 = never set
        self._stage_conf: Float32Array = np.full(n, np.nan, dtype=np.float32)
        self._sugg_proba: Float32Array = np.full((n, N_STAGE_CLASSES), np.nan, dtype=np.float32)
        self._sugg_state: Int8Array = np.full(n, _SUGG_NONE, dtype=np.int8)
        # per-epoch suggestion source
        self._sugg_source: npt.NDArray[np.object_] = np.full(n, "", dtype=object)
        self._events: dict[int, Event] = {}
        self._next_event_id = 1
        self.lights_off_s: float | None = None
        self.lights_on_s: float | None = None
        self._history = History(self)

    @classmethod
    def for_duration(
        cls,
        duration_s: float,
        *,
        epoch_s: float = EPOCH_S,
        start_datetime: _dt.datetime | None = None,
    ) -> Scoring:
        """An empty scoring covering a recording of ``duration_s`` (last partial epoch
        included)."""
        n = int(math.ceil(duration_s / epoch_s - 1e-9)) if duration_s > 0 else 0
        return cls(
            n, epoch_s=epoch_s, start_datetime=start_datetime, recording_duration_s=duration_s
        )

    # ------------------------------------------------------------------ basics
    @property
    def n_epochs(self) -> int:
        return int(self._stage.size)

    @property
    def duration_s(self) -> float:
        return self.n_epochs * self.epoch_s

    def epoch_of(self, t_s: float) -> int:
        """Epoch index that contains time ``t_s`` (not clipped)."""
        return int(math.floor(t_s / self.epoch_s + 1e-9))

    def epoch_onset_s(self, epoch: int) -> float:
        return epoch * self.epoch_s

    # ------------------------------------------------------------------ observers
    def subscribe(self, callback: Callable[[Change], None]) -> Callable[[], None]:
        """Call ``callback(change)`` after every edit, undo, redo and load.
        Returns a function that unsubscribes."""
        return self._history.subscribe(callback)

    def add_record_listener(self, fn: Callable[[JournalRecord], None]) -> Callable[[], None]:
        """Journal hook: ``fn(record)`` gets ``{"kind": "do", "label", "ops", "undoable"}``,
        ``{"kind": "undo"}`` or ``{"kind": "redo"}`` before observers are told. If it raises
        OSError the step is rolled back and UserError raised."""
        return self._history.add_record_listener(fn)

    def notify_loaded(self) -> None:
        """Tell observers that everything may have changed (after a load/replay)."""
        self._history.notify(
            Change(
                "load",
                "load",
                (0, self.n_epochs),
                (0, self.n_epochs),
                frozenset(self._events),
                True,
            )
        )

    # ------------------------------------------------------------------ steps (history.py)
    def _commit(self, label: str, ops: list[ScoringOp], undoable: bool = True) -> Change:
        """Apply ops as one step (or fold them into the open batch)."""
        return self._history.commit(label, ops, undoable)

    def batch(self, label: str) -> contextlib.AbstractContextManager[None]:
        """Group every edit made inside into ONE undo step (and one journal record)."""
        return self._history.batch(label)

    def apply_record(self, record: Mapping[str, Any]) -> None:
        """Replay one journal record (used by the journal; no record listeners fire)."""
        self._history.apply_record(record)

    def can_undo(self) -> bool:
        return self._history.can_undo()

    def can_redo(self) -> bool:
        return self._history.can_redo()

    def undo_label(self) -> str | None:
        return self._history.undo_label()

    def redo_label(self) -> str | None:
        return self._history.redo_label()

    def undo(self) -> Change | None:
        """Undo the last step; returns what changed (None when nothing to undo)."""
        return self._history.undo()

    def redo(self) -> Change | None:
        return self._history.redo()

    def clear_history(self) -> None:
        self._history.clear()

    def history_to_dict(self) -> dict[str, Any]:
        """The undo and redo stacks as plain JSON data: the journal keeps them in its
        snapshot when it compacts, so undo still reaches edits made before."""
        return self._history.to_dict()

    def restore_history(self, d: Mapping[str, Any]) -> None:
        """Undo/redo stacks from :meth:`history_to_dict` (ValueError when malformed)."""
        self._history.restore(d)

    # ------------------------------------------------------------------ stage queries
    def stages(self) -> np.ndarray:
        """Decided stages, int8 ``[n_epochs]`` (-1 unscored). A copy."""
        return self._stage.copy()

    def stage_provenance(self) -> list[Provenance | None]:
        return [None if p < 0 else PROVENANCE_CODES[p] for p in self._stage_prov]

    def stage_confidence(self) -> np.ndarray:
        """float32 ``[n_epochs]``, NaN = none."""
        return self._stage_conf.copy()

    def stage_at(self, epoch: int) -> Stage:
        return Stage(int(self._stage[epoch]))

    def epoch(self, epoch: int) -> EpochInfo:
        p = int(self._stage_prov[epoch])
        return EpochInfo(
            index=epoch,
            onset_s=epoch * self.epoch_s,
            stage=Stage(int(self._stage[epoch])),
            provenance=None if p < 0 else PROVENANCE_CODES[p],
            confidence=opt_float(self._stage_conf[epoch]),
            suggestion=self.suggestion(epoch),
        )

    def suggestion(self, epoch: int) -> Suggestion | None:
        st = int(self._sugg_state[epoch])
        if st == _SUGG_NONE:
            return None
        proba = self._sugg_proba[epoch]
        k = int(np.nanargmax(proba))
        return Suggestion(
            Stage(k), float(proba[k]), tuple(float(x) for x in proba), PROVENANCE_CODES[st],
            str(self._sugg_source[epoch]),
        )

    def suggested_stages(self) -> np.ndarray:
        """Suggested stage per epoch, int8 ``[n_epochs]`` (-1 = no suggestion)."""
        out = np.full(self.n_epochs, -1, dtype=np.int8)
        has = self._sugg_state != _SUGG_NONE
        if has.any():
            out[has] = np.nanargmax(self._sugg_proba[has], axis=1)
        return out

    def suggestion_proba(self) -> np.ndarray:
        """float32 ``[n_epochs, 5]`` (W, N1, N2, N3, R), NaN rows = none. A copy."""
        return self._sugg_proba.copy()

    def suggestion_confidence(self) -> np.ndarray:
        out = np.full(self.n_epochs, np.nan, dtype=np.float32)
        has = self._sugg_state != _SUGG_NONE
        if has.any():
            out[has] = np.nanmax(self._sugg_proba[has], axis=1)
        return out

    def pending_suggestion_mask(self) -> BoolArray:
        """bool ``[n_epochs]``: epochs whose suggestion awaits accept/reject."""
        return np.asarray(self._sugg_state == _SUGG_PENDING, dtype=np.bool_)

    def suggestion_sources(self) -> list[str]:
        """What made each epoch's suggestion ("yasa", "pedsleepmae", "per-study re-fit", ...;
        "" where none or unknown)."""
        return [
            str(x) if st != _SUGG_NONE else ""
            for x, st in zip(self._sugg_source, self._sugg_state, strict=True)
        ]

    def suggestion_states(self) -> list[Provenance | None]:
        return [None if s < 0 else PROVENANCE_CODES[s] for s in self._sugg_state]

    # ------------------------------------------------------------------ stage edits
    def _stage_op(
        self,
        idx: npt.ArrayLike,
        stages: npt.ArrayLike,
        provenance: Provenance | str | Iterable[Provenance | str],
        confidence: float | None | Iterable[float | None] | npt.NDArray[np.floating[Any]],
    ) -> SetStages:
        idx = np.asarray(idx, dtype=np.int64)
        st = np.broadcast_to(np.asarray(stages, dtype=np.int64), idx.shape)
        bad = ~np.isin(st, [s.value for s in Stage])
        if bad.any():
            raise ValueError(f"not a stage code: {st[bad][0]}")
        if idx.size and (idx.min() < 0 or idx.max() >= self.n_epochs):
            raise IndexError(f"epoch out of range 0..{self.n_epochs - 1}")
        if isinstance(provenance, (Provenance, str)):
            prov = np.full(idx.shape, PROVENANCE_INDEX[as_provenance(provenance)], dtype=np.int64)
        else:
            prov = np.asarray(
                [PROVENANCE_INDEX[as_provenance(p)] for p in provenance], dtype=np.int64
            )
        if confidence is None or np.isscalar(confidence):
            conf = [opt_float(confidence)] * idx.size
        else:
            conf = [opt_float(c) for c in cast(Iterable[Any], confidence)]
        return SetStages(
            _epochs(idx), tuple(int(x) for x in st), tuple(int(x) for x in prov), tuple(conf)
        )

    def set_stage(
        self,
        epoch: int,
        stage: Stage | int,
        *,
        provenance: Provenance | str = Provenance.HUMAN,
        confidence: float | None = None,
    ) -> Change:
        """Score one epoch (``Stage.UNSCORED`` clears it)."""
        op = self._stage_op(np.array([epoch]), int(stage), provenance, confidence)
        return self._commit(f"Stage {Stage(int(stage)).short} at epoch {epoch + 1}", [op])

    def set_stages(
        self,
        start_epoch: int,
        stages: Sequence[int] | np.ndarray,
        *,
        provenance: Provenance | str | Sequence[Provenance | str] = Provenance.HUMAN,
        confidence: float | None | Sequence[float | None] = None,
        label: str | None = None,
    ) -> Change:
        """Score consecutive epochs from ``start_epoch`` (one undo step)."""
        stages = np.asarray(stages, dtype=np.int64)
        idx = np.arange(start_epoch, start_epoch + stages.size)
        op = self._stage_op(idx, stages, provenance, confidence)
        return self._commit(label or f"Stage {stages.size} epochs", [op])

    def set_stage_range(
        self,
        start_epoch: int,
        stop_epoch: int,
        stage: Stage | int,
        *,
        provenance: Provenance | str = Provenance.HUMAN,
    ) -> Change:
        """Give epochs ``[start_epoch, stop_epoch)`` one stage (one undo step)."""
        idx = np.arange(start_epoch, stop_epoch)
        op = self._stage_op(idx, int(stage), provenance, None)
        return self._commit(f"Stage {Stage(int(stage)).short} x{idx.size}", [op])

    def clear_stages(self, start_epoch: int = 0, stop_epoch: int | None = None) -> Change:
        stop = self.n_epochs if stop_epoch is None else stop_epoch
        return self.set_stage_range(start_epoch, stop, Stage.UNSCORED)

    # ------------------------------------------------------------------ suggestions
    def set_suggestions(
        self,
        start_epoch: int,
        proba: np.ndarray,
        *,
        undoable: bool = False,
        label: str = "Model stage suggestions",
        source: str | None = None,
    ) -> Change:
        """Store the model's stage probabilities ``proba`` ``[n, 5]`` (W, N1, N2, N3, R)
        for epochs ``start_epoch ..``; they become pending suggestions. An epoch whose
        suggestion was already accepted/rejected keeps that state when the suggested stage
        is unchanged. Not an undo step by default (model output is not a user edit), but
        journalled."""
        proba = np.asarray(proba, dtype=np.float32).reshape(-1, N_STAGE_CLASSES)
        idx = np.arange(start_epoch, start_epoch + proba.shape[0])
        if idx.size == 0:
            return Change("edit", label)
        if idx.min() < 0 or idx.max() >= self.n_epochs:
            raise IndexError(f"epoch out of range 0..{self.n_epochs - 1}")
        old_state = self._sugg_state[idx]
        old_arg = self.suggested_stages()[idx]
        new_arg = np.argmax(np.nan_to_num(proba, nan=-1.0), axis=1)
        keep = (old_state >= 0) & (old_state != _SUGG_PENDING) & (old_arg == new_arg)
        state = np.where(keep, old_state, _SUGG_PENDING)
        state = np.where(np.isnan(proba).all(axis=1), _SUGG_NONE, state)
        op = SetSuggestions(
            _epochs(idx),
            tuple(int(x) for x in state),
            tuple(None if np.isnan(r).all() else tuple(float(x) for x in r) for r in proba),
            # recorded in the provenance (journal, snapshot, export sidecar)
            None if source is None else str(source),
        )
        return self._commit(label, [op], undoable=undoable)

    def clear_suggestions(self, *, undoable: bool = False) -> Change:
        idx = np.flatnonzero(self._sugg_state != _SUGG_NONE)
        if idx.size == 0:
            return Change("edit", "Clear suggestions")
        op = SetSuggestions(_epochs(idx), (_SUGG_NONE,) * idx.size, (None,) * idx.size, "")
        return self._commit("Clear suggestions", [op], undoable=undoable)

    def _epochs_arg(self, epochs: Iterable[int] | None) -> np.ndarray:
        if epochs is None:
            return np.arange(self.n_epochs)
        return np.asarray(sorted(set(int(e) for e in epochs)), dtype=np.int64)

    def accept_suggestions(
        self,
        epochs: Iterable[int] | None = None,
        *,
        min_confidence: float = 0.0,
        overwrite: bool = False,
        label: str | None = None,
    ) -> Change:
        """Accept pending suggestions (all, or those in ``epochs``) whose confidence is
        ``>= min_confidence``: each becomes its epoch's stage with provenance
        ``model-accepted``. Epochs that already have a decided stage are skipped unless
        ``overwrite``. ONE undo step."""
        idx = self._epochs_arg(epochs)
        conf = self.suggestion_confidence()[idx]
        ok = (self._sugg_state[idx] == _SUGG_PENDING) & (conf >= min_confidence)
        if not overwrite:
            ok &= self._stage[idx] == Stage.UNSCORED
        idx = idx[ok]
        if idx.size == 0:
            return Change("edit", label or "Accept suggestions")
        stages = self.suggested_stages()[idx]
        ops = [
            self._stage_op(
                idx, stages, Provenance.MODEL_ACCEPTED, self.suggestion_confidence()[idx]
            ),
            SetSuggestions(_epochs(idx), (_SUGG_ACCEPTED,) * idx.size),
        ]
        lbl = label or (
            f"Accept suggestion at epoch {idx[0] + 1}"
            if idx.size == 1
            else f"Accept {idx.size} suggestions (confidence >= {min_confidence:g})"
        )
        return self._commit(lbl, ops)

    def accept_suggestion(self, epoch: int) -> Change:
        """Accept one epoch's suggestion (replacing its stage, whatever it was)."""
        return self.accept_suggestions([epoch], overwrite=True)

    def reject_suggestions(
        self, epochs: Iterable[int] | None = None, *, max_confidence: float = math.inf
    ) -> Change:
        """Mark suggestions rejected (pending or accepted ones; an accepted one also
        clears the stage it had set). ONE undo step."""
        idx = self._epochs_arg(epochs)
        conf = self.suggestion_confidence()[idx]
        st = self._sugg_state[idx]
        ok = ((st == _SUGG_PENDING) | (st == _SUGG_ACCEPTED)) & (conf <= max_confidence)
        idx = idx[ok]
        if idx.size == 0:
            return Change("edit", "Reject suggestions")
        ops: list[ScoringOp] = [SetSuggestions(_epochs(idx), (_SUGG_REJECTED,) * idx.size)]
        from_model = idx[self._stage_prov[idx] == _SUGG_ACCEPTED]
        if from_model.size:
            ops.append(self._stage_op(from_model, Stage.UNSCORED, Provenance.MODEL_REJECTED, None))
        lbl = (
            f"Reject suggestion at epoch {idx[0] + 1}"
            if idx.size == 1
            else f"Reject {idx.size} suggestions"
        )
        return self._commit(lbl, ops)

    def reject_suggestion(self, epoch: int) -> Change:
        return self.reject_suggestions([epoch])

    # ------------------------------------------------------------------ events
    def event(self, event_id: int) -> Event:
        return self._events[event_id]

    def has_event(self, event_id: int) -> bool:
        """Whether ``event_id`` is still in the document (a refresh or an undo may have
        removed it since a view last looked)."""
        return event_id in self._events

    @property
    def n_events(self) -> int:
        return len(self._events)

    def events(
        self,
        *,
        types: Iterable[str] | None = None,
        start_s: float | None = None,
        stop_s: float | None = None,
        decided_only: bool = False,
        include_suggestions: bool = True,
        include_rejected: bool = False,
    ) -> list[Event]:
        """Events sorted by onset. ``start_s/stop_s`` keep those overlapping the window.
        By default: decided events and pending suggestions, not rejected ones."""
        tset = None if types is None else set(types)
        out = []
        for ev in self._events.values():
            p = ev.provenance
            if p is Provenance.MODEL_REJECTED and not include_rejected:
                continue
            if p is Provenance.MODEL and (decided_only or not include_suggestions):
                continue
            if tset is not None and ev.type not in tset:
                continue
            if (
                start_s is not None
                and ev.offset_s < start_s
                and not (ev.duration_s == 0 and ev.onset_s >= start_s)
            ):
                continue
            if stop_s is not None and ev.onset_s >= stop_s:
                continue
            out.append(ev)
        out.sort(key=lambda e: (e.onset_s, e.id))
        return out

    def _new_event(
        self,
        onset_s: float,
        duration_s: float,
        type: str,
        channels: Sequence[str] | str = (),
        provenance: Provenance | str = Provenance.HUMAN,
        confidence: float | None = None,
        attrs: Mapping[str, Any] | None = None,
    ) -> Event:
        if isinstance(channels, str):
            channels = (channels,)
        duration_s = float(duration_s)
        onset_s = float(onset_s)
        if duration_s < 0:
            onset_s, duration_s = onset_s + duration_s, -duration_s
        eid = self._next_event_id
        self._next_event_id += 1
        return Event(
            eid,
            onset_s,
            duration_s,
            str(type),
            tuple(channels),
            as_provenance(provenance),
            opt_float(confidence),
            dict(attrs or {}),
        )

    def add_event(
        self,
        onset_s: float,
        duration_s: float,
        type: str,
        *,
        channels: Sequence[str] | str = (),
        provenance: Provenance | str = Provenance.HUMAN,
        confidence: float | None = None,
        attrs: Mapping[str, Any] | None = None,
    ) -> int:
        """Add an event; returns its id."""
        ev = self._new_event(onset_s, duration_s, type, channels, provenance, confidence, attrs)
        self._commit(f"Add {ev.type}", [PutEvent(ev)])
        return ev.id

    def add_events(
        self,
        events: Iterable[Mapping[str, Any]],
        *,
        label: str = "Add events",
        undoable: bool = True,
    ) -> list[int]:
        """Add many events (dicts with onset_s, duration_s, type and optionally channels,
        provenance, confidence, attrs) as ONE step; returns their ids."""
        evs = [
            self._new_event(
                d["onset_s"],
                d["duration_s"],
                d["type"],
                d.get("channels", ()),
                d.get("provenance", Provenance.HUMAN),
                d.get("confidence"),
                d.get("attrs"),
            )
            for d in events
        ]
        self._commit(label, [PutEvent(e) for e in evs], undoable)
        return [e.id for e in evs]

    def suggest_events(
        self,
        events: Iterable[Mapping[str, Any]],
        *,
        replace_pending: bool = True,
        start_s: float | None = None,
        stop_s: float | None = None,
        undoable: bool = False,
    ) -> list[int]:
        """Store model event suggestions (dicts with onset_s, duration_s, type, confidence,
        optional channels) with provenance ``model``. With ``replace_pending`` the pending
        suggestions overlapping ``[start_s, stop_s)`` (default: all) are replaced: one that
        is given again unchanged keeps its id (a selection on it survives a refresh), the
        others are removed. Journalled; not an undo step by default. Returns the id that
        stands for each given suggestion."""
        wanted = list(events)
        ops: list[ScoringOp] = []
        standing: dict[tuple[Any, ...], list[int]] = {}
        if replace_pending:
            for ev in self.events(start_s=start_s, stop_s=stop_s):
                if ev.provenance is Provenance.MODEL:
                    key = _suggestion_key(ev.onset_s, ev.duration_s, ev.type, ev.channels, ev.confidence, ev.attrs)
                    standing.setdefault(key, []).append(ev.id)
        ids: list[int] = []
        new: list[Event] = []
        for d in wanted:
            key = _suggestion_key(d["onset_s"], d["duration_s"], d["type"], d.get("channels", ()),
                                  d.get("confidence"), d.get("attrs"))
            same = standing.get(key)
            if same:
                ids.append(same.pop(0))
                continue
            ev = self._new_event(
                d["onset_s"],
                d["duration_s"],
                d["type"],
                d.get("channels", ()),
                Provenance.MODEL,
                d.get("confidence"),
                d.get("attrs"),
            )
            new.append(ev)
            ids.append(ev.id)
        ops += [DeleteEvent(i) for left in standing.values() for i in left]
        ops += [PutEvent(e) for e in new]
        if ops:
            self._commit("Model event suggestions", ops, undoable=undoable)
        return ids

    def update_event(
        self,
        event_id: int,
        *,
        onset_s: float = _KEEP,
        duration_s: float = _KEEP,
        type: str = _KEEP,
        channels: Sequence[str] = _KEEP,
        provenance: Provenance | str = _KEEP,
        confidence: float | None = _KEEP,
    ) -> Change:
        """Move/resize/retype an event (e.g. dragging an edge). One undo step."""
        ev = self._events[event_id]
        changes: dict[str, Any] = {}
        if onset_s is not _KEEP:
            changes["onset_s"] = float(onset_s)
        if duration_s is not _KEEP:
            changes["duration_s"] = float(duration_s)
        if type is not _KEEP:
            changes["type"] = str(type)
        if channels is not _KEEP:
            changes["channels"] = (channels,) if isinstance(channels, str) else tuple(channels)
        if provenance is not _KEEP:
            changes["provenance"] = as_provenance(provenance)
        if confidence is not _KEEP:
            changes["confidence"] = opt_float(confidence)
        new = replace(ev, **changes)
        if new.duration_s < 0:
            new = replace(new, onset_s=new.onset_s + new.duration_s, duration_s=-new.duration_s)
        label = f"Retype {ev.type} → {new.type}" if new.type != ev.type else f"Edit {ev.type}"
        return self._commit(label, [PutEvent(new)])

    def remove_event(self, event_id: int) -> Change:
        if event_id not in self._events:
            raise KeyError(f"no event with id {event_id}")
        return self._commit(
            f"Delete {self._events[event_id].type}", [DeleteEvent(event_id)]
        )

    def remove_events(self, event_ids: Iterable[int], *, label: str = "Delete events") -> Change:
        ops: list[ScoringOp] = []
        for i in event_ids:
            if int(i) not in self._events:
                raise KeyError(f"no event with id {int(i)}")
            ops.append(DeleteEvent(int(i)))
        return self._commit(label, ops)

    def _event_state_ops(self, evs: Iterable[Event], prov: Provenance) -> list[ScoringOp]:
        return [PutEvent(replace(e, provenance=prov)) for e in evs]

    def accept_events(
        self,
        event_ids: Iterable[int] | None = None,
        *,
        min_confidence: float = 0.0,
        types: Iterable[str] | None = None,
        label: str | None = None,
    ) -> Change:
        """Accept pending event suggestions (given ids, or all) with confidence
        ``>= min_confidence`` (None counts as 0) -> ``model-accepted``. ONE undo step."""
        pool = (
            [self._events[i] for i in event_ids]
            if event_ids is not None
            else self.events(types=types)
        )
        tset = None if types is None else set(types)
        sel = [
            e
            for e in pool
            if e.provenance is Provenance.MODEL
            and (e.confidence or 0.0) >= min_confidence
            and (tset is None or e.type in tset)
        ]
        lbl = label or (
            f"Accept {sel[0].type}" if len(sel) == 1 else f"Accept {len(sel)} event suggestions"
        )
        return self._commit(lbl, self._event_state_ops(sel, Provenance.MODEL_ACCEPTED))

    def accept_event(self, event_id: int) -> Change:
        return self.accept_events([event_id])

    def reject_events(
        self, event_ids: Iterable[int] | None = None, *, types: Iterable[str] | None = None
    ) -> Change:
        """Mark event suggestions (pending or accepted) ``model-rejected``. ONE undo step."""
        pool = (
            [self._events[i] for i in event_ids]
            if event_ids is not None
            else self.events(types=types)
        )
        sel = [e for e in pool if e.provenance in (Provenance.MODEL, Provenance.MODEL_ACCEPTED)]
        lbl = f"Reject {sel[0].type}" if len(sel) == 1 else f"Reject {len(sel)} event suggestions"
        return self._commit(lbl, self._event_state_ops(sel, Provenance.MODEL_REJECTED))

    def reject_event(self, event_id: int) -> Change:
        return self.reject_events([event_id])

    # ------------------------------------------------------------------ lights
    def set_lights(self, *, off_s: float | None = _KEEP, on_s: float | None = _KEEP) -> Change:
        """Set lights-off and/or lights-on time (None clears). One undo step."""
        off = self.lights_off_s if off_s is _KEEP else off_s
        on = self.lights_on_s if on_s is _KEEP else on_s
        return self._commit("Lights", [SetLights(off, on)])

    # ------------------------------------------------------------------ whole-document
    def replace_with(self, other: Scoring, *, label: str = "Import scoring") -> Change:
        """Replace stages, events and lights with ``other``'s (same epoch grid; extra
        epochs of ``other`` are dropped, missing ones left unscored). ONE undo step —
        what File › Import does on an open study."""
        n = self.n_epochs
        m = min(n, other.n_epochs)
        stage = np.full(n, Stage.UNSCORED, dtype=np.int64)
        prov = np.full(n, -1, dtype=np.int64)
        conf = np.full(n, np.nan)
        stage[:m] = other._stage[:m]
        prov[:m] = other._stage_prov[:m]
        conf[:m] = other._stage_conf[:m]
        ops: list[ScoringOp] = []
        if n:
            ops.append(
                SetStages(
                    tuple(range(n)),
                    tuple(stage.tolist()),
                    tuple(prov.tolist()),
                    tuple(floats_or_none(conf)),
                )
            )
        ops += [DeleteEvent(i) for i in sorted(self._events)]
        base = self._next_event_id
        for k, ev in enumerate(other.events(include_rejected=True)):
            ops.append(PutEvent(replace(ev, id=base + k)))
        ops.append(SetLights(other.lights_off_s, other.lights_on_s))
        return self._commit(label, ops)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready snapshot (no undo history)."""
        return {
            "format": "pedsleep-scoring",
            "version": 1,
            "epoch_s": self.epoch_s,
            "n_epochs": self.n_epochs,
            "recording_duration_s": self.recording_duration_s,
            "start_datetime": self.start_datetime.isoformat() if self.start_datetime else None,
            "lights_off_s": self.lights_off_s,
            "lights_on_s": self.lights_on_s,
            "stage": self._stage.tolist(),
            "stage_prov": self._stage_prov.tolist(),
            "stage_conf": floats_or_none(self._stage_conf),
            "sugg_proba": [
                None if np.isnan(r).all() else [float(x) for x in r] for r in self._sugg_proba
            ],
            "sugg_state": self._sugg_state.tolist(),
            "sugg_source": [str(x) for x in self._sugg_source],
            "events": [e.to_dict() for e in sorted(self._events.values(), key=lambda e: e.id)],
            "next_event_id": self._next_event_id,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Scoring:
        sd = d.get("start_datetime")
        doc = cls(
            int(d["n_epochs"]),
            epoch_s=float(d.get("epoch_s", EPOCH_S)),
            start_datetime=_dt.datetime.fromisoformat(sd) if sd else None,
            recording_duration_s=d.get("recording_duration_s"),
        )
        n = doc.n_epochs
        if n:
            doc._stage[:] = np.asarray(d["stage"], dtype=np.int8)
            doc._stage_prov[:] = np.asarray(d["stage_prov"], dtype=np.int8)
            doc._stage_conf[:] = np.asarray(
                [np.nan if c is None else c for c in d["stage_conf"]], dtype=np.float32
            )
            doc._sugg_proba[:] = np.asarray(
                [[np.nan] * N_STAGE_CLASSES if r is None else r for r in d["sugg_proba"]],
                dtype=np.float32,
            ).reshape(n, N_STAGE_CLASSES)
            doc._sugg_state[:] = np.asarray(d["sugg_state"], dtype=np.int8)
            src = d.get("sugg_source")  # absent in snapshots written before sources existed
            if src is not None and len(src) == n:
                doc._sugg_source[:] = np.asarray([str(x or "") for x in src], dtype=object)
        for ed in d.get("events", ()):
            ev = Event.from_dict(ed)
            doc._events[ev.id] = ev
        doc._next_event_id = max(int(d.get("next_event_id", 1)), max(doc._events, default=0) + 1)
        doc.lights_off_s = opt_float(d.get("lights_off_s"))
        doc.lights_on_s = opt_float(d.get("lights_on_s"))
        return doc

    def copy(self) -> Scoring:
        """A detached copy (no history, observers or listeners)."""
        return Scoring.from_dict(self.to_dict())

    def content_equals(self, other: Scoring) -> bool:
        """Same stages, suggestions, events and lights (history and observers ignored)."""
        a, b = self.to_dict(), other.to_dict()
        for k in ("next_event_id",):
            a.pop(k), b.pop(k)
        return a == b

    def resized(self, n_epochs: int) -> tuple[Scoring, dict[str, int]]:
        """A copy on ``n_epochs`` epochs: extra epochs cut (and events starting at or after
        the new end dropped), missing ones unscored. Returns (copy, what was dropped:
        ``{"epochs": k, "events": m}``)."""
        d = self.to_dict()
        n_old = self.n_epochs
        end_s = n_epochs * self.epoch_s
        keep = min(n_old, n_epochs)
        pad = max(0, n_epochs - n_old)
        d["n_epochs"] = n_epochs
        d["recording_duration_s"] = min(self.recording_duration_s, end_s) if pad == 0 else end_s
        d["stage"] = d["stage"][:keep] + [-1] * pad
        d["stage_prov"] = d["stage_prov"][:keep] + [-1] * pad
        d["stage_conf"] = d["stage_conf"][:keep] + [None] * pad
        d["sugg_proba"] = d["sugg_proba"][:keep] + [None] * pad
        d["sugg_state"] = d["sugg_state"][:keep] + [-1] * pad
        d["sugg_source"] = d["sugg_source"][:keep] + [""] * pad
        kept_events = []
        dropped_ev = 0
        for e in d["events"]:
            if e["onset_s"] >= end_s:
                dropped_ev += 1
                continue
            if e["onset_s"] + e["duration_s"] > end_s:
                e = dict(e, duration_s=end_s - e["onset_s"])
            kept_events.append(e)
        d["events"] = kept_events
        for key in ("lights_off_s", "lights_on_s"):
            if d[key] is not None and d[key] > end_s:
                d[key] = None
        dropped_epochs = int(
            np.count_nonzero(self._stage[n_epochs:] != Stage.UNSCORED) if n_old > n_epochs else 0
        )
        return Scoring.from_dict(d), {"epochs": dropped_epochs, "events": dropped_ev}

    def __repr__(self) -> str:
        scored = int(np.count_nonzero(self._stage >= 0))
        return (
            f"Scoring(n_epochs={self.n_epochs}, scored={scored}, events={len(self._events)}, "
            f"undo={self._history.n_undo})"
        )
