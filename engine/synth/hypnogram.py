"""The night's architecture: one stage per 30-s epoch from an age-dependent NREM-REM
cycle model.

Model (see docs/synth.md): wake for the sleep-onset latency, then cycles of
N1 -> N2 -> N3 -> N2 -> R whose length grows with age (~50 min at 1 y, ~90 min at 18 y).
N3 minutes per cycle decay geometrically (front-loaded: most N3 in the first two cycles),
REM minutes per cycle grow (back-loaded; the first REM period is short and often skipped
after the toddler years). Brief awakenings follow some REM periods and occur at random,
each followed by N1. Stage transitions inside blocks (N2<->N3 wobble, REM interrupted by
N2) add the fragmentation real hypnograms have.
"""

from __future__ import annotations

import numpy as np

from .params import N1, N2, N3, STAGES, R, Subject, W

EPOCHS_PER_MIN = 2


def make_hypnogram(rng: np.random.Generator, subject: Subject, n_epochs: int) -> np.ndarray:
    """Stage codes (0=W, 1=N1, 2=N2, 3=N3, 4=R) for ``n_epochs`` 30-s epochs."""
    s = subject
    out: list[int] = []
    sol = max(int(round(s.sol_min * EPOCHS_PER_MIN)), 2)
    out += [W] * sol
    # an N1 flicker back to wake before sleep sets in, sometimes
    if rng.random() < 0.5:
        out[-2:-1] = [N1]

    cycle_ep = s.cycle_min * EPOCHS_PER_MIN
    tst_ep = max(n_epochs - sol, 1) * 0.95
    # cycle lengths drawn up front (the first is a little longer)
    lengths: list[float] = []
    while sum(lengths) < tst_ep + 2 * cycle_ep:
        length = cycle_ep * np.exp(0.12 * rng.standard_normal())
        lengths.append(length * (rng.uniform(1.0, 1.2) if not lengths else 1.0))
    L = np.array(lengths)
    n_full = max(int(np.searchsorted(np.cumsum(L), tst_ep)) + 1, 1)
    k = np.arange(len(L))
    # N3 front-loaded (geometric decay), REM back-loaded (short first period, growing),
    # each capped per cycle; what does not fit moves to the next cycle
    n3_ep = _allocate(s.n3_share * tst_ep, np.exp(-k / rng.uniform(0.8, 1.2)), 0.6 * L, n_full)
    rem_ep = _allocate(
        s.rem_share * tst_ep, np.minimum(0.35 + 0.45 * k, 1.0 + 0.15 * k), 0.45 * L, n_full
    )
    skip_first_rem = rng.random() < float(np.interp(s.age_years, [1, 5, 18], [0.1, 0.4, 0.5]))
    if skip_first_rem and len(rem_ep) > 1:
        rem_ep[1] += rem_ep[0]
        rem_ep[0] = 0.0
    n1_total = s.n1_share * tst_ep

    ci = 0
    while len(out) < n_epochs:
        length = L[min(ci, len(L) - 1)]
        n1 = int(rng.integers(2, 7)) if ci == 0 else int(rng.poisson(max(n1_total / n_full - 3, 0.3)))
        n3 = int(round(n3_ep[min(ci, len(L) - 1)] * np.exp(0.1 * rng.standard_normal())))
        rem = int(round(rem_ep[min(ci, len(L) - 1)] * np.exp(0.1 * rng.standard_normal())))
        n2 = int(round(length)) - n1 - n3 - rem
        if n2 < 8:  # keep a minimum of N2 around N3 and before REM
            short = 8 - n2
            cut3 = min(n3, short)
            n3 -= cut3
            rem = max(rem - (short - cut3), 0)
            n2 = 8
        n2a = max(int(round(n2 * rng.uniform(0.3, 0.55))), 3) if n3 > 0 else n2 // 2
        n2b = n2 - n2a

        block: list[int] = [N1] * n1 + [N2] * n2a
        # N3 with occasional N2 epochs inside
        block += [N2 if rng.random() < 0.07 else N3 for _ in range(n3)]
        block += [N2] * n2b
        # REM with occasional interruptions
        for _ in range(rem):
            u = rng.random()
            block.append(N2 if u < 0.03 else (W if u < 0.045 else R))
        # brief awakening after the cycle, more likely later in the night
        if rng.random() < min(0.25 + 0.1 * ci, 0.7):
            block += [W] * int(rng.integers(1, 4)) + [N1] * int(rng.integers(1, 3))
        out += block
        ci += 1

    hyp = np.array(out[:n_epochs], dtype=np.int8)
    # random brief awakenings in sleep (1-2 epochs) followed by N1
    p_aw = s.awakening_per_h / 120.0
    sleep_idx = np.flatnonzero(hyp[:-3] != W)
    sleep_idx = sleep_idx[sleep_idx > sol + 10]
    for i in sleep_idx[rng.random(sleep_idx.size) < p_aw]:
        if hyp[i] == W:
            continue
        d = int(rng.integers(1, 3))
        hyp[i : i + d] = W
        if i + d < n_epochs and hyp[i + d] in (N2, N3):
            hyp[i + d] = N1
    # the morning: the last minutes are often awake
    if n_epochs > 600 and rng.random() < 0.7:
        hyp[-int(rng.integers(2, 12)) :] = W
    return hyp


def stage_names(hyp: np.ndarray) -> list[str]:
    return [STAGES[int(c)] for c in hyp]


def stage_codes(names) -> np.ndarray:
    return np.array([STAGES.index(s) for s in names], dtype=np.int8)


def _allocate(total: float, weights: np.ndarray, cap: np.ndarray, n_full: int) -> np.ndarray:
    """Split ``total`` epochs over cycles by ``weights`` (normalised over the first
    ``n_full`` cycles), at most ``cap`` per cycle, carrying the excess forward."""
    w = np.asarray(weights, dtype=np.float64).copy()
    w /= w[:n_full].sum()
    want = total * w
    got = np.zeros_like(want)
    carry = 0.0
    for i in range(len(want)):
        x = want[i] + carry if i < n_full + 1 else 0.0
        got[i] = min(x, cap[i])
        carry = x - got[i]
    return got
