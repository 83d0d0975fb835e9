"""Inter-scorer agreement between two scorings of the same night: Cohen's kappa,
per-stage agreement and the confusion matrix, on the epochs scored (W/N1/N2/N3/R) in
both. Unscored epochs in either scoring are left out, never counted as wake."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.scoring.document import Scoring
from engine.scoring.labels import STAGE_NAMES

__all__ = ["StageAgreement", "Agreement", "cohen_kappa", "compare_stages", "compare_scorings"]


@dataclass(frozen=True)
class StageAgreement:
    stage: str
    n_a: int  # epochs A scored as this stage (among compared epochs)
    n_b: int
    n_both: int  # epochs both scored as this stage
    agreement_pct: float | None  # n_both / n_a: of A's epochs, how many B agrees on
    f1: float | None  # 2 n_both / (n_a + n_b), symmetric
    kappa: float | None  # one stage vs the rest


@dataclass(frozen=True)
class Agreement:
    n_epochs: int  # epochs compared (scored in both)
    n_only_a: int  # scored in A only
    n_only_b: int
    labels: tuple[str, ...]  # W N1 N2 N3 R
    confusion: np.ndarray  # [5, 5] int, rows = A, columns = B
    accuracy_pct: float | None
    kappa: float | None
    per_stage: dict[str, StageAgreement]

    def confusion_table(self) -> str:
        """Plain-text confusion matrix (rows A, columns B)."""
        w = 6
        head = "A\\B".ljust(w) + "".join(s.rjust(w) for s in self.labels)
        lines = [head]
        for i, s in enumerate(self.labels):
            lines.append(s.ljust(w) + "".join(str(int(v)).rjust(w) for v in self.confusion[i]))
        return "\n".join(lines)


def cohen_kappa(confusion: np.ndarray) -> float | None:
    """Cohen's kappa from a square confusion matrix; None when there is nothing to
    compare; 1.0 when both agree on everything even if only one class is present."""
    c = np.asarray(confusion, dtype=np.float64)
    n = c.sum()
    if n <= 0:
        return None
    po = np.trace(c) / n
    pe = float((c.sum(axis=0) * c.sum(axis=1)).sum()) / (n * n)
    if pe >= 1.0:
        return 1.0 if po >= 1.0 else 0.0
    return float((po - pe) / (1.0 - pe))


def compare_stages(a: np.ndarray, b: np.ndarray) -> Agreement:
    """Compare two stage arrays (int codes, -1 unscored) epoch by epoch; the shorter one
    decides the length compared."""
    a = np.asarray(a, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    m = min(a.size, b.size)
    a, b = a[:m], b[:m]
    k = len(STAGE_NAMES)
    sa = (a >= 0) & (a < k)
    sb = (b >= 0) & (b < k)
    both = sa & sb
    conf = np.zeros((k, k), dtype=np.int64)
    np.add.at(conf, (a[both], b[both]), 1)
    n = int(both.sum())
    per = {}
    for i, name in enumerate(STAGE_NAMES):
        n_a = int(conf[i].sum())
        n_b = int(conf[:, i].sum())
        n_both = int(conf[i, i])
        two = np.array([[n_both, n_a - n_both], [n_b - n_both, n - n_a - n_b + n_both]])
        per[name] = StageAgreement(
            name,
            n_a,
            n_b,
            n_both,
            100.0 * n_both / n_a if n_a else None,
            2.0 * n_both / (n_a + n_b) if (n_a + n_b) else None,
            cohen_kappa(two) if n else None,
        )
    return Agreement(
        n_epochs=n,
        n_only_a=int((sa & ~sb).sum()),
        n_only_b=int((sb & ~sa).sum()),
        labels=STAGE_NAMES,
        confusion=conf,
        accuracy_pct=100.0 * np.trace(conf) / n if n else None,
        kappa=cohen_kappa(conf),
        per_stage=per,
    )


def compare_scorings(a: Scoring, b: Scoring) -> Agreement:
    """Agreement of the decided stages of two scorings (only epochs scored in both)."""
    if abs(a.epoch_s - b.epoch_s) > 1e-9:
        raise ValueError("the two scorings use different epoch lengths")
    return compare_stages(a.stages(), b.stages())
