"""Epochs of a night most like a given one: cosine similarity of standardised
embeddings."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from engine.inference.results import SimilarEpoch


def most_similar(embeddings: np.ndarray, reference: Mapping[str, np.ndarray], epoch: int,
                 k: int) -> tuple[SimilarEpoch, ...]:
    """The ``k`` epochs (``epoch`` itself left out) most similar to ``epoch``; embeddings
    [n_epochs, E] are standardised with the model's reference statistics (the night's own
    when the model file has none)."""
    mean = reference.get("e_mean", np.nanmean(embeddings, 0))
    std = reference.get("e_std", np.nanstd(embeddings, 0) + 1e-6)
    z = (embeddings - mean) / std
    z /= np.linalg.norm(z, axis=1, keepdims=True) + 1e-9
    similarity = z @ z[epoch]
    similarity[epoch] = -np.inf
    top = np.argsort(-similarity)[:k]
    return tuple(SimilarEpoch(int(i), float(similarity[i])) for i in top)
