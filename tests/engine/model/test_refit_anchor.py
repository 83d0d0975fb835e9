"""The quick re-fit keeps the model's confident suggestions as anchors, weighted by how
often the scorer agreed with the model on the reviewed epochs."""

import numpy as np

from engine.model.probes import fit_stage_probe, refit_stage_probe, stage_features


def _night(seed=0, n=400, dim=8):
    rng = np.random.default_rng(seed)
    centers = rng.standard_normal((5, dim)) * 3
    y = np.repeat(np.arange(5), n // 5)  # runs of one stage, as in a night
    emb = (centers[y] + rng.standard_normal((n, dim))).astype(np.float32)
    return emb, y


def _base(emb, y):
    f = stage_features(emb, True)
    return fit_stage_probe(f, y, f, y, context=True)


def test_a_confirmed_model_stays_where_it_is_sure():
    emb, y = _night()
    base = _base(emb, y)
    before = base.predict_proba(emb).argmax(1)
    labels = np.full(len(y), -1)
    rev = np.arange(5, 400, 20)
    labels[rev] = before[rev]  # the scorer agrees with every reviewed suggestion
    after = refit_stage_probe(emb, labels, base).predict_proba(emb).argmax(1)
    assert (after == before).mean() > 0.99


def test_a_model_the_scorer_keeps_correcting_is_not_anchored():
    emb, y = _night(1)
    base = _base(emb, y)
    before = base.predict_proba(emb).argmax(1)
    labels = np.full(len(y), -1)
    rev = np.arange(5, 400, 20)
    labels[rev] = (before[rev] + 1) % 5  # every reviewed suggestion corrected
    anchored = refit_stage_probe(emb, labels, base).predict_proba(emb)
    plain = refit_stage_probe(emb, labels, base, anchor=False).predict_proba(emb)
    np.testing.assert_allclose(anchored, plain, atol=2e-3)  # zero anchor weight (float summation aside)
    p0 = base.predict_proba(emb)
    want = (before[rev] + 1) % 5
    assert anchored[rev, want].mean() > p0[rev, want].mean() + 0.2  # it moved towards the corrections
