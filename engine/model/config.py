"""Model configurations, named by their content.

``paper``   PedSleepMAE as published (arXiv 2411.00718): patch 8 samples, 64 dims per
            channel (token width 16 x 64 = 1024), 3 encoder + 3 decoder blocks, 4 heads,
            MLP ratio 4, no qkv bias; about 76.6 M parameters.  Uses the reference
            implementation's token layout so its checkpoints load and reproduce.
``compact`` the shipped default: patch 64 samples (0.5 s), 16 dims per channel (token
            width 256), 2 encoder + 1 decoder blocks, 4 heads.  Tokens are true time steps
            (each token concatenates the 16 channels' patch embeddings of one 0.5-s step).

Token layouts
-------------
``time``       token s = concat over channels c of patch embedding (c, s).  [B, S, C*D]
``reference``  what the reference code does: ``x.view(B, S, C*D)`` on a channel-major
               [B, C, S, D] tensor, i.e. token i is the i-th contiguous chunk of C*D values
               of the channel-major layout (mostly consecutive patches of ONE channel).
               Kept only so reference checkpoints reproduce their outputs exactly.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass

from engine.channels.canonical import EPOCH_SAMPLES, N_CANONICAL


@dataclass(frozen=True)
class ModelConfig:
    name: str
    patch_size: int  # samples per patch at 128 Hz
    emb_dim: int  # dims per channel; token width = n_chans * emb_dim
    enc_depth: int
    dec_depth: int
    n_heads: int
    mlp_ratio: float = 4.0
    qkv_bias: bool = False
    token_layout: str = "time"  # time | reference
    n_chans: int = N_CANONICAL
    n_times: int = EPOCH_SAMPLES  # samples per 30-s epoch
    # pretraining masking
    mask_ratio: float = 0.5  # fraction of (channel, patch) cells hidden
    channel_drop_p: float = 0.5  # probability a sample also hides whole channels
    channel_drop_max: int = 4  # at most this many whole channels hidden per sample

    def __post_init__(self):
        if self.n_times % self.patch_size:
            raise ValueError("n_times must be a multiple of patch_size")
        if self.width % self.n_heads:
            raise ValueError("token width must be divisible by n_heads")
        if self.token_layout not in ("time", "reference"):
            raise ValueError(f"unknown token_layout {self.token_layout!r}")

    @property
    def n_patches(self) -> int:  # patches (time steps) per epoch per channel
        return self.n_times // self.patch_size

    @property
    def width(self) -> int:  # transformer token width
        return self.n_chans * self.emb_dim

    @property
    def patch_s(self) -> float:
        return self.patch_size / 128.0

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), sort_keys=True)

    @classmethod
    def from_dict(cls, d: dict) -> ModelConfig:
        fields = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in fields})

    def replace(self, **kw) -> ModelConfig:
        return dataclasses.replace(self, **kw)


PAPER = ModelConfig(
    name="paper", patch_size=8, emb_dim=64, enc_depth=3, dec_depth=3, n_heads=4,
    token_layout="reference",
)
COMPACT = ModelConfig(
    name="compact", patch_size=64, emb_dim=16, enc_depth=2, dec_depth=1, n_heads=4,
    token_layout="time",
)
# Only for tests (DDP, end-to-end): trains in seconds.
TINY = ModelConfig(
    name="tiny", patch_size=128, emb_dim=4, enc_depth=1, dec_depth=1, n_heads=2,
    token_layout="time",
)

CONFIGS: dict[str, ModelConfig] = {c.name: c for c in (PAPER, COMPACT, TINY)}
DEFAULT_CONFIG = "compact"


def get_config(name: str) -> ModelConfig:
    try:
        return CONFIGS[name]
    except KeyError:
        from engine.errors import UserError

        raise UserError(f"unknown model config {name!r}; choose from {', '.join(CONFIGS)}") from None
