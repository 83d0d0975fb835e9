"""The runner's roles on their own (engine/inference/: scheduling, outliers, similarity,
threshold re-fit), without a model."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from engine.inference.outliers import outlier_score, percentile_of
from engine.inference.refit import refit_event_thresholds
from engine.inference.scheduling import ChunkOrder, run_chunks
from engine.inference.similarity import most_similar
from engine.model.probes import EVENT_TYPES


def _order(n_epochs, center, size):
    order, out = ChunkOrder(n_epochs, center, size), []
    while not order.done():
        out.append(order.next_chunk(size))
    return out


def test_the_visible_page_comes_first_then_alternately_right_and_left():
    chunks = _order(10, 5, 2)
    assert chunks == [(4, 6), (6, 8), (2, 4), (8, 10), (0, 2)]


@pytest.mark.parametrize("n_epochs,center,size", [(1, 0, 4), (7, 6, 3), (13, 0, 4), (50, 17, 5), (9, None, 4)])
def test_chunks_cover_the_night_once(n_epochs, center, size):
    chunks = _order(n_epochs, center, size)
    covered = np.concatenate([np.arange(a, b) for a, b in chunks])
    assert sorted(covered.tolist()) == list(range(n_epochs))
    if center is not None:
        assert chunks[0][0] <= center < chunks[0][1]
    else:
        assert chunks == sorted(chunks)  # left to right


def test_run_chunks_adapts_the_size_and_stops_when_cancelled():
    seen = []
    stop = threading.Event()

    def compute(start, stop_epoch, n_done):
        seen.append((start, stop_epoch, n_done))
        if len(seen) == 3:
            stop.set()
        return (start, stop_epoch)

    out = list(run_chunks(compute, 100, center_epoch=50, first_size=4, adapt=False, max_batch_s=0.1, cancel=stop))
    assert len(out) == 3 and seen[0] == (48, 52, 0) and seen[1][2] == 4 and seen[2][2] == 8
    assert list(run_chunks(compute, 0, center_epoch=None, first_size=4, adapt=True, max_batch_s=0.1)) == []


def test_thresholds_follow_the_scorers_decisions():
    thresholds = np.full(len(EVENT_TYPES), 0.5, np.float32)
    first, second = EVENT_TYPES[0], EVENT_TYPES[1]
    out = refit_event_thresholds(thresholds, [(first, 0.7, True), (first, 0.6, False), (second, 0.9, False)])
    assert out[first] == pytest.approx(0.7)  # separates the accepted 0.7 from the rejected 0.6
    assert out[second] == pytest.approx(0.901)  # only rejections: just above the highest
    assert set(out) == {first, second} and thresholds[2] == 0.5  # other types unchanged
    assert refit_event_thresholds(thresholds, [(first, 0.999, False)])[first] == pytest.approx(0.95)  # kept inside


def test_percentiles_and_outlier_score():
    q = np.linspace(0.0, 10.0, 11)
    assert np.allclose(percentile_of(q, np.array([0.0, 5.0, 20.0])), [0.0, 0.5, 1.0])
    assert np.isnan(percentile_of(None, np.ones(2))).all()
    ref = {"knn_quantiles": q, "recon_quantiles": q}
    assert np.allclose(outlier_score(ref, np.array([2.0, 8.0]), np.array([6.0, 1.0])), [0.6, 0.8])
    assert np.isnan(outlier_score({}, np.ones(3), np.ones(3))).all()  # a model file without a reference set


def test_most_similar_finds_the_epochs_of_the_same_kind():
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=8), rng.normal(size=8)
    emb = np.stack([a + 0.01 * rng.normal(size=8) if i % 3 == 0 else b + 0.01 * rng.normal(size=8)
                    for i in range(12)]).astype(np.float32)
    similar = most_similar(emb, {}, 0, k=3)
    assert [s.epoch for s in similar] and all(s.epoch % 3 == 0 and s.epoch != 0 for s in similar)
    assert similar[0].similarity >= similar[-1].similarity


def test_chunks_shrink_while_the_scorer_is_acting(monkeypatch):
    """While the pause gate was taken in the last seconds, chunks aim at ACTIVE_BATCH_S (so
    the model's pause points come every few ms); otherwise at max_batch_s."""
    import engine.inference.scheduling as sch
    from engine.pause_gate import GATE

    clock = [0.0]
    monkeypatch.setattr(sch.time, "perf_counter", lambda: clock[0])

    def sizes() -> list[int]:
        out = []

        def compute(a, b, n_done):
            clock[0] += (b - a) / 128  # 1/128 s an epoch: exact in binary
            out.append(b - a)
            return a

        list(run_chunks(compute, 200, center_epoch=None, first_size=4, adapt=True, max_batch_s=0.15))
        return out

    monkeypatch.setattr(GATE, "last_active", -1e9)
    assert sizes()[1:4] == [int(0.15 * 128)] * 3
    monkeypatch.setattr(GATE, "last_active", time.monotonic())
    assert sizes()[1:4] == [int(sch.ACTIVE_BATCH_S * 128)] * 3
