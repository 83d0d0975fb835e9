"""How unlike the model's reference nights an epoch is: the masked reconstruction error
(random cells hidden, the encoder asked to fill them in), the k-NN distance of its
embedding to the reference set, each turned into a percentile of the reference nights';
the outlier score is the larger of the two."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import torch

from engine.model.config import ModelConfig
from engine.model.mae import PedSleepMAE

RECON_MASK_RATIO = 0.5  # share of cells hidden for the reconstruction error


@torch.inference_mode()
def masked_pass(model: PedSleepMAE, cfg: ModelConfig, epochs: Sequence[int], x: torch.Tensor,
                hidden_channels: torch.Tensor, device: torch.device | str
                ) -> tuple[np.ndarray, torch.Tensor]:
    """Reconstruction error [n] (z units, MSE over the randomly hidden cells of recorded
    channels; the draw is seeded by the epoch number) and the reconstruction itself
    [n, C, T] (a second draw for the reconstruction band)."""
    cells = torch.stack([torch.rand(cfg.n_chans, cfg.n_patches, generator=torch.Generator().manual_seed(int(e)))
                         < RECON_MASK_RATIO for e in epochs]).to(device)
    hidden = cells | hidden_channels[:, :, None]
    recon, _ = model(x, hidden=hidden)
    target = (cells & ~hidden_channels[:, :, None]).repeat_interleave(cfg.patch_size, 2).float()
    err = (((recon - x) ** 2) * target).sum((1, 2)) / target.sum((1, 2)).clamp_min(1)
    return err.cpu().numpy().astype(np.float32), recon


def percentile_of(quantiles: np.ndarray | None, values: np.ndarray) -> np.ndarray:
    """Where ``values`` fall among the reference nights' ``quantiles`` (0..1); NaN when the
    model file has none."""
    if quantiles is None:
        return np.full(len(values), np.nan, np.float32)
    return (np.interp(values, quantiles, np.linspace(0, 1, len(quantiles)))).astype(np.float32)


def knn_distance(reference: Mapping[str, np.ndarray], embeddings: np.ndarray) -> np.ndarray:
    """Mean distance [n] of each embedding to its nearest reference points (standardised,
    PCA-projected as the reference was); NaN when the model file has no reference set."""
    if "points" not in reference:
        return np.full(len(embeddings), np.nan, np.float32)
    from engine.training.fit_probes import knn_distance as knn_mean_distance

    projected = (((embeddings - reference["e_mean"]) / reference["e_std"] - reference["pca_mean"])
                 @ reference["pca_comp"])
    return np.asarray(knn_mean_distance(reference["points"], projected), np.float32)


def outlier_score(reference: Mapping[str, np.ndarray], knn: np.ndarray, recon_error: np.ndarray) -> np.ndarray:
    """[n] 0..1: the larger of the k-NN distance's and the reconstruction error's
    percentiles among the reference nights'."""
    p_knn = percentile_of(reference.get("knn_quantiles"), knn)
    p_recon = percentile_of(reference.get("recon_quantiles"), recon_error)
    return np.fmax(p_knn, p_recon)
