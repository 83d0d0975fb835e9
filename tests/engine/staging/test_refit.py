"""The per-study re-fit anchored on the real-data prior (no YASA run: fast)."""

import numpy as np

from engine.staging.refit import RefitConfig, refit_study
from engine.staging.temporal import load_transitions, smooth

WITH_FEATURES = RefitConfig(use_features=True)


def _night(n=120, seed=0):
    rng = np.random.default_rng(seed)
    truth = np.repeat(rng.integers(0, 5, n // 10), 10)
    # a prior that confuses N2 (2) with N3 (3) where a study feature says N3
    prior = np.full((n, 5), 0.05)
    prior[np.arange(n), truth] = 0.8
    n3 = truth == 3
    prior[n3] = 0.05
    prior[n3, 2] = 0.6
    prior[n3, 3] = 0.2
    prior /= prior.sum(1, keepdims=True)
    feats = rng.normal(size=(n, 6))
    feats[:, 0] += 4.0 * n3  # "delta power"
    return prior, feats, truth


def test_without_reviews_the_refit_is_the_prior():
    prior, feats, _ = _night()
    res = refit_study(prior, np.full(len(prior), -1), feats, self_train=False)
    np.testing.assert_allclose(res.proba, prior, atol=1e-5)
    assert res.n_reviewed == 0


def test_corrections_move_the_boundary_where_the_study_features_put_it():
    prior, feats, truth = _night()
    labels = np.full(len(truth), -1)
    n3 = np.flatnonzero(truth == 3)
    labels[n3[:3]] = 3  # the scorer corrects three N3 epochs
    other = np.flatnonzero(truth == 2)[:3]
    labels[other] = 2
    res = refit_study(prior, labels, feats, self_train=False, config=WITH_FEATURES)
    rest = np.setdiff1d(n3, n3[:3])
    assert (res.proba[rest].argmax(1) == 3).mean() > 0.8
    assert (prior[rest].argmax(1) == 3).mean() == 0.0
    # classes the scorer never showed keep their prior evidence
    w = truth == 0
    assert (res.proba[w].argmax(1) == 0).all()
    assert "features" in res.parts


def test_self_training_uses_confident_epochs_only():
    prior, feats, _ = _night()
    res = refit_study(prior, np.full(len(prior), -1), feats, self_train=True, config=WITH_FEATURES)
    assert res.n_pseudo == int((prior.max(1) >= 0.8).sum())


def test_nan_rows_stay_nan():
    prior, feats, _ = _night()
    prior[5] = np.nan
    res = refit_study(prior, np.full(len(prior), -1), feats)
    assert np.isnan(res.proba[5]).all() and np.isfinite(np.delete(res.proba, 5, 0)).all()


def test_temporal_smoothing_clamps_reviews_and_uses_real_transitions():
    trans, freq = load_transitions()
    assert trans.shape == (5, 5) and np.allclose(trans.sum(1), 1) and (np.diag(trans) > 0.7).all()
    p = np.full((5, 5), 0.2)
    out = smooth(p, np.array([-1, -1, 2, -1, -1]))
    assert out[2].argmax() == 2 and out[2, 2] > 0.99
    assert out[1].argmax() == 2 and out[3].argmax() == 2  # a review informs its neighbours


def test_default_reads_the_prior_only_and_still_learns_a_study_bias():
    prior, feats, truth = _night()
    labels = np.full(len(truth), -1)
    n3 = np.flatnonzero(truth == 3)
    labels[n3[:4]] = 3
    res = refit_study(prior, labels, feats)
    assert res.parts == ("prior",) and res.n_pseudo == 0
    # the per-study bias moves N2-looking N3 epochs over (prior said N2 at 0.6, N3 at 0.2)
    assert res.proba[n3[4:], 3].mean() > prior[n3[4:], 3].mean()
