"""The one epoch grid (docs/architecture.md, rule 4): scoring epochs are 30 s, counted
from the recording start; epoch ``i`` covers ``[i * EPOCH_S, (i + 1) * EPOCH_S)``.

Everything that counts, numbers or places epochs uses these functions, so a recording of
60.0000001 s (a float header) has the same number of epochs everywhere.
"""

from __future__ import annotations

import math

EPOCH_S = 30.0
# a recording this close to a whole number of epochs has that number (float headers)
_TOLERANCE_S = 1e-6


def n_epochs_for(duration_s: float, epoch_s: float = EPOCH_S) -> int:
    """Epochs needed to cover ``duration_s`` (a partial last epoch counts); 0 for an
    empty, negative or non-finite duration."""
    if not math.isfinite(duration_s) or duration_s <= _TOLERANCE_S:
        return 0
    return max(1, math.ceil(duration_s / epoch_s - _TOLERANCE_S / epoch_s))


def epoch_of(t_s: float, epoch_s: float = EPOCH_S) -> int:
    """The epoch that contains time ``t_s`` (seconds from the recording start)."""
    return math.floor(t_s / epoch_s + _TOLERANCE_S / epoch_s)


def epoch_start_s(epoch: int, epoch_s: float = EPOCH_S) -> float:
    return epoch * epoch_s
