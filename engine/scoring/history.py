"""Undo/redo, transactions and journal emission for the scoring document.

One public edit of a `Scoring` (or one ``with doc.batch(label):`` block) is one `Step`:
its forward ops and their inverses (engine/scoring/ops.py). When a step is done its
record ``{"kind": "do", "label", "ops", "undoable"}`` is handed to the record listeners
(the journal, engine/scoring/journal.py) BEFORE observers hear of the change; if a
listener fails with ``OSError`` (disk full, a read-only session) the step is rolled back
and a ``UserError`` raised, so the document in memory always equals what is on disk.
Undo and redo are recorded as ``{"kind": "undo"}`` / ``{"kind": "redo"}``. See
docs/architecture.md.
"""

from __future__ import annotations

import contextlib
import errno
import logging
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from engine.errors import UserError
from engine.scoring.ops import ScoringOp, apply_ops, op_from_json
from engine.scoring.records import Change, ChangeAccumulator

if TYPE_CHECKING:  # the document owns its history; history only needs its type
    from engine.scoring.document import Scoring

log = logging.getLogger(__name__)

__all__ = ["History", "JournalRecord", "Step"]

JournalRecord = dict[str, Any]  # one journal line (before the journal adds seq/t)


@dataclass
class Step:
    """One undo step: the ops that made it and the ops that undo it (in apply order)."""

    label: str
    fwd: list[ScoringOp]
    inv: list[ScoringOp]
    undoable: bool = True

    def to_json(self) -> list[Any]:
        """``[label, fwd ops, inverse ops]`` as the journal's snapshot keeps it."""
        return [self.label, [op.to_json() for op in self.fwd], [op.to_json() for op in self.inv]]

    @classmethod
    def from_json(cls, item: Any) -> Step:
        if not (
            isinstance(item, list)
            and len(item) == 3
            and isinstance(item[0], str)
            and isinstance(item[1], list)
            and isinstance(item[2], list)
            and all(isinstance(op, dict) for op in item[1] + item[2])
        ):
            raise ValueError("malformed undo step")
        return cls(
            item[0],
            [op_from_json(op) for op in item[1]],
            [op_from_json(op) for op in item[2]],
            True,
        )


def _refused(what: str, exc: OSError) -> UserError:
    if exc.errno == errno.EROFS:  # a read-only session (engine/scoring/journal.py)
        return UserError(f"the {what} was not applied: {exc.strerror}")
    return UserError(f"could not save the {what} to the scoring journal ({exc})")


class History:
    """The undo/redo stacks, open batch, observers and record listeners of one document."""

    def __init__(self, doc: Scoring) -> None:
        self._doc = doc
        self._undo: list[Step] = []
        self._redo: list[Step] = []
        self._observers: list[Callable[[Change], None]] = []
        self._record_listeners: list[Callable[[JournalRecord], None]] = []
        self._batch: Step | None = None
        self._batch_acc: ChangeAccumulator | None = None
        self._batch_depth = 0

    # ------------------------------------------------------------------ listeners
    def subscribe(self, callback: Callable[[Change], None]) -> Callable[[], None]:
        self._observers.append(callback)

        def unsubscribe() -> None:
            with contextlib.suppress(ValueError):
                self._observers.remove(callback)

        return unsubscribe

    def add_record_listener(self, fn: Callable[[JournalRecord], None]) -> Callable[[], None]:
        self._record_listeners.append(fn)

        def remove() -> None:
            with contextlib.suppress(ValueError):
                self._record_listeners.remove(fn)

        return remove

    def notify(self, change: Change) -> None:
        for cb in list(self._observers):
            try:
                cb(change)
            except Exception:  # an observer must not break the document
                log.exception("scoring observer failed")

    def _emit(self, record: JournalRecord) -> None:
        for fn in list(self._record_listeners):
            fn(record)

    def _apply(self, ops: list[ScoringOp], acc: ChangeAccumulator) -> list[ScoringOp]:
        return apply_ops(self._doc, ops, acc)

    def _roll_back(self, inverses: list[ScoringOp]) -> None:
        self._apply(list(reversed(inverses)), ChangeAccumulator())

    # ------------------------------------------------------------------ steps
    def commit(self, label: str, ops: list[ScoringOp], undoable: bool = True) -> Change:
        """Apply ops as one step (or fold them into the open batch)."""
        if not ops:
            return Change("edit", label)
        if self._batch is not None:
            acc = self._batch_acc
            assert acc is not None
            inverses = self._apply(ops, acc)
            self._batch.fwd.extend(ops)
            self._batch.inv.extend(inverses)
            self._batch.undoable = self._batch.undoable or undoable
            return Change("edit", label)
        acc = ChangeAccumulator()
        inverses = self._apply(ops, acc)
        self._finish(Step(label, list(ops), inverses, undoable), acc)
        return acc.freeze("edit", label)

    def _finish(self, step: Step, acc: ChangeAccumulator) -> None:
        record: JournalRecord = {
            "kind": "do",
            "label": step.label,
            "ops": [op.to_json() for op in step.fwd],
            "undoable": step.undoable,
        }
        try:
            self._emit(record)
        except OSError as exc:
            self._roll_back(step.inv)
            if exc.errno == errno.EROFS:  # a read-only session (engine/scoring/journal.py)
                raise UserError(
                    f"the edit {step.label!r} was not applied: {exc.strerror}"
                ) from exc
            raise UserError(
                f"could not save the edit {step.label!r} to the scoring journal ({exc}); "
                "the edit was not applied — free disk space or export the scoring elsewhere"
            ) from exc
        if step.undoable:
            self._undo.append(step)
            self._redo.clear()
        self.notify(acc.freeze("edit", step.label))

    @contextlib.contextmanager
    def batch(self, label: str) -> Iterator[None]:
        """Group every edit made inside into ONE undo step (and one journal record)."""
        if self._batch is not None:
            self._batch_depth += 1
            try:
                yield
            finally:
                self._batch_depth -= 1
            return
        step, acc = Step(label, [], [], False), ChangeAccumulator()
        self._batch, self._batch_acc = step, acc
        try:
            yield
        except BaseException:
            self._batch, self._batch_acc = None, None
            self._roll_back(step.inv)
            raise
        self._batch, self._batch_acc = None, None
        if step.fwd:
            self._finish(step, acc)

    def apply_record(self, record: Mapping[str, Any]) -> None:
        """Replay one journal record (no record listeners fire)."""
        listeners, self._record_listeners = self._record_listeners, []
        try:
            kind = record.get("kind")
            if kind == "do":
                ops = [op_from_json(op) for op in record["ops"]]
                inverses = self._apply(ops, ChangeAccumulator())
                if record.get("undoable", True):
                    self._undo.append(Step(str(record.get("label", "")), ops, inverses, True))
                    self._redo.clear()
            elif kind == "undo":
                self.undo()
            elif kind == "redo":
                self.redo()
            else:
                raise ValueError(f"unknown journal record kind {kind!r}")
        finally:
            self._record_listeners = listeners

    # ------------------------------------------------------------------ undo/redo
    def can_undo(self) -> bool:
        return bool(self._undo)

    def can_redo(self) -> bool:
        return bool(self._redo)

    def undo_label(self) -> str | None:
        return self._undo[-1].label if self._undo else None

    def redo_label(self) -> str | None:
        return self._redo[-1].label if self._redo else None

    @property
    def n_undo(self) -> int:
        return len(self._undo)

    def undo(self) -> Change | None:
        if self._batch is not None:
            raise RuntimeError("cannot undo inside a batch")
        if not self._undo:
            return None
        step = self._undo.pop()
        acc = ChangeAccumulator()
        self._apply(list(reversed(step.inv)), acc)
        try:
            self._emit({"kind": "undo"})
        except OSError as exc:
            self._apply(step.fwd, ChangeAccumulator())
            self._undo.append(step)
            raise _refused("undo", exc) from exc
        self._redo.append(step)
        change = acc.freeze("undo", step.label)
        self.notify(change)
        return change

    def redo(self) -> Change | None:
        if self._batch is not None:
            raise RuntimeError("cannot redo inside a batch")
        if not self._redo:
            return None
        step = self._redo.pop()
        acc = ChangeAccumulator()
        step.inv = self._apply(step.fwd, acc)
        try:
            self._emit({"kind": "redo"})
        except OSError as exc:
            self._roll_back(step.inv)
            self._redo.append(step)
            raise _refused("redo", exc) from exc
        self._undo.append(step)
        change = acc.freeze("redo", step.label)
        self.notify(change)
        return change

    def clear(self) -> None:
        self._undo.clear()
        self._redo.clear()

    def to_dict(self) -> dict[str, Any]:
        return {
            "undo": [step.to_json() for step in self._undo],
            "redo": [step.to_json() for step in self._redo],
        }

    def restore(self, d: Mapping[str, Any]) -> None:
        """Stacks from :meth:`to_dict` (ValueError when malformed; nothing changes then)."""

        def steps(items: Any) -> list[Step]:
            if not isinstance(items, list):
                raise ValueError("history is not a list")
            return [Step.from_json(item) for item in items]

        undo, redo = steps(d.get("undo", [])), steps(d.get("redo", []))
        self._undo, self._redo = undo, redo
