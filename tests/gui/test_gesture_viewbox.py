"""Mouse gestures reach their owners as signals of a ViewBox subclass, not through
handlers assigned over a ViewBox instance's methods."""

import pytest

from gui.viewer.plot_setup import GestureViewBox


class _Ev:
    def __init__(self, delta=120):
        self._delta = delta
        self.accepted = None

    def delta(self):
        return self._delta

    def accept(self):
        self.accepted = True

    def ignore(self):
        self.accepted = False


def test_claimed_gestures_go_to_their_handler(qtbot):
    vb = GestureViewBox()
    got = []
    vb.claim("wheeled", lambda ev: (got.append(("wheel", ev)), ev.accept()))
    vb.claim("dragged", lambda ev: got.append(("drag", ev)))
    vb.claim("clicked", lambda ev: got.append(("click", ev)))
    w, d, c = _Ev(), _Ev(), _Ev()
    vb.wheelEvent(w)
    vb.mouseDragEvent(d)
    vb.mouseClickEvent(c)
    assert got == [("wheel", w), ("drag", d), ("click", c)]
    assert w.accepted is True
    with pytest.raises(ValueError):
        vb.claim("hover", print)


def test_app_plots_use_signals_not_method_assignment(window):
    views = [window.viewer.signal_view.vb, window.viewer.overview.vb, window.scoring.hypnogram.vb]
    for vb in views:
        assert isinstance(vb, GestureViewBox)
        assert not {"wheelEvent", "mouseDragEvent", "mouseClickEvent"} & set(vars(vb)), vb


def test_wheel_over_the_signals_pages(window, night_edf, qtbot):
    assert window.open_path(str(night_edf))
    vb = window.viewer.signal_view.vb
    vb.wheelEvent(_Ev(delta=-120))  # wheel down: next page
    assert window.viewer.start_s == 30.0
    vb.wheelEvent(_Ev(delta=120))
    assert window.viewer.start_s == 0.0
