"""Inference API for the GUI worker and the CLI (numpy and frozen dataclasses out)."""

from engine.inference.results import (
    ChannelReconstruction, EpochBatch, NightResult, SimilarEpoch, SuggestedEvent,
)
from engine.inference.runner import ModelRunner, NightSession, collect, default_model_path

__all__ = [
    "ChannelReconstruction", "EpochBatch", "ModelRunner", "NightResult", "NightSession",
    "SimilarEpoch", "SuggestedEvent", "collect", "default_model_path",
]
