"""Rebuilding a channel from the others: over a recorded channel's flat stretches (a lead
that failed) during the night's run, and on request for any channel and epochs. The
model's decoding is blended with a linear estimate from the visible channels and given a
band (docs/architecture.md: reconstruction is for a recorded channel that failed, and on
request)."""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import torch

from engine.channels.canonical import (
    CANONICAL_CHANNELS,
    CANONICAL_NAMES,
    EPOCH_S,
    EPOCH_SAMPLES,
    MODEL_SFREQ_HZ,
)
from engine.inference.requirements import reconstructable, reconstruction_targets, steady_reading
from engine.inference.results import ChannelReconstruction
from engine.inference.session import NightSession
from engine.model.config import ModelConfig
from engine.model.features import epoch_batch
from engine.model.mae import PedSleepMAE
from engine.model.probes import linear_conditional

# recon_fit: the model file's "recon.*" arrays (rmse_z, alpha, moments, typical_center,
# typical_scale), as the probes were fitted


def blend_linear(recon_fit: Mapping[str, np.ndarray], channel: int, mae_z: np.ndarray, x: np.ndarray,
                 visible: np.ndarray) -> np.ndarray:
    """alpha_c * MAE + (1 - alpha_c) * linear conditional estimate from the visible
    channels at the same instants (weights fitted with the probes).
    mae_z [n, T], x [n, C, T] z units, visible [n, C] bool -> [n, T]."""
    moments = recon_fit.get("moments")
    if moments is None:
        return mae_z
    alpha = float(recon_fit["alpha"][channel])
    if alpha >= 1.0:
        return mae_z
    moments = moments.astype(np.float64)
    out = np.empty_like(mae_z)
    for j in range(len(mae_z)):
        others = visible[j].copy()
        others[channel] = False
        out[j] = alpha * mae_z[j] + (1 - alpha) * linear_conditional(moments, x[j], others, channel)
    return out


def physical_frame(recon_fit: Mapping[str, np.ndarray], session: NightSession, channel: int,
                   n_chans: int) -> tuple[float, float, str]:
    """(center, scale, reason) to turn ``channel``'s z units back into physical ones: the
    night's own statistics when the channel is recorded (flat epochs), else the typical
    ones of the training nights (missing channel)."""
    if session.night.present[channel]:
        return float(session.night.center[channel]), float(session.night.scale[channel]), "flat"
    return (float(recon_fit.get("typical_center", np.zeros(n_chans))[channel]),
            float(recon_fit.get("typical_scale", np.ones(n_chans))[channel]), "missing")


def chunk_reconstructions(model: PedSleepMAE, cfg: ModelConfig, recon_fit: Mapping[str, np.ndarray],
                          session: NightSession, start_epoch: int, stop_epoch: int, tokens: torch.Tensor,
                          hidden_channels: torch.Tensor, second_draw: torch.Tensor | None,
                          missing_ok: np.ndarray | None = None) -> tuple[ChannelReconstruction, ...]:
    """The channels hidden somewhere in ``[start_epoch, stop_epoch)`` that may be rebuilt
    (engine.inference.requirements), decoded from the chunk's unmasked ``tokens``; the
    band combines the spread between that decoding and ``second_draw`` (the masked pass's
    reconstruction) with the model's typical error for the channel. A recorded channel
    is rebuilt over its flat epochs only, and not where it reads steadily (not a lead-off)."""
    hidden_np = hidden_channels.cpu().numpy()  # [n, C]
    allowed = (reconstructable(session.night.present) if missing_ok is None
               else reconstruction_targets(session.night.present, missing_ok))
    channels = np.flatnonzero(hidden_np.any(0) & allowed)
    if len(channels) == 0:
        return ()
    with torch.inference_mode():
        full_hidden = hidden_channels[:, :, None].expand(-1, -1, cfg.n_patches)
        decoded = model.decoder(tokens, full_hidden).cpu().numpy()  # [n, C, T]
    other_draw = decoded if second_draw is None else second_draw.cpu().numpy()
    rmse = recon_fit.get("rmse_z", np.ones(cfg.n_chans, np.float32))
    alpha = recon_fit.get("alpha", np.ones(cfg.n_chans, np.float32))
    xz = np.stack([np.asarray(session.night.epoch(i), np.float32) for i in range(start_epoch, stop_epoch)])
    out = []
    for c in channels:
        center, scale, reason = physical_frame(recon_fit, session, int(c), cfg.n_chans)
        rows = hidden_np[:, c].copy()
        if reason == "flat":  # a steady reading is not a lead-off: nothing to rebuild there
            kind = CANONICAL_CHANNELS[c].kind
            level_z = xz[:, c].mean(axis=1)
            rows &= ~np.array([steady_reading(kind, center + scale * float(level_z[j]), float(level_z[j]))
                               for j in range(len(rows))])
            if not rows.any():
                continue
        spread = np.abs(decoded[:, c] - other_draw[:, c]).reshape(-1) * float(alpha[c]) / math.sqrt(2)
        best = blend_linear(recon_fit, int(c), decoded[:, c], xz, ~hidden_np).reshape(-1)
        one_s = int(MODEL_SFREQ_HZ)  # smooth the 2-draw spread over 1 s
        spread = np.convolve(spread, np.ones(one_s) / one_s, mode="same")
        sigma = np.sqrt(spread**2 + float(rmse[c]) ** 2)
        mask = np.repeat(rows, EPOCH_SAMPLES)
        mean = np.where(mask, best * scale + center, np.nan).astype(np.float32)
        band = (sigma * scale).astype(np.float32)
        out.append(ChannelReconstruction(int(c), CANONICAL_NAMES[c], start_epoch * EPOCH_S, MODEL_SFREQ_HZ,
                                         mean, mean - band, mean + band, reason))
    return tuple(out)


@torch.inference_mode()
def reconstruct_channel(model: PedSleepMAE, cfg: ModelConfig, recon_fit: Mapping[str, np.ndarray],
                        session: NightSession, channel: int, start_epoch: int, n_epochs: int,
                        n_draws: int, extra_mask: float, seed: int, device: torch.device | str
                        ) -> ChannelReconstruction:
    """Reconstruct one channel over epochs [start, start+n) from the other channels, with
    a band from ``n_draws`` random extra maskings of the other channels combined with the
    model's typical error for this channel (ModelRunner.reconstruct)."""
    start, stop = max(0, start_epoch), min(session.n_epochs, start_epoch + n_epochs)
    epochs = list(range(start, stop))
    x, hidden = epoch_batch(session.night, epochs, device)
    hidden = hidden.clone()
    hidden[:, channel] = True
    base = hidden[:, :, None].expand(-1, -1, cfg.n_patches)
    generator = torch.Generator().manual_seed(seed)
    draw_list = []
    for d in range(max(1, n_draws)):
        h = base if d == 0 else base | (torch.rand(base.shape, generator=generator) < extra_mask).to(device)
        recon, _ = model(x, hidden=h)
        draw_list.append(recon[:, channel].reshape(-1).cpu().numpy())
    draws = np.stack(draw_list)
    rmse = float(recon_fit.get("rmse_z", np.ones(cfg.n_chans))[channel])
    alpha = float(recon_fit.get("alpha", np.ones(cfg.n_chans))[channel])
    sigma = np.sqrt((alpha * draws.std(0)) ** 2 + rmse**2)
    xz = x.cpu().numpy()
    best = blend_linear(recon_fit, channel, draws[0].reshape(stop - start, -1), xz,
                        ~hidden.cpu().numpy()).reshape(-1)
    center, scale, reason = physical_frame(recon_fit, session, int(channel), cfg.n_chans)
    mean = (best * scale + center).astype(np.float32)
    band = (sigma * scale).astype(np.float32)
    return ChannelReconstruction(int(channel), CANONICAL_NAMES[channel], start * EPOCH_S, MODEL_SFREQ_HZ,
                                 mean, mean - band, mean + band, reason)
