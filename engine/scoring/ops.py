"""The primitive edits of the scoring document, as typed operations.

Every change to a `Scoring` is a list of these ops. Each op is a frozen dataclass that

* ``apply(doc, acc)`` — changes the document's layers, notes what it touched in ``acc``
  (a `ChangeAccumulator`) and returns the op that undoes it (its inverse, computed from the
  state it replaced);
* ``to_json()`` / ``from_json(d)`` — the op's line in the journal. The JSON is the journal
  format (``{"op": "stages" | "sugg" | "event_put" | "event_del" | "lights", ...}``),
  unchanged from the first journals: old journals replay through ``op_from_json``.

An op touches the document's layer arrays directly (``doc._stage`` etc.): it is the one
place besides `document.py` that may, and `history.py` is the only caller of ``apply``.
See docs/architecture.md.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import numpy.typing as npt

from engine.scoring.labels import N_STAGE_CLASSES
from engine.scoring.records import ChangeAccumulator, Event, opt_float

if TYPE_CHECKING:  # the document imports this module; ops only need its type
    from engine.scoring.document import Scoring

__all__ = [
    "OP_KINDS",
    "DeleteEvent",
    "PutEvent",
    "ScoringOp",
    "SetLights",
    "SetStages",
    "SetSuggestions",
    "apply_ops",
    "decode_epochs",
    "encode_epochs",
    "op_from_json",
]

ProbaRow = tuple[float, ...] | None  # W, N1, N2, N3, R; None = no suggestion


# ---------------------------------------------------------------------- epoch index codec
def encode_epochs(epochs: Sequence[int] | npt.NDArray[np.integer[Any]]) -> dict[str, Any]:
    """``{"start", "n"}`` for a consecutive run, ``{"idx": [...]}`` otherwise."""
    idx = np.asarray(epochs, dtype=np.int64)
    if idx.size and np.all(np.diff(idx) == 1):
        return {"start": int(idx[0]), "n": int(idx.size)}
    return {"idx": idx.tolist()}


def decode_epochs(d: Mapping[str, Any]) -> tuple[int, ...]:
    if "start" in d:
        start = int(d["start"])
        return tuple(range(start, start + int(d["n"])))
    return tuple(int(i) for i in d["idx"])


def _index(epochs: tuple[int, ...], n_epochs: int) -> npt.NDArray[np.int64]:
    idx = np.asarray(epochs, dtype=np.int64)
    if idx.size and (idx.min() < 0 or idx.max() >= n_epochs):
        raise IndexError(f"epoch out of range 0..{n_epochs - 1}")
    return idx


def floats_or_none(a: npt.NDArray[np.floating[Any]]) -> list[float | None]:
    return [None if math.isnan(float(x)) else float(x) for x in a]


def _proba_rows(a: npt.NDArray[np.floating[Any]]) -> tuple[ProbaRow, ...]:
    return tuple(None if np.isnan(r).all() else tuple(float(x) for x in r) for r in a)


def _proba_json(rows: tuple[ProbaRow, ...]) -> list[list[float] | None]:
    return [None if r is None else list(r) for r in rows]


# ---------------------------------------------------------------------- the ops
class ScoringOp(ABC):
    """One primitive, JSON-serialisable edit of a `Scoring`."""

    kind: ClassVar[str]  # the journal's "op" value

    @abstractmethod
    def apply(self, doc: Scoring, acc: ChangeAccumulator) -> ScoringOp:
        """Change ``doc``; return the op that undoes this one."""

    @abstractmethod
    def to_json(self) -> dict[str, Any]:
        """The op as the journal writes it."""

    @classmethod
    @abstractmethod
    def from_json(cls, d: Mapping[str, Any]) -> ScoringOp:
        """The op from its journal form (KeyError/TypeError/ValueError when malformed)."""


@dataclass(frozen=True)
class SetStages(ScoringOp):
    """Decided stage, provenance code and confidence of some epochs (a value each, or one
    value for all)."""

    kind: ClassVar[str] = "stages"
    epochs: tuple[int, ...]
    stage: tuple[int, ...]
    prov: tuple[int, ...]  # PROVENANCE_INDEX codes, -1 = never set
    conf: tuple[float | None, ...]

    def apply(self, doc: Scoring, acc: ChangeAccumulator) -> SetStages:
        idx = _index(self.epochs, doc.n_epochs)
        # every new value is built (and checked against the epochs) before anything changes
        stage = np.broadcast_to(np.asarray(self.stage, dtype=np.int8), idx.shape)
        prov = np.broadcast_to(np.asarray(self.prov, dtype=np.int8), idx.shape)
        conf = np.broadcast_to(
            np.asarray([np.nan if c is None else c for c in self.conf], dtype=np.float32),
            idx.shape,
        )
        inverse = SetStages(
            self.epochs,
            tuple(int(x) for x in doc._stage[idx]),
            tuple(int(x) for x in doc._stage_prov[idx]),
            tuple(floats_or_none(doc._stage_conf[idx])),
        )
        doc._stage[idx] = stage
        doc._stage_prov[idx] = prov
        doc._stage_conf[idx] = conf
        if idx.size:
            acc.add_epochs(int(idx.min()), int(idx.max()) + 1)
        return inverse

    def to_json(self) -> dict[str, Any]:
        return {
            "op": self.kind,
            **encode_epochs(self.epochs),
            "stage": list(self.stage),
            "prov": list(self.prov),
            "conf": list(self.conf),
        }

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> SetStages:
        return cls(
            decode_epochs(d),
            tuple(int(x) for x in d["stage"]),
            tuple(int(x) for x in d["prov"]),
            tuple(opt_float(c) for c in d["conf"]),
        )


@dataclass(frozen=True)
class SetSuggestions(ScoringOp):
    """The suggestion layer of some epochs: state codes, and optionally the class
    probabilities and what made them (one ``source`` for all, or ``source_each``).
    ``None`` fields are left as they are (journals written before sources existed carry
    none)."""

    kind: ClassVar[str] = "sugg"
    epochs: tuple[int, ...]
    state: tuple[int, ...]  # -1 none, else the PROVENANCE_INDEX code of model/accepted/rejected
    proba: tuple[ProbaRow, ...] | None = None
    source: str | None = None
    source_each: tuple[str, ...] | None = None

    def apply(self, doc: Scoring, acc: ChangeAccumulator) -> SetSuggestions:
        idx = _index(self.epochs, doc.n_epochs)
        state = np.broadcast_to(np.asarray(self.state, dtype=np.int8), idx.shape)
        proba = None
        if self.proba is not None:
            proba = np.broadcast_to(
                np.asarray(
                    [[np.nan] * N_STAGE_CLASSES if r is None else r for r in self.proba],
                    dtype=np.float32,
                ).reshape(-1, N_STAGE_CLASSES),
                (idx.size, N_STAGE_CLASSES),
            )
        source: npt.NDArray[np.object_] | str | None = None
        if self.source_each is not None:
            source = np.broadcast_to(
                np.asarray([str(x) for x in self.source_each], dtype=object), idx.shape
            )
        elif self.source is not None:
            source = self.source
        inverse = SetSuggestions(
            self.epochs,
            tuple(int(x) for x in doc._sugg_state[idx]),
            None if proba is None else _proba_rows(doc._sugg_proba[idx]),
            None,
            None if source is None else tuple(str(x) for x in doc._sugg_source[idx]),
        )
        if proba is not None:
            doc._sugg_proba[idx] = proba
        if source is not None:
            doc._sugg_source[idx] = source
        doc._sugg_state[idx] = state
        if idx.size:
            acc.add_suggestion_epochs(int(idx.min()), int(idx.max()) + 1)
        return inverse

    def to_json(self) -> dict[str, Any]:
        d: dict[str, Any] = {"op": self.kind, **encode_epochs(self.epochs)}
        if self.proba is not None:
            d["proba"] = _proba_json(self.proba)
        d["state"] = list(self.state)
        if self.source is not None:
            d["source"] = self.source
        if self.source_each is not None:
            d["source_each"] = list(self.source_each)
        return d

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> SetSuggestions:
        proba = d.get("proba")
        each = d.get("source_each")
        return cls(
            decode_epochs(d),
            tuple(int(x) for x in d["state"]),
            None
            if proba is None
            else tuple(None if r is None else tuple(float(x) for x in r) for r in proba),
            str(d["source"] or "") if "source" in d else None,
            None if each is None else tuple(str(x) for x in each),
        )


@dataclass(frozen=True)
class PutEvent(ScoringOp):
    """Add an event, or replace the one with its id."""

    kind: ClassVar[str] = "event_put"
    event: Event

    def apply(self, doc: Scoring, acc: ChangeAccumulator) -> ScoringOp:
        ev = self.event
        old = doc._events.get(ev.id)
        doc._events[ev.id] = ev
        doc._next_event_id = max(doc._next_event_id, ev.id + 1)
        acc.ids.add(ev.id)
        return DeleteEvent(ev.id) if old is None else PutEvent(old)

    def to_json(self) -> dict[str, Any]:
        return {"op": self.kind, "event": self.event.to_dict()}

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> PutEvent:
        return cls(Event.from_dict(d["event"]))


@dataclass(frozen=True)
class DeleteEvent(ScoringOp):
    """Remove an event (KeyError when there is none with that id)."""

    kind: ClassVar[str] = "event_del"
    event_id: int

    def apply(self, doc: Scoring, acc: ChangeAccumulator) -> PutEvent:
        old = doc._events.pop(self.event_id, None)
        if old is None:
            raise KeyError(f"no event with id {self.event_id}")
        acc.ids.add(self.event_id)
        return PutEvent(old)

    def to_json(self) -> dict[str, Any]:
        return {"op": self.kind, "id": self.event_id}

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> DeleteEvent:
        return cls(int(d["id"]))


@dataclass(frozen=True)
class SetLights(ScoringOp):
    """Lights-off and lights-on times (None = not set)."""

    kind: ClassVar[str] = "lights"
    off_s: float | None
    on_s: float | None

    def apply(self, doc: Scoring, acc: ChangeAccumulator) -> SetLights:
        off_s, on_s = opt_float(self.off_s), opt_float(self.on_s)
        inverse = SetLights(doc.lights_off_s, doc.lights_on_s)
        doc.lights_off_s, doc.lights_on_s = off_s, on_s
        acc.lights = True
        return inverse

    def to_json(self) -> dict[str, Any]:
        return {"op": self.kind, "off": self.off_s, "on": self.on_s}

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> SetLights:
        return cls(opt_float(d.get("off")), opt_float(d.get("on")))


OP_KINDS: dict[str, type[ScoringOp]] = {
    cls.kind: cls for cls in (SetStages, SetSuggestions, PutEvent, DeleteEvent, SetLights)
}


def op_from_json(d: Mapping[str, Any]) -> ScoringOp:
    """Decode one journal op (ValueError when unknown or malformed)."""
    if not isinstance(d, Mapping):
        raise ValueError(f"a scoring op must be an object, not {type(d).__name__}")
    kind = d.get("op")
    cls = OP_KINDS.get(kind) if isinstance(kind, str) else None
    if cls is None:
        raise ValueError(f"unknown scoring op {kind!r}")
    try:
        return cls.from_json(d)
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"malformed scoring op {kind!r}: {exc!r}") from exc


def apply_ops(
    doc: Scoring, ops: Sequence[ScoringOp], acc: ChangeAccumulator
) -> list[ScoringOp]:
    """Apply ``ops`` in order; return their inverses (in the same order). If one fails,
    those already applied are undone before the error propagates."""
    inverses: list[ScoringOp] = []
    try:
        for op in ops:
            inverses.append(op.apply(doc, acc))
    except Exception:
        scratch = ChangeAccumulator()
        for inverse in reversed(inverses):
            inverse.apply(doc, scratch)
        raise
    return inverses
