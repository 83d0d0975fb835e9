"""Messages that long engine jobs yield (docs/architecture.md, rule 3).

A job is a generator run in a worker thread; it yields :class:`Progress` now and then and
its results as typed messages, so the receiver dispatches on the message's class rather
than on a string tag. The GUI adds messages of its own for the jobs it composes
(``gui/assistant/messages.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


def is_cancelled(cancel) -> bool:
    """A job's cancel flag: None (never), a ``threading.Event`` or a callable."""
    if cancel is None:
        return False
    return bool(cancel.is_set()) if hasattr(cancel, "is_set") else bool(cancel())


@dataclass(frozen=True)
class Progress:
    fraction: float  # 0..1 of the job done
    message: str


@dataclass(frozen=True)
class Staged:
    """The real-data stager's result for the whole night (engine.staging.StagingResult)."""

    result: Any


@dataclass(frozen=True)
class RuleEventsReady:
    """The AASM rules' events for the night (engine.events.EventDetection)."""

    detection: Any
