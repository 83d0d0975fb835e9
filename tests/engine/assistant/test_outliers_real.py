"""A real study must not have every epoch flagged (issue #10)."""

import numpy as np
import pytest

from engine.assistant.outliers import rank01, study_outlier


def test_rank01_handles_ties_and_nan():
    r = rank01(np.array([3.0, 1.0, np.nan, 1.0, 5.0]))
    assert np.isnan(r[2])
    np.testing.assert_allclose(r[[1, 3]], [1 / 6, 1 / 6])
    assert r[4] == 1.0


def test_an_unlike_study_is_ranked_within_itself():
    rng = np.random.default_rng(0)
    n = 400
    ref_pct = np.full(n, 0.999)  # every epoch beyond the generated reference set
    knn, rec = rng.gamma(2, 1, n), rng.gamma(2, 1, n)
    knn[7] = rec[7] = 100.0  # one truly odd epoch
    o = study_outlier(ref_pct, knn, rec, unlike=True)
    assert o[7] == 1.0
    assert (o >= 0.95).mean() <= 0.06  # about the top 5 %, not every epoch
    # a study like the training nights keeps the reference-set percentile
    np.testing.assert_allclose(study_outlier(ref_pct, knn, rec, unlike=False), ref_pct)


@pytest.mark.slow  # runs the MAE over a real 30-min excerpt (seconds alone, a minute on a busy box)
def test_real_dreams_outliers_are_ranked(shared_data):
    """On a real excerpt the starter model puts (nearly) every epoch in its reference set's
    top percent; ranked within the study, a handful remain flagged."""
    from engine.channels.mapping import map_study
    from engine.channels.model_input import load_model_input
    from engine.inference.requirements import unlike_training
    from engine.inference.runner import ModelRunner
    from engine.io import open_study

    study = open_study(shared_data / "dreams-dev" / "excerpt1.edf")
    x, present = load_model_input(study, map_study(study))
    runner = ModelRunner.load()
    res = runner.score(runner.prepare(x, present, "excerpt1"), outliers=True)
    assert unlike_training(res.outlier_score, len(res.outlier_score))
    o = study_outlier(res.outlier_score, res.knn_distance, res.recon_error, unlike=True)
    assert (res.outlier_score >= 0.95).mean() > 0.5
    assert (o >= 0.95).sum() <= 4
