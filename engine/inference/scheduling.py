"""The order a night is worked through, and gathering the results.

Work is done in contiguous chunks of epochs: the chunk holding ``center_epoch`` (the page
on screen) first, then alternately right and left of what is done (left to right from
epoch 0 without a center). The chunk size adapts so that one chunk takes about
``max_batch_s``; the run is a generator that honours a cancel flag between chunks
(docs/architecture.md, rule 3)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import numpy as np

from engine.inference.results import EpochBatch, NightResult, SuggestedEvent
from engine.inference.session import NightSession
from engine.jobs import is_cancelled
from engine.pause_gate import GATE

MAX_CHUNK_EPOCHS = 64
# while the scorer is acting (engine.pause_gate), chunks aim at this many seconds: the
# model's pause points (between attention and MLP layers) then come every few ms
ACTIVE_BATCH_S = 0.02
ACTIVE_WINDOW_S = 3.0

# a cancel flag: an object with is_set() (threading.Event), a callable, or None
Cancel = Any


class ChunkOrder:
    """Visible page first: hands out ``[start_epoch, stop_epoch)`` chunks of a night of
    ``n_epochs``, growing the done range ``[lo, hi)`` from the chunk around
    ``center_epoch`` alternately right and left (only rightwards from 0 without one)."""

    def __init__(self, n_epochs: int, center_epoch: int | None, first_size: int):
        self.n_epochs = n_epochs
        self.centered = center_epoch is not None
        if center_epoch is not None:
            center = int(np.clip(center_epoch, 0, n_epochs - 1))
            self.lo = self.hi = max(0, min(center - first_size // 2, n_epochs - first_size))
        else:
            self.lo = self.hi = 0
        self.go_right = True
        self.first = True

    def done(self) -> bool:
        return self.lo <= 0 and self.hi >= self.n_epochs

    def next_chunk(self, size: int) -> tuple[int, int]:
        """The next chunk of at most ``size`` epochs (call while not ``done()``)."""
        if (self.go_right and self.hi < self.n_epochs) or self.lo == 0:
            start_epoch, stop_epoch = self.hi, min(self.n_epochs, self.hi + size)
            self.hi = stop_epoch
        else:
            start_epoch, stop_epoch = max(0, self.lo - size), self.lo
            self.lo = start_epoch
        if self.centered and not self.first:
            self.go_right = not self.go_right
        self.first = False
        return start_epoch, stop_epoch


def run_chunks(compute: Callable[[int, int, int], EpochBatch], n_epochs: int, *, center_epoch: int | None,
               first_size: int, adapt: bool, max_batch_s: float, cancel: Cancel = None) -> Iterator[EpochBatch]:
    """Generator of ``compute(start_epoch, stop_epoch, n_done)`` over the whole night in
    ``ChunkOrder``; with ``adapt`` the chunk size follows the time the last chunk took
    (1 .. MAX_CHUNK_EPOCHS epochs, aiming at ``max_batch_s``). Stops quietly when
    ``cancel`` is set (checked before each chunk)."""
    if n_epochs == 0:
        return
    order = ChunkOrder(n_epochs, center_epoch, first_size)
    size = first_size
    n_done = 0
    while not order.done():
        if is_cancelled(cancel):
            return
        start_epoch, stop_epoch = order.next_chunk(size)
        t0 = time.perf_counter()
        batch = compute(start_epoch, stop_epoch, n_done)
        took_s = time.perf_counter() - t0
        n_done += stop_epoch - start_epoch
        if adapt and took_s > 0:
            target = min(max_batch_s, ACTIVE_BATCH_S) if GATE.active_within(ACTIVE_WINDOW_S) else max_batch_s
            size = int(np.clip(size * target / took_s, 1, MAX_CHUNK_EPOCHS))
        yield batch


def collect(batches: Iterable[EpochBatch], s: NightSession, seconds: float = 0.0) -> NightResult:
    """A whole night gathered from its batches (epochs not in any batch stay NaN)."""
    batches = list(batches)
    n = s.n_epochs
    e_dim = batches[0].embeddings.shape[1] if batches else 0
    stage_probs = np.full((n, 5), np.nan, np.float32)
    embeddings = np.full((n, e_dim), np.nan, np.float32)
    outlier = np.full(n, np.nan, np.float32)
    knn = np.full(n, np.nan, np.float32)
    recon_error = np.full(n, np.nan, np.float32)
    events: list[SuggestedEvent] = []
    for bt in batches:
        i = bt.epochs
        stage_probs[i], embeddings[i] = bt.stage_probs, bt.embeddings
        outlier[i], knn[i], recon_error[i] = bt.outlier_score, bt.knn_distance, bt.recon_error
        events += bt.events
    events.sort(key=lambda e: (e.onset_s, e.type))
    return NightResult(stage_probs, embeddings, outlier, knn, recon_error, tuple(events), s.missing_channels, seconds)
