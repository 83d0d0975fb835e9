"""What inference hands out: frozen dataclasses of numpy arrays and plain numbers
(never torch tensors).  Times are seconds from recording start."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class SuggestedEvent:
    type: str  # docs/architecture.md vocabulary: "Obstructive apnea", "Central apnea", "Hypopnea", ...
    onset_s: float
    duration_s: float
    confidence: float  # mean calibrated probability over the event, 0..1


@dataclass(frozen=True)
class ChannelReconstruction:
    channel: int  # canonical index 0..15
    name: str  # canonical label, e.g. "SPO2"
    start_s: float
    sfreq_hz: float  # 128.0
    mean: np.ndarray  # [n_samples] float32, physical units (typical scale when missing)
    low: np.ndarray  # [n_samples] mean - 1 sigma
    high: np.ndarray  # [n_samples] mean + 1 sigma
    reason: str  # "missing" | "flat"


@dataclass(frozen=True)
class EpochBatch:
    """Results for a batch of epochs (contiguous, in the order computed)."""

    request_id: object
    epochs: np.ndarray  # [n] int epoch indices
    stage_probs: np.ndarray  # [n, 5] W, N1, N2, N3, R (calibrated)
    embeddings: np.ndarray  # [n, E]
    outlier_score: np.ndarray  # [n] 0..1, max of the two percentiles below
    knn_distance: np.ndarray  # [n] distance to the model's reference set (k-NN mean)
    recon_error: np.ndarray  # [n] masked-reconstruction MSE (z units)
    events: tuple[SuggestedEvent, ...]  # events whose onset lies in these epochs
    reconstructions: tuple[ChannelReconstruction, ...]
    n_done: int  # epochs finished so far (this run)
    n_total: int

    @property
    def progress(self) -> float:
        return self.n_done / max(1, self.n_total)


@dataclass(frozen=True)
class NightResult:
    """A whole night gathered from the batches (``collect``)."""

    stage_probs: np.ndarray  # [n_epochs, 5]
    embeddings: np.ndarray  # [n_epochs, E]
    outlier_score: np.ndarray  # [n_epochs]
    knn_distance: np.ndarray
    recon_error: np.ndarray
    events: tuple[SuggestedEvent, ...]  # sorted by onset
    missing_channels: tuple[str, ...]
    seconds: float  # wall time of the run

    @property
    def stages(self) -> np.ndarray:  # [n_epochs] int8 argmax 0..4; -1 where not suggested
        st = np.nan_to_num(self.stage_probs, nan=-1.0).argmax(1).astype(np.int8)
        st[np.isnan(self.stage_probs).any(1)] = -1
        return st

    @property
    def stage_confidence(self) -> np.ndarray:
        return self.stage_probs.max(1)


@dataclass(frozen=True)
class SimilarEpoch:
    epoch: int
    similarity: float  # cosine similarity of standardised embeddings, -1..1
