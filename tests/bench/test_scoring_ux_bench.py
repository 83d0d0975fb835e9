"""Whole-night view of a scored 8-h night (issue 13): the per-channel envelope scaled to
its row and every event as a thin mark, key press to painted frame at 1600x900.

Run with `make bench`. Prints figures; asserts nothing about time (machines differ).
"""

import math
import os

import numpy as np
import pytest

from tests.bench.conftest import BENCH_DIR, frame_ms

pytestmark = pytest.mark.bench




@pytest.fixture(scope="session")
def scored_8h_edf():
    from engine.synth import NightParams, generate_night, write_night

    os.makedirs(BENCH_DIR, exist_ok=True)
    p = os.path.join(BENCH_DIR, "synth-8h-scored.edf")
    if not os.path.exists(p):
        write_night(generate_night(NightParams(hours=8.0, age_years=15.0, ahi=26.0, seed=13)), p)
    return p


def test_whole_night_with_event_marks(qtbot, scored_8h_edf, tmp_path):
    from engine.channels.profiles import ProfileStore
    from gui.app import configure_pyqtgraph
    from gui.main_window import MainWindow

    configure_pyqtgraph()
    w = MainWindow(profiles=ProfileStore(tmp_path / "p"))
    qtbot.addWidget(w)
    w.assistant.enabled_action.setChecked(False)
    w.assistant.set_enabled(False)
    w.resize(1600, 900)
    w.show()
    qtbot.waitExposed(w)
    jpath = scored_8h_edf + ".pedsleep.jsonl"
    if os.path.exists(jpath):
        os.remove(jpath)
    assert w.open_path(scored_8h_edf)
    qtbot.waitUntil(lambda: w.viewer.pyramid_worker is None or not w.viewer.pyramid_worker.is_running(),
                    timeout=120000)
    w.set_window(math.inf)
    ov = w.scoring.overlay
    with_marks = [frame_ms(w, w.viewer.refresh) for _ in range(15)]
    n_marks, n_events = ov.n_marks, len(w.scoring.ctl.doc.events())
    draw = ov._draw_marks
    ov._draw_marks = lambda events, n: ov._hide_marks()
    without = [frame_ms(w, w.viewer.refresh) for _ in range(15)]
    ov._draw_marks = draw
    w.set_window(30.0)
    page = [frame_ms(w, w.viewer.next_page) for _ in range(15)]
    print(f"\n8-h scored night, {n_events} events ({n_marks} marks on their rows), whole-night frame: "
          f"median {np.median(with_marks):.1f} ms with event marks, {np.median(without):.1f} ms without; "
          f"30-s page flip with events: median {np.median(page):.1f} ms")
    w.close_study()
    if os.path.exists(jpath):
        os.remove(jpath)
