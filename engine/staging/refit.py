"""Learning from the scorer on a real study: a per-study model anchored on the real-data
prior.

For epoch ``i`` with prior probabilities ``p_i`` (YASA's) and the study's own features
``z_i`` (YASA's per-epoch spectral/temporal features of this study's EEG/EOG/EMG and
the MAE embedding, each optional — see RefitConfig; each robust-z-scored within the study and reduced by PCA to
a few unit-variance components):

    log q_i(y) = a * log p_i(y) + w_y . z_i + b_y - log Z_i

``a``, ``W`` and ``b`` are fitted on the scorer's decisions (reviewed epochs) with an L2
penalty pulling ``a`` to 1 and ``W``, ``b`` to 0: with no reviews the re-fit *is* the prior;
each correction moves the boundary between stages where this study's own features put it.
A class the scorer has not shown yet keeps its prior evidence (no class is ever dropped).
Self-training adds the prior's confident epochs (confidence >= ``self_train_conf``) as
down-weighted pseudo-labels. Re-suggests every epoch; the caller keeps reviewed epochs'
decisions. Plain numpy + scipy; well under a second for a whole night.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

N_CLASSES = 5
EPS = 1e-4


@dataclass(frozen=True)
class RefitConfig:
    # which inputs the re-fit reads: measured one by one on the DREAMS dev excerpts
    # (docs/benchmarks.md, "Stages on real recordings"): the study's own YASA features, the
    # MAE embedding and temporal smoothing did not help there and are off by default;
    # self-training was a tie and is off too (its confidence was less honest)
    use_features: bool = False
    use_embedding: bool = False
    self_train: bool = False
    feature_dims: int = 8  # PCA components of the study's own features
    embedding_dims: int = 8  # PCA components of the MAE embedding (when given)
    l2: float = 1.0  # penalty on W, b and (a - 1)
    review_weight: float = 1.0
    self_train_conf: float = 0.8  # pseudo-label the prior's epochs at least this confident
    self_train_weight: float = 0.2
    # temperature from leave-one-out predictions of the reviewed epochs (from 5 reviews on):
    # on the dev set it made "accept all >= 0.9" right 0.889 of the time after 10 reviews
    # (0.783 without; ECE 0.075 vs 0.106) for 0.02 accuracy (docs/benchmarks.md)
    calibrate: bool = True
    calibrate_max: int = 20  # at most this many left-out fits (evenly spread over the reviews)


@dataclass(frozen=True)
class StudyRefit:
    proba: np.ndarray  # [n_epochs, 5] re-suggested probabilities (NaN where the prior is)
    n_reviewed: int
    n_pseudo: int
    prior_scale: float  # fitted a
    parts: tuple[str, ...]  # which inputs were used: "prior", "features", "embedding", "temporal"
    temperature: float = 1.0  # applied to the re-fit's scores (1: none)


def _components(x: np.ndarray | None, k: int) -> np.ndarray | None:
    """Robust z-score per column within the study, PCA to ``k`` unit-variance components."""
    if x is None or k <= 0:
        return None
    x = np.asarray(x, np.float64)
    ok = np.isfinite(x).all(1)
    if ok.sum() < 3:
        return None
    med = np.median(x[ok], 0)
    iqr = np.subtract(*np.percentile(x[ok], [75, 25], 0))
    scale = np.where(iqr > 1e-9, iqr / 1.349, np.std(x[ok], 0) + 1e-9)
    z = np.clip((x - med) / scale, -6, 6)
    z = np.where(np.isfinite(z), z, 0.0)
    zc = z - z[ok].mean(0)
    _, s, vt = np.linalg.svd(zc[ok], full_matrices=False)
    k = int(min(k, vt.shape[0], max(1, ok.sum() - 1)))
    comp = zc @ vt[:k].T
    sd = comp[ok].std(0)
    comp = comp / np.where(sd > 1e-9, sd, 1.0)
    comp[~ok] = 0.0
    return comp


def _fit(logp: np.ndarray, z: np.ndarray, y: np.ndarray, w: np.ndarray, l2: float):
    from scipy.optimize import minimize  # lazy: keeps scipy off the start-up path
    n, d = z.shape

    def unpack(theta):
        return theta[0], theta[1:1 + N_CLASSES * d].reshape(N_CLASSES, d), theta[1 + N_CLASSES * d:]

    def loss(theta):
        a, W, b = unpack(theta)
        s = a * logp + z @ W.T + b  # [n, 5]
        s -= s.max(1, keepdims=True)
        lse = np.log(np.exp(s).sum(1))
        logq = s - lse[:, None]
        q = np.exp(logq)
        nll = -(w * logq[np.arange(n), y]).sum()
        g_s = q * w[:, None]
        g_s[np.arange(n), y] -= w
        ga = (g_s * logp).sum() + l2 * (a - 1.0)
        gW = g_s.T @ z + l2 * W
        gb = g_s.sum(0) + l2 * b
        val = nll + 0.5 * l2 * ((a - 1.0) ** 2 + (W ** 2).sum() + (b ** 2).sum())
        return val, np.concatenate([[ga], gW.ravel(), gb])

    theta0 = np.concatenate([[1.0], np.zeros(N_CLASSES * d + N_CLASSES)])
    res = minimize(loss, theta0, jac=True, method="L-BFGS-B", options={"maxiter": 500})
    return unpack(res.x)


def refit_study(prior: np.ndarray, labels: np.ndarray, features: np.ndarray | None = None,
                embedding: np.ndarray | None = None, *, self_train: bool | None = None,
                temporal: bool = False, config: RefitConfig = RefitConfig()) -> StudyRefit:
    """Re-fit on ``labels`` (int [n_epochs]: the scorer's stage 0..4 on reviewed epochs, -1
    elsewhere) and re-suggest every epoch. See the module doc. ``features`` / ``embedding``
    are read only when ``config`` says so; ``self_train`` None: ``config.self_train``."""
    self_train = config.self_train if self_train is None else self_train
    features = features if config.use_features else None
    embedding = embedding if config.use_embedding else None
    prior = np.asarray(prior, np.float64)
    n = len(prior)
    labels = np.asarray(labels, np.int64)[:n]
    have = np.isfinite(prior).all(1)
    logp = np.log(np.clip(np.where(have[:, None], prior, 1.0 / N_CLASSES), EPS, 1.0))
    logp -= np.log(np.exp(logp).sum(1, keepdims=True))
    parts = ["prior"]
    blocks = []
    fz = _components(features, config.feature_dims)
    if fz is not None:
        blocks.append(fz)
        parts.append("features")
    ez = _components(embedding, config.embedding_dims)
    if ez is not None:
        blocks.append(ez)
        parts.append("embedding")
    z = np.concatenate(blocks, 1) if blocks else np.zeros((n, 0))
    reviewed = (labels >= 0) & have
    y = np.where(reviewed, labels, 0)
    w = np.where(reviewed, config.review_weight, 0.0)
    n_pseudo = 0
    if self_train:
        conf = np.where(have[:, None], prior, 0).max(1)
        pseudo = have & ~reviewed & (conf >= config.self_train_conf)
        y = np.where(pseudo, prior.argmax(1) if n else y, y)
        w = np.where(pseudo, config.self_train_weight, w)
        n_pseudo = int(pseudo.sum())
    sel = w > 0
    a, temp = 1.0, 1.0
    if not sel.any():
        q = np.where(have[:, None], np.exp(logp), np.nan)
    else:
        a, W, b = _fit(logp[sel], z[sel], y[sel], w[sel], config.l2)
        s = a * logp + z @ W.T + b
        if config.calibrate and reviewed.sum() >= 5:
            temp = _loo_temperature(logp, z, y, w, reviewed, config)
        s = s / temp
        s -= s.max(1, keepdims=True)
        q = np.exp(s)
        q /= q.sum(1, keepdims=True)
        q[~have] = np.nan
    if temporal:
        from engine.staging.temporal import smooth

        q = smooth(q, np.where(reviewed, labels, -1))
        parts.append("temporal")
    return StudyRefit(np.asarray(q, np.float32), int(reviewed.sum()), n_pseudo, float(a), tuple(parts),
                      float(temp))


def _loo_temperature(logp, z, y, w, reviewed, config: RefitConfig) -> float:
    """Honest confidence from the scorer's own decisions: re-fit without each reviewed
    epoch in turn, predict it, and pick the temperature (0.5..5) that makes those held-out
    predictions most likely."""
    idx = np.flatnonzero(reviewed)
    if len(idx) > config.calibrate_max:
        idx = idx[np.linspace(0, len(idx) - 1, config.calibrate_max).round().astype(int)]
    scores, truth = [], []
    for i in idx:
        wi = w.copy()
        wi[i] = 0.0
        sel = wi > 0
        a, W, b = _fit(logp[sel], z[sel], y[sel], wi[sel], config.l2)
        scores.append(a * logp[i] + z[i] @ W.T + b)
        truth.append(y[i])
    sc = np.asarray(scores)
    tr = np.asarray(truth)

    def nll(t):
        v = sc / t
        v = v - v.max(1, keepdims=True)
        return float(-(v[np.arange(len(tr)), tr] - np.log(np.exp(v).sum(1))).sum())

    from scipy.optimize import minimize_scalar

    return float(minimize_scalar(nll, bounds=(0.5, 5.0), method="bounded").x)
