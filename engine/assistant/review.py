"""Which epochs a review helps most, and how the scorer and the model agree so far."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.scoring.compare import compare_stages
from engine.scoring.labels import Provenance

# weights of the review priority (documented in the README's assistant section)
W_UNCERTAINTY = 1.0
W_OUTLIER = 1.0
W_DISAGREEMENT = 1.5
FLAG_THRESHOLD = 0.45  # priority above which an unreviewed epoch is flagged
# outlier scores are percentiles against the model's reference set (uniform on ordinary
# nights): only the far tail counts, rising from 0 at this percentile to 1 at the top
OUTLIER_TAIL = 0.95


def reviewed_mask(doc) -> np.ndarray:
    """bool [n_epochs]: the scorer has decided this epoch — accepted or rejected its
    suggestion, or scored it by hand."""
    states = doc.suggestion_states()
    prov = doc.stage_provenance()
    decided = np.array([s in (Provenance.MODEL_ACCEPTED, Provenance.MODEL_REJECTED) for s in states],
                       dtype=bool)
    # a stage the scorer set (clearing one is not a review); bool dtype also when a study
    # has 0 epochs (an annotation-only EDF+), where np.array([]) would be float
    human = np.array([p == Provenance.HUMAN for p in prov], dtype=bool) & (np.asarray(doc.stages()) >= 0)
    return decided | human


def review_priority(doc, outlier: np.ndarray | None = None) -> np.ndarray:
    """float [n_epochs]: how much a review of each epoch helps, higher first.

    uncertainty (1 - the suggestion's confidence) + how far the outlier score (0..1, the
    embedding k-NN distance / reconstruction error percentile) lies in its top 5 % tail +
    disagreement (the decided stage differs
    from the suggestion). Epochs without a suggestion score 0; reviewed epochs keep their
    score so the queue can show them greyed.
    """
    n = doc.n_epochs
    conf = np.asarray(doc.suggestion_confidence(), float)
    has = np.isfinite(conf)
    pr = np.zeros(n)
    pr[has] += W_UNCERTAINTY * (1.0 - conf[has])
    if outlier is not None:
        o = np.nan_to_num(np.asarray(outlier, float)[:n], nan=0.0)
        pr[: len(o)] += W_OUTLIER * np.clip((o - OUTLIER_TAIL) / (1 - OUTLIER_TAIL), 0, 1)
    sugg = np.asarray(doc.suggested_stages())
    st = np.asarray(doc.stages())
    disagree = has & (st >= 0) & (sugg >= 0) & (st != sugg)
    pr[disagree] += W_DISAGREEMENT
    pr[~has] = 0.0
    return pr


@dataclass(frozen=True)
class ReviewState:
    order: np.ndarray  # epochs to review, most useful first (unreviewed, flagged)
    priority: np.ndarray  # [n_epochs]
    n_reviewed: int
    n_flagged_remaining: int

    def next_after(self, epoch: int, forward: bool = True) -> int | None:
        """Next flagged epoch in time order after (before) ``epoch``."""
        flagged = np.sort(self.order)
        if forward:
            later = flagged[flagged > epoch]
            return int(later[0]) if len(later) else None
        earlier = flagged[flagged < epoch]
        return int(earlier[-1]) if len(earlier) else None

    @classmethod
    def compute(cls, doc, outlier=None, threshold: float = FLAG_THRESHOLD) -> ReviewState:
        pr = review_priority(doc, outlier)
        rev = reviewed_mask(doc)
        cand = np.flatnonzero((pr >= threshold) & ~rev)
        order = cand[np.argsort(-pr[cand], kind="stable")]
        return cls(order, pr, int(rev.sum()), len(order))


def live_agreement(doc):
    """Scorer vs model on reviewed epochs: engine.scoring.compare.Agreement (κ, confusion)
    between the decided stages and the model's suggested stages, or None."""
    rev = reviewed_mask(doc)
    sugg = np.asarray(doc.suggested_stages())
    st = np.asarray(doc.stages())
    sel = rev & (sugg >= 0) & (st >= 0)
    if not sel.any():
        return None
    return compare_stages(st[sel], sugg[sel])
