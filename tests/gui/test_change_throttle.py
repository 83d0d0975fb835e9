"""The model's document changes during its pass reach the panels merged, at most every
INTERVAL_MS; the scorer's own changes pass at once, after what is pending (issue 16)."""

from engine.api import Change
from gui.change_throttle import ModelChangeThrottle


def _model(a, b, ids=()):
    return Change("edit", "Model stage suggestions", None, (a, b), frozenset(ids))


def test_held_model_changes_are_merged(qtbot):
    got = []
    t = ModelChangeThrottle(got.append, interval_ms=50)
    t.hold(True)
    for a in range(10, 0, -1):
        t.push(_model(a * 4, a * 4 + 4, ids=(a,)))
    assert got == []  # nothing per batch
    qtbot.waitUntil(lambda: len(got) == 1, timeout=2000)
    assert got[0].suggestion_epochs == (4, 44) and got[0].event_ids == frozenset(range(1, 11))


def test_the_scorers_change_passes_at_once_after_what_is_pending(qtbot):
    got = []
    t = ModelChangeThrottle(got.append, interval_ms=10_000)
    t.hold(True)
    t.push(_model(0, 4))
    human = Change("edit", "Stage N2 at epoch 3", (2, 3))
    t.push(human)
    assert [c.label for c in got] == ["Model stage suggestions", "Stage N2 at epoch 3"]


def test_not_held_and_release(qtbot):
    got = []
    t = ModelChangeThrottle(got.append, interval_ms=10_000)
    t.push(_model(0, 4))
    assert len(got) == 1  # not held: at once
    t.hold(True)
    t.push(_model(4, 8))
    assert len(got) == 1
    t.hold(False)  # the pass ended: pending goes out now
    assert len(got) == 2 and got[1].suggestion_epochs == (4, 8)
    t.hold(True)
    t.push(_model(8, 12))
    t.drop()  # the document closed
    t.hold(False)
    assert len(got) == 2
