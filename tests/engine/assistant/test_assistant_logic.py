"""The assistant's document logic with hand-made model output (no model needed)."""

import numpy as np
import pytest

from engine.assistant import (
    ReviewState,
    apply_batch,
    apply_refit,
    event_channels,
    live_agreement,
    refit_from_reviews,
    review_priority,
    reviewed_mask,
    training_labels,
)
from engine.channels.mapping import LabelInfo, map_labels
from engine.inference.results import EpochBatch, SuggestedEvent
from engine.scoring import Provenance, Scoring, Stage


def onehot(stages, conf=0.9):
    p = np.full((len(stages), 5), (1 - conf) / 4, np.float32)
    p[np.arange(len(stages)), stages] = conf
    return p


def batch(epochs, stages, conf=0.9, events=()):
    n = len(epochs)
    return EpochBatch(None, np.asarray(epochs), onehot(stages, conf), np.zeros((n, 4), np.float32),
                      np.zeros(n, np.float32), np.zeros(n, np.float32), np.zeros(n, np.float32),
                      tuple(events), (), n, n)


@pytest.fixture
def chmap():
    return map_labels([LabelInfo(lb) for lb in ("C3-M2", "Flow", "SpO2")])


def test_apply_batch_sets_pending_suggestions_and_events(chmap):
    doc = Scoring(10)
    ev = SuggestedEvent("Obstructive apnea", 40.0, 12.0, 0.8)
    apply_batch(doc, batch([2, 3, 4], [2, 2, 3], events=[ev]), chmap, first=True)
    assert list(doc.suggested_stages()[2:5]) == [2, 2, 3]
    assert doc.pending_suggestion_mask()[2:5].all() and not doc.pending_suggestion_mask()[0]
    assert (doc.stages() == Stage.UNSCORED).all()  # suggestions never decide
    (e,) = doc.events()
    assert e.provenance == Provenance.MODEL and e.channels == ("Flow",) and e.confidence == 0.8
    # a re-run replaces pending event suggestions instead of piling them up
    apply_batch(doc, batch([2], [2], events=[ev]), chmap, first=True)
    assert len(doc.events()) == 1


def test_event_channels(chmap):
    assert event_channels("Oxygen desaturation", chmap) == ("SpO2",)
    assert event_channels("Arousal", chmap) == ("C3-M2",)
    assert event_channels("Movement time", chmap) == ()


def test_review_priority_ranks_uncertain_outlier_and_disagreement():
    doc = Scoring(6)
    doc.set_suggestions(0, onehot([2, 2, 2, 2, 2, 2], 0.9))
    doc.set_suggestions(1, onehot([2], 0.4))  # uncertain
    doc.set_stage(3, Stage.R)  # the scorer disagrees with N2
    outlier = np.array([0, 0, 0.99, 0, 0, 0])
    pr = review_priority(doc, outlier)
    assert pr[1] > pr[0] and pr[2] > pr[0] and pr[3] == pr.max()
    st = ReviewState.compute(doc, outlier)
    assert list(st.order) == [2, 1] or list(st.order) == [1, 2]  # 3 is reviewed already
    assert st.n_reviewed == 1
    assert st.next_after(0) in (1, 2) and st.next_after(2) is None
    assert st.next_after(5, forward=False) == 2


def test_reviewed_and_live_agreement():
    doc = Scoring(5)
    doc.set_suggestions(0, onehot([0, 2, 2, 3, 4]))
    doc.accept_suggestion(0)
    doc.reject_suggestion(1)
    doc.set_stage(1, Stage.N1)
    doc.set_stage(2, Stage.N2)
    assert list(reviewed_mask(doc)) == [True, True, True, False, False]
    agr = live_agreement(doc)
    assert agr.n_epochs == 3 and agr.confusion.sum() == 3
    assert agr.accuracy_pct == pytest.approx(200 / 3)
    assert list(training_labels(doc)) == [0, 1, 2, -1, -1]


class FakeRunner:
    """Nearest-centroid 'probe' so the learning logic is tested without a model."""

    def __init__(self):
        self.centroids = None

    def refit_stage_probe(self, emb, labels):
        self.centroids = {k: emb[labels == k].mean(0) for k in np.unique(labels[labels >= 0])}

    def predict_stages(self, emb):
        p = np.full((len(emb), 5), 0.01, np.float32)
        for i, e in enumerate(emb):
            if not np.isfinite(e).all():
                p[i] = np.nan
                continue
            k = min(self.centroids, key=lambda c: np.linalg.norm(e - self.centroids[c]))
            p[i, k] = 0.96
        return p


def test_refit_changes_only_unreviewed_suggestions():
    rng = np.random.default_rng(0)
    truth = np.array([2] * 10 + [4] * 10)
    emb = np.where(truth[:, None] == 2, 0.0, 3.0) + rng.normal(0, 0.2, (20, 8))
    doc = Scoring(20)
    doc.set_suggestions(0, onehot([2] * 20, 0.6))  # the model says N2 everywhere
    for e in (0, 1, 10, 11):  # the scorer corrects a few
        doc.set_stage(e, Stage(int(truth[e])))
    rev = reviewed_mask(doc)
    res = refit_from_reviews(FakeRunner(), emb, training_labels(doc), doc.suggested_stages(), rev)
    assert res.n_reviewed == 4
    assert set(res.changed) == set(range(12, 20))  # the unreviewed REM epochs flip to R
    assert (res.after == 4).all()
    n = apply_refit(doc, res, rev)
    assert n == 16
    assert list(doc.suggested_stages()[12:]) == [4] * 8
    assert doc.stages()[10] == Stage.R and doc.stage_provenance()[10] == Provenance.HUMAN


def test_clearing_a_stage_is_not_a_review():
    doc = Scoring(4)
    doc.set_stages(0, [2, 2, 2, 2], provenance=Provenance.IMPORTED)
    doc.clear_stages()
    doc.set_stage(1, Stage.R)
    assert list(reviewed_mask(doc)) == [False, True, False, False]


def test_corrections_count_disagreements_and_rejections():
    from engine.assistant import n_corrections

    doc = Scoring(5)
    doc.set_suggestions(0, onehot([2, 2, 2, 2, 2]))
    doc.accept_suggestion(0)
    assert n_corrections(doc) == 0  # agreed
    doc.set_stage(1, Stage.R)
    doc.reject_suggestion(2)
    assert n_corrections(doc) == 2
