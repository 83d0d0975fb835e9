"""Assistant benchmarks (run with `make bench`; they print, they do not assert on time):

1. GUI page-flip frame time while the model worker runs vs without (target <= 1.5x).
2. How much stage agreement with the truth rises on generated nights after the scorer
   reviews 20 epochs and the stage probe is re-fitted (issue 6, point 5).
"""

import os
import time

import numpy as np
import pytest
from PySide6.QtWidgets import QApplication

from engine.inference import default_model_path

pytestmark = pytest.mark.bench

needs_model = pytest.mark.skipif(not default_model_path().is_file(),
                                 reason="no starter model in resources/model yet")


def _frames(w, n):
    out = []
    for _ in range(n):
        QApplication.processEvents()
        t = time.perf_counter()
        w.viewer.next_page()
        w.viewer.signal_view.plot.viewport().repaint()
        out.append((time.perf_counter() - t) * 1000)
    return np.array(out)


@needs_model
def test_frame_time_with_worker(qtbot, tmp_path):
    from engine.channels.profiles import ProfileStore
    from engine.synth import NightParams, generate_night, write_night
    from gui.app import configure_pyqtgraph
    from gui.main_window import MainWindow

    p = tmp_path / "night.edf"
    write_night(generate_night(NightParams(hours=8.0, age_years=8.0, ahi=6.0, seed=5)), p)
    configure_pyqtgraph()
    w = MainWindow(profiles=ProfileStore(tmp_path / "p"))
    qtbot.addWidget(w)
    w.resize(1600, 900)
    w.show()
    w.assistant.set_enabled(False)
    w.open_path(str(p))
    base = _frames(w, 150)
    w.viewer.go_to(0)
    w.assistant.set_enabled(True)
    t0 = time.perf_counter()
    qtbot.waitUntil(lambda: w.assistant.ctl.session is not None, timeout=120_000)
    busy = _frames(w, 150)
    running = w.assistant.ctl.is_running()
    qtbot.waitUntil(lambda: w.assistant.ctl.worker is None, timeout=600_000)
    total = time.perf_counter() - t0
    print()
    print(f"8-h generated night, 1600x900, {os.cpu_count()} cores")
    print(f"page flip without worker: median {np.median(base):.1f} ms, p95 {np.percentile(base, 95):.1f} ms")
    print(f"page flip with worker:    median {np.median(busy):.1f} ms, p95 {np.percentile(busy, 95):.1f} ms"
          f"  (worker still running at the end: {running})")
    print(f"ratio of medians: {np.median(busy) / np.median(base):.2f}x  (target <= 1.5x)")
    print(f"whole night suggested in {total:.1f} s after it was opened")
    w.close()


# a home-study montage: one EEG derivation, one EOG, chin EMG, flow, effort, SpO2
REDUCED = ("EEG O1-M2", "EEG O2-M1", "EEG CZ-O1", "EEG C4-M1", "EEG F4-M1", "EEG F3-M2",
           "EOG ROC-M1", "CAPNO", "SNORE")
# no EEG at all (EOG, chin, SpO2, belts, flow): outside what the probes were fitted on,
# so the starter model starts poor and the re-fit has much to learn
NO_EEG = ("EEG C3-M2", "EEG O1-M2", "EEG O2-M1", "EEG CZ-O1", "EEG C4-M1", "EEG F4-M1", "EEG F3-M2",
          "CAPNO", "SNORE")
MISSING = {"full": (), "reduced": REDUCED, "no-eeg": NO_EEG}


@needs_model
@pytest.mark.parametrize("montage", ["full", "reduced", "no-eeg"])
def test_agreement_gain_after_20_reviews(montage):
    """The scorer reviews the 20 epochs the queue ranks first (scoring the truth); the
    probe is re-fitted when at least one of them corrects the model (as in the GUI); we
    compare agreement with the truth on the epochs not reviewed."""
    from engine.assistant import (
        ReviewState,
        apply_batch,
        n_corrections,
        refit_from_reviews,
        reviewed_mask,
        training_labels,
    )
    from engine.channels.canonical import CANONICAL_NAMES
    from engine.channels.mapping import LabelInfo, map_labels
    from engine.inference import ModelRunner
    from engine.scoring import Provenance, Scoring, Stage
    from engine.scoring.compare import compare_stages
    from engine.synth import NightParams, generate_night
    from engine.training.data import night_from_synth

    runner = ModelRunner.load(None, device="cpu")
    chmap = map_labels([LabelInfo(n) for n in CANONICAL_NAMES])
    missing = MISSING[montage]
    rows = []
    for seed in range(900, 906):
        night = generate_night(NightParams(hours=6.0, age_years=2.0 + 3 * (seed - 900), ahi=8.0, seed=seed,
                                           missing_channels=missing))
        sn = night_from_synth(night, f"s{seed}")
        truth = np.array(night.stage_codes()[: sn.night.n_epochs])
        s = runner._session(sn.night, sn.name)
        doc = Scoring(sn.night.n_epochs)
        for b in runner.run(s, reconstruct=False, max_batch_s=1.0):
            apply_batch(doc, b, chmap)
        before = doc.suggested_stages().copy()
        order = ReviewState.compute(doc, None, threshold=-1.0).order[:20]
        for e in order:
            doc.set_stage(int(e), Stage(int(truth[e])), provenance=Provenance.HUMAN)
        rev = reviewed_mask(doc)
        corrected = n_corrections(doc)
        after = before
        if corrected:
            res = refit_from_reviews(runner, s.emb.copy(), training_labels(doc), before, rev)
            after = np.nanargmax(np.nan_to_num(res.proba, nan=-1), axis=1)
            runner.reset_stage_probe()
        un = ~rev
        a0, a1 = compare_stages(truth[un], before[un]), compare_stages(truth[un], after[un])
        rows.append((seed, corrected, a0.accuracy_pct, a1.accuracy_pct, a0.kappa, a1.kappa))
    print()
    print(f"{montage} montage{' (missing ' + ', '.join(missing) + ')' if missing else ''}: agreement "
          "with the truth on unreviewed epochs, before -> after the re-fit on 20 reviewed epochs")
    for seed, corr, acc0, acc1, k0, k1 in rows:
        print(f"  night {seed}: {corr:2d} of 20 reviews corrected the model; accuracy {acc0:5.1f} % -> "
              f"{acc1:5.1f} %, kappa {k0:.3f} -> {k1:.3f}")
    m = np.mean(np.array([r[2:] for r in rows], float), axis=0)
    print(f"  mean: accuracy {m[0]:.1f} % -> {m[1]:.1f} %, kappa {m[2]:.3f} -> {m[3]:.3f}")
