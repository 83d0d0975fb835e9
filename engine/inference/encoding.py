"""Encoding epochs of a session: embeddings and per-second features filled in once per
epoch, and a bounded cache of encoder tokens for the epochs with hidden channels (the
ones a reconstruction will decode)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import torch

from engine.inference.session import SECONDS_PER_EPOCH, NightSession
from engine.model.features import embeddings_and_seconds, epoch_batch
from engine.model.mae import PedSleepMAE
from engine.model.probes import EventHeads

TOKEN_CACHE = 256  # encoder outputs kept for epochs with hidden channels (reconstruction)
ENCODE_BATCH_EPOCHS = 64  # epochs per encoder call when filling gaps


@torch.inference_mode()
def encode_epochs(model: PedSleepMAE, event_heads: EventHeads | None, session: NightSession,
                  epochs: Sequence[int], device: torch.device | str
                  ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Encode ``epochs`` (unmasked) and fill the session's caches. Returns (tokens
    [n, S+1, W], x [n, C, T], hidden channels [n, C])."""
    x, hidden = epoch_batch(session.night, epochs, device)
    tokens = model.encode(x, present=~hidden)
    embeddings, seconds = embeddings_and_seconds(model, tokens)
    epoch_idx = np.asarray(epochs)
    session.emb[epoch_idx] = embeddings
    if event_heads is not None:
        projected = event_heads.project(seconds.reshape(-1, seconds.shape[-1]))
        rows = (epoch_idx[:, None] * SECONDS_PER_EPOCH + np.arange(SECONDS_PER_EPOCH)[None, :]).ravel()
        session.sec[rows] = projected
    session.encoded[epoch_idx] = True
    hidden_np = hidden.cpu().numpy()
    for j, epoch in enumerate(epochs):  # keep tokens where a reconstruction will need them
        if hidden_np[j].any():
            session.tokens[int(epoch)] = tokens[j].detach()
            while len(session.tokens) > TOKEN_CACHE:
                session.tokens.popitem(last=False)
    return tokens, x, hidden


def ensure_encoded(model: PedSleepMAE, event_heads: EventHeads | None, session: NightSession,
                   start_epoch: int, stop_epoch: int, device: torch.device | str) -> None:
    """Encode the epochs of ``[start_epoch, stop_epoch)`` not encoded yet, each once."""
    todo = [i for i in range(start_epoch, stop_epoch) if not session.encoded[i]]
    for j in range(0, len(todo), ENCODE_BATCH_EPOCHS):
        encode_epochs(model, event_heads, session, todo[j:j + ENCODE_BATCH_EPOCHS], device)


def encode_remaining(model: PedSleepMAE, event_heads: EventHeads | None, session: NightSession,
                     device: torch.device | str, cancelled: Callable[[], bool]) -> bool:
    """Encode every epoch not encoded yet; False when ``cancelled()`` stopped it."""
    todo = np.flatnonzero(~session.encoded)
    for j in range(0, len(todo), ENCODE_BATCH_EPOCHS):
        if cancelled():
            return False
        encode_epochs(model, event_heads, session, todo[j:j + ENCODE_BATCH_EPOCHS].tolist(), device)
    return True


def tokens_for(model: PedSleepMAE, event_heads: EventHeads | None, session: NightSession,
               epochs: list[int], device: torch.device | str) -> torch.Tensor:
    """Encoder tokens [n, S+1, W] of ``epochs``: from the cache, encoding what is not there."""
    missing = [e for e in epochs if e not in session.tokens]
    if missing:
        encode_epochs(model, event_heads, session, missing, device)
        if any(session.tokens.get(e) is None for e in epochs):  # no hidden channel there: not cached
            tokens, _, _ = encode_epochs(model, event_heads, session, epochs, device)
            return tokens
    return torch.stack([session.tokens[e] for e in epochs])
