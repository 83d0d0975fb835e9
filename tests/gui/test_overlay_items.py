"""Issue 16: the assistant's overlays are created once and updated, never rebuilt per
flip. Counts the graphics items of every plot before and after page flips with the
model's output on screen (suggested stages and events, hypnodensity, outlier marks, a
reconstructed ghost row with its band): the same pages visited a second time must not
add a single item."""

import shutil

import numpy as np
import pytest

from tests.gui.test_assistant import model_path, night_missing_spo2, wait_done  # noqa: F401 — fixtures

pytestmark = pytest.mark.assistant


def _item_counts(w) -> dict[str, int]:
    plots = {
        "traces": w.viewer.signal_view.plot,
        "overview": w.viewer.overview,
        "hypnogram": w.scoring.hypnogram,
        "hypnodensity": w.assistant.density,
    }
    return {name: len(p.scene().items()) for name, p in plots.items()}


def _flips(w, qtbot, n: int) -> None:
    v = w.viewer
    for _ in range(n):
        if v.start_s + v.effective_window() >= v.study.duration_s - 1e-6:
            v.go_to(0)
        else:
            v.next_page()
        qtbot.wait(0)  # let the page's deferred work (prefetch, panel refresh) run


def test_fifty_flips_add_no_items(window, model_path, night_missing_spo2, tmp_path, qtbot):  # noqa: F811
    w = window
    study = tmp_path / "study.edf"
    shutil.copy(night_missing_spo2, study)
    w.assistant.ctl.model_path = model_path
    assert w.open_path(str(study))
    wait_done(qtbot, w)
    w.request_reconstruction(8)  # SPO2, missing: a ghost row with its band
    wait_done(qtbot, w)
    doc = w.scoring.ctl.doc
    assert any(r.sig < 0 for r in w.viewer.visible_rows()), "no reconstructed row on screen"
    assert np.isfinite(doc.suggestion_confidence()).any(), "no stage suggestion on screen"

    w.viewer.go_to(0)
    _flips(w, qtbot, 50)  # 50 pages once: pools reach the most any of them needs
    before = _item_counts(w)
    w.viewer.go_to(0)
    _flips(w, qtbot, 50)  # the same 50 pages again
    after = _item_counts(w)
    assert after == before

    # and a whole-night view and back (every suggestion in view at once) adds nothing
    # the second time either
    w.viewer.set_window(float("inf"))
    w.viewer.set_window(30.0)
    once = _item_counts(w)
    w.viewer.set_window(float("inf"))
    w.viewer.set_window(30.0)
    assert _item_counts(w) == once
