"""A night prepared for the model and what the runner has computed for it so far
(docs/architecture.md, "Data flow": Assist)."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from engine.channels.canonical import CANONICAL_NAMES
from engine.epochs import EPOCH_S
from engine.inference.requirements import can_stage, suggestable_events
from engine.model.preprocess import NightInput

if TYPE_CHECKING:
    import torch

SECONDS_PER_EPOCH = int(EPOCH_S)  # rows of per-second features per epoch


@dataclass
class NightSession:
    """A night prepared for the model plus what has been computed so far."""

    night: NightInput
    name: str = ""
    emb: np.ndarray = field(default_factory=lambda: np.empty((0, 0), np.float32))  # [n_epochs, E], NaN until computed
    sec: np.ndarray = field(default_factory=lambda: np.empty((0, 0), np.float32))  # [n_epochs * 30, K] per-second features
    encoded: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))  # [n_epochs] bool
    info: dict[str, Any] = field(default_factory=dict)
    # epoch -> encoder tokens [S+1, W], least recently stored first (engine.inference.encoding)
    tokens: OrderedDict[int, torch.Tensor] = field(default_factory=OrderedDict)

    @property
    def n_epochs(self) -> int:
        return self.night.n_epochs

    @property
    def missing_channels(self) -> tuple[str, ...]:
        return tuple(CANONICAL_NAMES[c] for c in np.flatnonzero(~self.night.present))

    @property
    def embeddings(self) -> np.ndarray:
        return self.emb

    @property
    def can_stage(self) -> bool:
        """Stages need EEG or EOG (engine.inference.requirements)."""
        return can_stage(self.night.present)

    @property
    def event_types(self) -> tuple[str, ...]:
        """The event types suggested for this study (engine.inference.requirements)."""
        return suggestable_events(self.night.present)


def new_session(night: NightInput, name: str, embedding_dim: int, n_second_features: int) -> NightSession:
    """A session with nothing computed yet: NaN embeddings and per-second features, no
    epoch encoded."""
    n_epochs = night.n_epochs
    return NightSession(night, name,
                        np.full((n_epochs, embedding_dim), np.nan, np.float32),
                        np.full((n_epochs * SECONDS_PER_EPOCH, n_second_features), np.nan, np.float32),
                        np.zeros(n_epochs, bool))
