"""What a stager hands out: frozen, numpy only."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from engine.errors import UserError

# every stage suggestion names its source (docs/architecture.md, rule 8)
SOURCE_YASA = "yasa"
SOURCE_MAE = "pedsleepmae"
SOURCE_REFIT = "per-study re-fit"
SOURCE_COMBINED = "yasa+pedsleepmae"
STAGE_SOURCES = (SOURCE_YASA, SOURCE_MAE, SOURCE_REFIT, SOURCE_COMBINED)


class StagingUnavailable(UserError):
    """The study has nothing the stager can read (no EEG), or the stager failed on it."""


@dataclass(frozen=True)
class StagingResult:
    proba: np.ndarray  # [n_epochs, 5] W, N1, N2, N3, R; NaN rows where not staged
    features: np.ndarray  # [n_epochs, F] the study's own per-epoch features (NaN rows likewise)
    feature_names: tuple[str, ...]
    channels: dict = field(default_factory=dict)  # {"eeg": label, "eog": label|None, "emg": label|None}
    metadata: dict = field(default_factory=dict)  # {"age": years, "male": 0/1} when the header says
    source: str = SOURCE_YASA
    seconds: float = 0.0
    notes: tuple[str, ...] = ()  # e.g. "EEG C3-A1 resampled from 50 Hz to 100 Hz"

    @property
    def n_epochs(self) -> int:
        return len(self.proba)

    @property
    def stages(self) -> np.ndarray:
        """int [n_epochs]: argmax 0..4, -1 where not staged."""
        ok = np.isfinite(self.proba).all(1)
        out = np.full(len(self.proba), -1, np.int64)
        out[ok] = np.argmax(self.proba[ok], 1)
        return out

    @property
    def confidence(self) -> np.ndarray:
        return np.nanmax(np.where(np.isfinite(self.proba), self.proba, np.nan), 1) \
            if len(self.proba) else np.zeros(0)
