"""The assistant on a real recording (issue #10): YASA's stages as suggestions with their
source, the per-study re-fit in the worker thread (never the GUI thread), outliers ranked
within the study and a status bar note that the study is unlike the model's nights."""

import threading

import numpy as np
import pytest
from PySide6.QtCore import Qt

pytestmark = pytest.mark.assistant


def _wait_done(qtbot, w, timeout=180_000):
    qtbot.waitUntil(lambda: not w.assistant.ctl.is_running() and w.assistant.ctl.worker is None,
                    timeout=timeout)
    assert w.assistant.ctl.last_error is None, w.assistant.ctl.last_error


def test_real_single_eeg_study_gets_yasa_stages_and_refits_off_the_gui_thread(window, shared_data, qtbot,
                                                                            monkeypatch):
    import engine.assistant.real_refit as rr

    threads = []
    real = rr.refit_study

    def spy(*a, **k):
        threads.append(threading.get_ident())
        return real(*a, **k)

    monkeypatch.setattr(rr, "refit_study", spy)
    from engine.staging import yasa_process

    monkeypatch.setattr(yasa_process, "last_child_peak_mb", None)
    w = window
    w.assistant.ctl.stage_in_child = True  # the app's default: YASA in its own process
    assert w.open_path(str(shared_data / "dreams-dev" / "excerpt1.edf")), w.last_error
    _wait_done(qtbot, w)
    assert yasa_process.last_child_peak_mb is not None  # it did run in the child
    ctl, doc = w.assistant.ctl, w.scoring.ctl.doc
    assert ctl.stage_source == "yasa" and ctl.staging is not None
    assert np.isfinite(doc.suggestion_confidence()).sum() == doc.n_epochs == 60
    assert set(doc.suggestion_sources()) == {"yasa"}
    assert "stages: yasa (EEG C3-A1)" in w.assistant.panel.status.text()
    # the starter model finds every real epoch unusual; ranked within the study, few are
    assert ctl.unlike and (np.nan_to_num(ctl.outlier) >= 0.99).sum() <= 2
    assert "unlike the nights the model was trained on" in w.statusBar().currentMessage()
    # the scorer reviews 5 epochs, disagreeing with every suggestion: a re-fit runs in the worker
    sugg = doc.suggested_stages()
    for e in range(5):
        w.viewer.go_to_epoch(e)
        key = Qt.Key.Key_2 if sugg[e] != 2 else Qt.Key.Key_3
        qtbot.keyClick(w, key)
    qtbot.waitUntil(lambda: ctl.last_refit is not None, timeout=60_000)
    _wait_done(qtbot, w)
    assert threads and threading.main_thread().ident not in threads
    src = doc.suggestion_sources()
    assert set(src[5:]) == {"per-study re-fit"}



def test_rules_are_run_again_once_yasa_has_staged(window, shared_data, qtbot):
    """Arousals need stages: with YASA as the stage source, the AASM rules run again once
    its stages are suggested."""
    w = window
    calls = []
    real = w.assistant.ctl.rerun_rules
    w.assistant.ctl.rerun_rules = lambda *a, **k: (calls.append(1), real(*a, **k))[1]
    assert w.open_path(str(shared_data / "dreams-dev" / "excerpt1.edf")), w.last_error
    _wait_done(qtbot, w)
    assert w.assistant.ctl.staging is not None and calls


def test_stages_and_the_rules_come_before_the_models_pass(window, shared_data, qtbot):
    """Issue 16: YASA stages first, the rules run again with its stages, then the model's
    pass: stage suggestions do not wait for the model, and the app does not hold torch and
    the model's night while the stager's channels are read or the rules run."""
    w = window
    ctl = w.assistant.ctl
    kinds = []
    real_next = ctl._next

    def spy_next():
        real_next()
        if ctl.worker is not None:
            kinds.append(ctl.worker.kind)

    ctl._next = spy_next
    assert w.open_path(str(shared_data / "dreams-dev" / "excerpt1.edf")), w.last_error
    _wait_done(qtbot, w)
    assert kinds[:4] == ["rules", "staging", "rules", "inference"], kinds
    assert set(w.scoring.ctl.doc.suggestion_sources()) == {"yasa"}


def test_a_model_fitted_on_real_scorings_is_pooled_with_yasa_after_its_pass(window, shared_data, qtbot,
                                                                           monkeypatch):
    """With the stager first, a lab model fitted on real scorings still speaks: once its
    pass is over, YASA's stages and the model's are pooled (source yasa+pedsleepmae)."""
    import engine.api as eng

    monkeypatch.setattr(eng, "model_fitted_on",
                        lambda runner: {"kind": "real", "n_studies": 40, "validation_kappa": 0.6})
    w = window
    assert w.open_path(str(shared_data / "dreams-dev" / "excerpt1.edf")), w.last_error
    _wait_done(qtbot, w)
    ctl, doc = w.assistant.ctl, w.scoring.ctl.doc
    assert ctl.stage_source == "yasa+pedsleepmae" and ctl.staging is not None
    assert set(doc.suggestion_sources()) == {"yasa+pedsleepmae"}
    want = eng.combine_sources(ctl.staging.proba, ctl.mae_proba, 0.6)
    np.testing.assert_allclose(ctl.stage_prior, want, rtol=1e-6)
