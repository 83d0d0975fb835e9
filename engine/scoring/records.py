"""The value records of the scoring document: `Event`, `Suggestion`, `EpochInfo`, the
`Change` observers are told of, and the accumulator that builds a `Change` while ops run.

Frozen and Qt-free; `document.py` holds them in its layers, `ops.py` moves them in and out,
`history.py` hands the resulting `Change` to observers (docs/architecture.md).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from engine.scoring.labels import Provenance, Stage

__all__ = [
    "DECIDED_PROVENANCES",
    "Change",
    "ChangeAccumulator",
    "EpochInfo",
    "Event",
    "Suggestion",
    "as_provenance",
    "distinct_events",
    "opt_float",
    "same_event_key",
]

DECIDED_PROVENANCES = frozenset({Provenance.HUMAN, Provenance.IMPORTED, Provenance.MODEL_ACCEPTED})


def as_provenance(p: Provenance | str) -> Provenance:
    return p if isinstance(p, Provenance) else Provenance(str(p))


def opt_float(x: Any) -> float | None:
    """``None`` and NaN -> None, anything else -> float (ValueError/TypeError if it is not
    a number)."""
    if x is None:
        return None
    x = float(x)
    return None if math.isnan(x) else x


@dataclass(frozen=True)
class Event:
    """One scored event. ``channels`` empty = not tied to a channel."""

    id: int
    onset_s: float
    duration_s: float
    type: str
    channels: tuple[str, ...] = ()
    provenance: Provenance = Provenance.HUMAN
    confidence: float | None = None
    # extra facts from the source (e.g. {"source_label": "HYP-O", "desat_drop_pct": 4.1})
    attrs: Mapping[str, Any] = field(default_factory=dict, compare=True, hash=False)

    def __post_init__(self) -> None:
        # read-only view, so a frozen Event cannot be changed behind the document's back
        if not isinstance(self.attrs, MappingProxyType):
            object.__setattr__(self, "attrs", MappingProxyType(dict(self.attrs or {})))

    @property
    def offset_s(self) -> float:
        return self.onset_s + self.duration_s

    @property
    def is_decided(self) -> bool:
        return self.provenance in DECIDED_PROVENANCES

    @property
    def is_suggestion(self) -> bool:
        return self.provenance is Provenance.MODEL

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "id": self.id,
            "onset_s": self.onset_s,
            "duration_s": self.duration_s,
            "type": self.type,
            "channels": list(self.channels),
            "provenance": self.provenance.value,
            "confidence": self.confidence,
        }
        if self.attrs:
            d["attrs"] = dict(self.attrs)
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Event:
        return cls(
            id=int(d["id"]),
            onset_s=float(d["onset_s"]),
            duration_s=float(d["duration_s"]),
            type=str(d["type"]),
            channels=tuple(d.get("channels") or ()),
            provenance=as_provenance(d.get("provenance", "human")),
            confidence=opt_float(d.get("confidence")),
            attrs=dict(d.get("attrs") or {}),
        )


def same_event_key(ev: Event) -> tuple[str, float, float]:
    """Events with the same key are one event (marked on several channels, or imported
    twice): its type, onset and duration to 0.1 s. The Events list shows one row for them
    and the report counts them once."""
    return (ev.type, round(ev.onset_s, 1), round(ev.duration_s, 1))


def distinct_events(events: Iterable[Event]) -> list[Event]:
    """The first of each group of events with the same ``same_event_key``, in order."""
    seen: set[tuple[str, float, float]] = set()
    out = []
    for ev in events:
        key = same_event_key(ev)
        if key not in seen:
            seen.add(key)
            out.append(ev)
    return out


@dataclass(frozen=True)
class Suggestion:
    """The model's stage suggestion for one epoch."""

    stage: Stage
    confidence: float  # max class probability
    proba: tuple[float, ...]  # W, N1, N2, N3, R
    state: Provenance  # MODEL (pending), MODEL_ACCEPTED or MODEL_REJECTED
    source: str = ""  # what made it: "yasa", "pedsleepmae", "per-study re-fit", ... ("" unknown)


@dataclass(frozen=True)
class EpochInfo:
    index: int
    onset_s: float
    stage: Stage
    provenance: Provenance | None  # None when unscored and never touched
    confidence: float | None
    suggestion: Suggestion | None


@dataclass(frozen=True)
class Change:
    """What one edit / undo / redo / load changed, for observers to redraw just that.

    ``epochs`` and ``suggestion_epochs`` are half-open ``(start, stop)`` epoch ranges
    (or None); ``event_ids`` the ids added, changed or removed.
    """

    reason: str  # "edit" | "undo" | "redo" | "load"
    label: str
    epochs: tuple[int, int] | None = None
    suggestion_epochs: tuple[int, int] | None = None
    event_ids: frozenset[int] = frozenset()
    lights: bool = False

    @property
    def everything(self) -> bool:
        return self.reason == "load"


def _range_union(a: tuple[int, int] | None, lo: int, hi: int) -> tuple[int, int]:
    if a is None:
        return (lo, hi)
    return (min(a[0], lo), max(a[1], hi))


class ChangeAccumulator:
    """What the ops of one step touched, frozen into a `Change` when the step ends."""

    def __init__(self) -> None:
        self.epochs: tuple[int, int] | None = None
        self.sugg: tuple[int, int] | None = None
        self.ids: set[int] = set()
        self.lights = False

    def add_epochs(self, lo: int, hi: int) -> None:
        self.epochs = _range_union(self.epochs, lo, hi)

    def add_suggestion_epochs(self, lo: int, hi: int) -> None:
        self.sugg = _range_union(self.sugg, lo, hi)

    def freeze(self, reason: str, label: str) -> Change:
        return Change(reason, label, self.epochs, self.sugg, frozenset(self.ids), self.lights)
