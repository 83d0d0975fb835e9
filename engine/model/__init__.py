"""PedSleepMAE engine: configurations, the model, checkpoints, preprocessing."""

from engine.model.checkpoint import LoadedModel, load_model, save_model
from engine.model.config import COMPACT, CONFIGS, PAPER, ModelConfig, get_config
from engine.model.mae import PedSleepMAE, count_params

__all__ = [
    "COMPACT", "CONFIGS", "PAPER", "LoadedModel", "ModelConfig", "PedSleepMAE",
    "count_params", "get_config", "load_model", "save_model",
]
