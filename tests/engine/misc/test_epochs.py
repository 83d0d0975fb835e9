import math

import pytest

from engine.epochs import EPOCH_S, epoch_of, epoch_start_s, n_epochs_for


@pytest.mark.parametrize(("duration_s", "n"), [
    (0.0, 0), (-5.0, 0), (math.nan, 0), (math.inf, 0), (1e-9, 0),
    (0.5, 1), (30.0, 1), (30.0000001, 1), (30.01, 2), (59.9999999, 2), (60.0, 2), (300.0, 10),
    (8 * 3600.0, 960),
])
def test_n_epochs_for(duration_s, n):
    assert n_epochs_for(duration_s) == n


def test_epoch_of_and_start_agree():
    assert EPOCH_S == 30.0
    for i in (0, 1, 157, 959):
        assert epoch_of(epoch_start_s(i)) == i
        assert epoch_of(epoch_start_s(i) + 29.999) == i
    assert epoch_of(29.9999999999) == 1  # float noise at a boundary belongs to the next epoch


def test_canonical_epoch_is_the_same_grid():
    from engine.channels.canonical import EPOCH_S as CANONICAL_EPOCH_S

    assert CANONICAL_EPOCH_S is EPOCH_S or CANONICAL_EPOCH_S == EPOCH_S
