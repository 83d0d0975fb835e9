"""The trace area's grid (second/epoch lines and row separators) is drawn in page-relative
x and moved with the page (gui/viewer/signal_view.py ``_draw_grid``): where it lands in
the view must be where the page's lines are."""

import numpy as np
from PySide6.QtCore import Qt


def _lines_in_view(item) -> np.ndarray:
    x, _ = item.getData()
    return np.unique(np.round(np.asarray(x, float) + item.pos().x(), 6)) if x is not None else np.zeros(0)


def test_grid_lines_follow_the_page_and_the_zoom(window, night_edf, qtbot):
    window.open_path(str(night_edf))
    sv = window.viewer.signal_view
    assert list(_lines_in_view(sv.grid)) == [0, 5, 10, 15, 20, 25, 30]  # 30-s page: every 5 s
    data_before = sv.grid.getData()[0].copy()
    qtbot.keyClick(window, Qt.Key.Key_PageDown)
    qtbot.keyClick(window, Qt.Key.Key_PageDown)
    assert list(_lines_in_view(sv.grid)) == [60, 65, 70, 75, 80, 85, 90]
    assert np.array_equal(sv.grid.getData()[0], data_before)  # moved, not rebuilt
    n = len(sv.rows)
    assert list(np.unique(sv.sep.getData()[1])) == list(range(1, n))  # a line between rows
    assert list(_lines_in_view(sv.sep)) == [60, 90]  # across the whole page
    for _ in range(2):  # 30 s -> 1 min -> 2 min: epoch lines
        qtbot.keyClick(window, Qt.Key.Key_Minus, Qt.KeyboardModifier.ControlModifier)
    v = window.viewer
    t0, w = v.start_s, v.effective_window()
    assert w == 120.0
    expected = [t for t in np.arange(0, 3600 + 1, 30.0) if t0 - 1e-9 <= t <= t0 + w + 1e-9]
    assert list(_lines_in_view(sv.grid)) == expected
    v.go_to(t0 + 45.0)  # a start between two epoch lines: the lines stay on the epochs
    t0 = v.start_s
    expected = [t for t in np.arange(0, 3600 + 1, 30.0) if t0 - 1e-9 <= t <= t0 + w + 1e-9]
    assert list(_lines_in_view(sv.grid)) == expected
