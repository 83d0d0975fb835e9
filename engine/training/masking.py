"""Pretraining masks: random (channel, patch) cells AND whole channels.

Hiding whole channels makes reconstructing a missing channel a trained skill.
"""

from __future__ import annotations

import torch

from engine.model.config import ModelConfig


def random_hidden(present: torch.Tensor, cfg: ModelConfig, gen: torch.Generator,
                  mask_ratio: float | None = None) -> torch.Tensor:
    """present [B, C] bool (recorded and not flat) -> hidden [B, C, S] bool.

    Missing channels are always hidden.  Of the present cells, ``mask_ratio`` are hidden
    at random; with probability ``channel_drop_p`` a sample also hides 1..channel_drop_max
    whole present channels (never all of them).
    """
    b, c = present.shape
    s = cfg.n_patches
    ratio = cfg.mask_ratio if mask_ratio is None else mask_ratio
    hidden = torch.rand(b, c, s, generator=gen) < ratio
    drop = torch.zeros(b, c, dtype=torch.bool)
    if cfg.channel_drop_p > 0:
        for i in range(b):
            if torch.rand(1, generator=gen).item() >= cfg.channel_drop_p:
                continue
            idx = torch.nonzero(present[i]).flatten()
            if idx.numel() < 2:
                continue
            k = int(torch.randint(1, min(cfg.channel_drop_max, idx.numel() - 1) + 1, (1,), generator=gen))
            drop[i, idx[torch.randperm(idx.numel(), generator=gen)[:k]]] = True
    hidden |= drop[:, :, None]
    hidden |= ~present[:, :, None]
    return hidden
