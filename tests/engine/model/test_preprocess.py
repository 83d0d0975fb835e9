"""Per-study robust z-scoring, flat/missing channels, masking during pretraining."""

import numpy as np
import torch

from engine.model.config import COMPACT
from engine.model.preprocess import prepare_night
from engine.training.masking import random_hidden


def test_robust_per_study_zscore_and_flat_epochs():
    rng = np.random.default_rng(0)
    n_ep = 6
    x = rng.standard_normal((16, n_ep * 3840)).astype(np.float32) * 50 + 10
    x[8] = 97.0 + 0.05 * rng.standard_normal(n_ep * 3840)  # SpO2 nearly constant
    x[0, : 3840 // 2] = 1e4  # a big artefact does not set the scale
    x[3, 3840:2 * 3840] = 5.0  # flat (disconnected) during epoch 1
    x[5] = np.nan  # NaN outside the recording
    x[5, : 3 * 3840] = rng.standard_normal(3 * 3840)
    present = np.ones(16, bool)
    present[7] = False
    x[7] = 123.0
    night = prepare_night(x, present)
    assert night.n_epochs == n_ep
    assert np.isfinite(night.z).all()
    assert abs(night.scale[1] - 50) / 50 < 0.1 and abs(night.center[1] - 10) < 5
    assert 30 < night.scale[0] < 80  # robust to the artefact
    assert night.scale[8] >= 1.0  # SpO2 floor: 1 %
    assert np.abs(night.z).max() <= 20
    assert (night.z[7] == 0).all() and not night.present[7]
    assert night.flat[1, 3] and not night.flat[0, 3]
    assert night.hidden_channels(1)[3] and night.hidden_channels(1)[7]


def test_masking_hides_cells_and_whole_channels():
    g = torch.Generator().manual_seed(0)
    present = torch.ones(64, 16, dtype=torch.bool)
    present[:, 2] = False
    h = random_hidden(present, COMPACT, g)
    assert h.shape == (64, 16, COMPACT.n_patches)
    assert h[:, 2].all()  # missing channel always hidden
    frac = h[:, [0, 1, 3]].float().mean().item()
    assert 0.45 < frac < 0.75
    whole = h.all(dim=2) & present
    assert whole.any()  # some samples hide whole present channels
    assert (~h.all(dim=2)).any(dim=1).all()  # never every channel of a sample
