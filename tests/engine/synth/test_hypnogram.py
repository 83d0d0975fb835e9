"""Night architecture: cycles by age, N3 front-loaded, REM back-loaded."""

from __future__ import annotations

import numpy as np

from engine.synth.hypnogram import make_hypnogram
from engine.synth.params import N3, NightParams, R, W, draw_subject, stream_rng

HOURS = 9.5


def _night(age, seed):
    p = NightParams(hours=HOURS, age_years=age, seed=seed)
    s = draw_subject(p)
    return s, make_hypnogram(stream_rng(seed, "hypnogram"), s, int(HOURS * 120))


def _rem_onsets(h):
    """Epoch index of each REM period's start (REM after >= 10 min without REM)."""
    idx = np.flatnonzero(h == R)
    if idx.size == 0:
        return idx
    starts = [idx[0]] + [b for a, b in zip(idx[:-1], idx[1:], strict=False) if b - a > 20]
    return np.array(starts)


def test_n3_front_loaded_rem_back_loaded():
    for age in (2, 8, 15):
        for seed in range(4):
            _, h = _night(age, seed)
            thirds = np.array_split(h, 3)
            n3 = [int(np.sum(t == N3)) for t in thirds]
            rem = [int(np.sum(t == R)) for t in thirds]
            assert n3[0] > 2 * n3[2] and n3[0] > n3[1], (age, seed, n3)
            assert rem[2] > rem[0], (age, seed, rem)


def test_stage_shares_plausible_and_sleep_onset_latency():
    for age in (1.5, 6, 12, 17):
        for seed in range(3):
            s, h = _night(age, seed)
            sleep = h != W
            tst = sleep.sum()
            assert 0.80 < tst / h.size < 0.98
            sol_min = np.argmax(sleep) / 2.0
            assert 3.0 <= sol_min <= 50.0 and abs(sol_min - s.sol_min) <= 2.0
            assert 0.10 < np.sum(h == N3) / tst < 0.36
            assert 0.08 < np.sum(h == R) / tst < 0.36
            assert 0.01 < np.sum(h == 1) / tst < 0.12
            # brief awakenings after sleep onset
            assert np.sum(h[np.argmax(sleep):] == W) >= 2


def test_cycle_length_grows_with_age():
    def mean_cycle(age):
        out = []
        for seed in range(5):
            on = _rem_onsets(_night(age, seed)[1])
            if on.size >= 3:
                out.append(np.median(np.diff(on)) / 2.0)  # minutes
        return float(np.mean(out))

    young, teen = mean_cycle(1.5), mean_cycle(16)
    assert 40 <= young <= 70, young
    assert 75 <= teen <= 115, teen
    assert teen - young > 20


def test_between_subject_variation_and_reproducible():
    a1, ha1 = _night(8, 1)
    a2, ha2 = _night(8, 1)
    b, hb = _night(8, 2)
    assert np.array_equal(ha1, ha2) and a1 == a2
    assert not np.array_equal(ha1, hb) and a1 != b
