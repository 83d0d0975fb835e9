"""What the assistant's worker jobs hand to the main thread: one small class per kind of
result (plus the engine's own ``Progress``, ``Staged`` and ``RuleEventsReady``), so the
controller dispatches on the class, not on a string tag."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class RunnerLoaded:
    runner: Any  # engine.inference.ModelRunner


@dataclass(frozen=True)
class SessionReady:
    session: Any  # engine.inference.NightSession


@dataclass(frozen=True)
class BatchReady:
    batch: Any  # engine.inference.results.EpochBatch


@dataclass(frozen=True)
class RefitReady:
    result: Any  # RefitResult
    source: str = "per-study re-fit"


@dataclass(frozen=True)
class StagingUnavailableNote:
    reason: str


@dataclass(frozen=True)
class SimilarReady:
    epoch: int
    similar: tuple  # tuple[SimilarEpoch, ...]


@dataclass(frozen=True)
class ReconstructionReady:
    piece: Any  # engine.inference.results.ChannelReconstruction
