"""Features the probes read from the encoder.

    epoch embedding   [E = 3W]  per 30-s epoch: mean and standard deviation over the epoch's
                      time steps of the encoder features, and the cls features.
    second features   [30, W]   per 1-s step: the time-step features mean-pooled to 1 s.
    (a time step's features concatenate the 16 channels' cell features of that step, so
    the same code serves both token layouts.)
"""

from __future__ import annotations

import numpy as np
import torch

from engine.channels.canonical import EPOCH_SAMPLES
from engine.model.mae import PedSleepMAE
from engine.model.preprocess import NightInput


def epoch_batch(night: NightInput, epochs, device) -> tuple[torch.Tensor, torch.Tensor]:
    """x [n, C, 3840] float32, hidden-channel mask [n, C] (missing or flat)."""
    z = night.z
    xs = np.stack([np.asarray(z[:, i * EPOCH_SAMPLES:(i + 1) * EPOCH_SAMPLES], np.float32) for i in epochs])
    hid = np.stack([night.hidden_channels(i) for i in epochs])
    return torch.from_numpy(xs).to(device), torch.from_numpy(hid).to(device)


def time_step_features(model: PedSleepMAE, tokens: torch.Tensor) -> torch.Tensor:
    """tokens [n, S+1, W] -> [n, S, W] (time step s: channel-concatenated cell features)."""
    cells = model.cells(tokens)[:, :, 1:, :]  # [n, C, S, D]
    n, c, s, d = cells.shape
    return cells.permute(0, 2, 1, 3).reshape(n, s, c * d)


def embeddings_and_seconds(model: PedSleepMAE, tokens: torch.Tensor):
    """-> (embedding [n, 3W], second features [n, 30, W]) as float32 numpy."""
    ts = time_step_features(model, tokens).float()
    cls = model.cells(tokens)[:, :, 0, :].reshape(tokens.shape[0], -1).float()
    emb = torch.cat([ts.mean(1), ts.std(1), cls], dim=1)
    n, s, w = ts.shape
    per_s = s // 30
    if per_s >= 1 and s % 30 == 0:
        sec = ts.reshape(n, 30, per_s, w).mean(2)
    else:  # patches longer than 1 s: repeat
        sec = torch.nn.functional.interpolate(ts.transpose(1, 2), size=30, mode="nearest").transpose(1, 2)
    return emb.cpu().numpy(), sec.cpu().numpy()


@torch.inference_mode()
def encode_night(model: PedSleepMAE, night: NightInput, device="cpu", batch: int = 64,
                 cancel=None):
    """Whole night -> (embeddings [n_ep, 3W], second features [n_ep * 30, W])."""
    embs, secs = [], []
    for a in range(0, night.n_epochs, batch):
        if cancel is not None and cancel.is_set():
            return None
        ep = range(a, min(a + batch, night.n_epochs))
        x, hid = epoch_batch(night, ep, device)
        tokens = model.encode(x, present=~hid)
        e, s = embeddings_and_seconds(model, tokens)
        embs.append(e)
        secs.append(s.reshape(-1, s.shape[-1]))
    if not embs:
        w = model.cfg.width
        return np.zeros((0, 3 * w), np.float32), np.zeros((0, w), np.float32)
    return np.concatenate(embs), np.concatenate(secs)
