"""Linear probes on PedSleepMAE features, stored as plain arrays (numpy in, numpy out).

Stage probe: 5-class (W, N1, N2, N3, R) softmax regression on the epoch embedding
(optionally with the mean of the two neighbouring epochs' embeddings as context),
class-weighted, temperature-calibrated.

Event heads: one logistic regression per event type on a 1-s grid.  Input: the encoder's
time-step features (each 0.5-s token = 16 channels' patch features), mean-pooled to 1 s,
projected by PCA, then summarised at several time scales (moving means and moving standard
deviations over windows of seconds to minutes, so that a drop of airflow amplitude or of
SpO2 relative to the surrounding minutes is a linear function of the input).  Per-second
probabilities -> calibrated by a temperature per type -> thresholded -> segments with onset,
duration and confidence.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F

EVENT_TYPES = ("Obstructive apnea", "Central apnea", "Hypopnea", "Oxygen desaturation", "Arousal")
N_STAGES = 5
EVENT_STEP_S = 1.0
# moving-window summaries (seconds, centred): means and standard deviations
MEAN_WINDOWS_S = (5, 15, 61, 121)
STD_WINDOWS_S = (3, 9, 31)
# (window, shift) means looking ahead / back: a desaturation or an arousal follows the
# respiratory event that caused it by seconds
SHIFTED_MEANS_S = ((15, 15), (15, -15))
CONTEXT_S = 61  # half of the widest window, rounded up: context needed on each side
MIN_DURATION_S = {"Obstructive apnea": 3.0, "Central apnea": 3.0, "Hypopnea": 3.0,
                  "Oxygen desaturation": 3.0, "Arousal": 3.0}


# ---------------------------------------------------------------------------------------
# numerics
def _fit_linear(x: np.ndarray, y: np.ndarray, n_out: int, *, multilabel: bool,
                class_weight: np.ndarray | None = None, l2: float = 1e-3,
                init_w: np.ndarray | None = None, init_b: np.ndarray | None = None,
                prior_strength: float = 0.0, sample_weight: np.ndarray | None = None,
                iters: int = 200) -> tuple[np.ndarray, np.ndarray]:
    """Full-batch L-BFGS for softmax (multilabel=False, y int [N]) or independent
    sigmoids (multilabel=True, y {0,1} [N, K]).  With ``prior_strength`` > 0 the L2 term
    pulls towards (init_w, init_b) instead of 0 (used by the quick re-fit)."""
    torch.manual_seed(0)
    xt = torch.from_numpy(np.ascontiguousarray(x, np.float32))
    d = xt.shape[1]
    w0 = torch.zeros(n_out, d) if init_w is None else torch.tensor(init_w, dtype=torch.float32)
    b0 = torch.zeros(n_out) if init_b is None else torch.tensor(init_b, dtype=torch.float32)
    w = w0.clone().requires_grad_(True)
    b = b0.clone().requires_grad_(True)
    sw = None if sample_weight is None else torch.from_numpy(sample_weight.astype(np.float32))
    if multilabel:
        yt = torch.from_numpy(y.astype(np.float32))
        pw = None if class_weight is None else torch.from_numpy(class_weight.astype(np.float32))
    else:
        yt = torch.from_numpy(y.astype(np.int64))
        cw = None if class_weight is None else torch.from_numpy(class_weight.astype(np.float32))
    opt = torch.optim.LBFGS([w, b], lr=1.0, max_iter=iters, history_size=20,
                            line_search_fn="strong_wolfe")
    ref_w = w0 if prior_strength > 0 else torch.zeros_like(w0)
    lam = prior_strength if prior_strength > 0 else l2

    def closure():
        opt.zero_grad()
        logits = xt @ w.T + b
        if multilabel:
            per = F.binary_cross_entropy_with_logits(logits, yt, pos_weight=pw, reduction="none").sum(1)
        else:
            per = F.cross_entropy(logits, yt, weight=cw, reduction="none")
        loss = (per * sw).sum() / sw.sum() if sw is not None else per.mean()
        loss = loss + lam * ((w - ref_w) ** 2).sum()
        if prior_strength > 0:
            loss = loss + lam * ((b - b0) ** 2).sum()
        loss.backward()
        return loss

    opt.step(closure)
    return w.detach().numpy(), b.detach().numpy()


def fit_temperature(logits: np.ndarray, y: np.ndarray, multilabel: bool) -> np.ndarray | float:
    """Temperature(s) minimising validation NLL (one per column when multilabel)."""
    lt = torch.from_numpy(logits.astype(np.float32))
    if multilabel:
        yt = torch.from_numpy(y.astype(np.float32))
        log_t = torch.zeros(lt.shape[1], requires_grad=True)
    else:
        yt = torch.from_numpy(y.astype(np.int64))
        log_t = torch.zeros(1, requires_grad=True)
    opt = torch.optim.LBFGS([log_t], lr=0.5, max_iter=100, line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        z = lt / log_t.exp()
        loss = (F.binary_cross_entropy_with_logits(z, yt) if multilabel else F.cross_entropy(z, yt))
        loss.backward()
        return loss

    opt.step(closure)
    t = np.clip(log_t.detach().exp().numpy(), 0.05, 20.0)
    return t if multilabel else float(t[0])


def softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-np.clip(z, -50, 50)))


# ---------------------------------------------------------------------------------------
# stage probe
def stage_features(embeddings: np.ndarray, context: bool) -> np.ndarray:
    """[n_epochs, E] night-ordered embeddings (NaN rows: not computed) -> probe input
    [n_epochs, E or 2E]; the context is the mean of the two neighbouring epochs."""
    if not context:
        return embeddings
    e = embeddings
    prev = np.concatenate([e[:1], e[:-1]])
    nxt = np.concatenate([e[1:], e[-1:]])
    # a neighbour not computed yet (NaN row) counts as the epoch itself
    prev = np.where(np.isnan(prev).any(1, keepdims=True), e, prev)
    nxt = np.where(np.isnan(nxt).any(1, keepdims=True), e, nxt)
    return np.concatenate([e, 0.5 * (prev + nxt)], axis=1)


@dataclass
class StageProbe:
    mean: np.ndarray  # [F]
    std: np.ndarray  # [F]
    w: np.ndarray  # [5, F]
    b: np.ndarray  # [5]
    temperature: float = 1.0
    context: bool = True

    def logits(self, feats: np.ndarray) -> np.ndarray:
        return ((feats - self.mean) / self.std) @ self.w.T + self.b

    def predict_proba(self, embeddings: np.ndarray) -> np.ndarray:
        """Night-ordered embeddings [n, E] -> probabilities [n, 5]."""
        return softmax(self.logits(stage_features(embeddings, self.context)) / self.temperature)

    def to_arrays(self, prefix="stage.") -> dict[str, np.ndarray]:
        return {prefix + "mean": self.mean, prefix + "std": self.std, prefix + "w": self.w,
                prefix + "b": self.b,
                prefix + "temperature": np.array([self.temperature], np.float32),
                prefix + "context": np.array([int(self.context)], np.int32)}

    @classmethod
    def from_arrays(cls, a: dict, prefix="stage.") -> StageProbe:
        return cls(a[prefix + "mean"], a[prefix + "std"], a[prefix + "w"], a[prefix + "b"],
                   float(a[prefix + "temperature"][0]), bool(a[prefix + "context"][0]))


def class_weights(y: np.ndarray, n: int) -> np.ndarray:
    counts = np.bincount(y, minlength=n).astype(np.float64)
    w = np.where(counts > 0, counts.sum() / np.maximum(counts, 1) / n, 0.0)
    return np.clip(w, 0, 10).astype(np.float32)


def fit_stage_probe(train_feats: np.ndarray, train_y: np.ndarray, val_feats=None, val_y=None,
                    *, context=True, l2=1e-3) -> StageProbe:
    """Feature rows must already be built with ``stage_features``; y in 0..4."""
    mean = train_feats.mean(0)
    std = train_feats.std(0) + 1e-6
    xs = (train_feats - mean) / std
    w, b = _fit_linear(xs, train_y, N_STAGES, multilabel=False,
                       class_weight=class_weights(train_y, N_STAGES), l2=l2)
    probe = StageProbe(mean.astype(np.float32), std.astype(np.float32), w, b, 1.0, context)
    if val_feats is not None and len(val_y):
        probe.temperature = float(fit_temperature(probe.logits(val_feats), val_y, False))
    return probe


ANCHOR_CONFIDENCE = 0.9


def refit_stage_probe(embeddings: np.ndarray, labels: np.ndarray, base: StageProbe,
                      *, strength: float = 0.05, iters: int = 50, anchor: bool = True) -> StageProbe:
    """Quick re-fit from a scorer's decisions (seconds, CPU).

    embeddings: [n_epochs, E] the night's embeddings in epoch order; labels: [n_epochs]
    stages 0..4 for reviewed epochs, -1 elsewhere.  Starts from ``base`` and pulls towards
    it (L2 with ``strength``) so 20 reviewed epochs adapt the probe to this night without
    forgetting.  Returns a new probe; ``base`` is unchanged.

    The review queue hands the scorer the epochs the model is least sure of, a biased
    sample: fitted on them alone, a probe that was right elsewhere drifts (on reduced
    montages it lost 2.6 points of agreement).  With ``anchor`` the base probe's confident
    suggestions (>= ``ANCHOR_CONFIDENCE``) on unreviewed epochs join the fit as
    pseudo-labels, weighted by how often the scorer agreed with the model on the reviewed
    epochs, overall (squared) and for that stage (squared, Laplace-smoothed): a model the
    scorer keeps confirming is kept where it is sure; one the scorer keeps correcting is
    not anchored to its own mistakes.
    """
    labels = np.asarray(labels)
    emb = np.asarray(embeddings, np.float32)
    finite = np.isfinite(emb).all(1)
    sel = (labels >= 0) & finite
    if sel.sum() == 0:
        return base
    xs_all = (stage_features(emb, base.context) - base.mean) / base.std
    xs, y = xs_all[sel], labels[sel].astype(np.int64)
    sw = np.ones(len(y), np.float32)
    if anchor:
        with np.errstate(invalid="ignore"):
            p = base.predict_proba(emb)
            conf = np.nan_to_num(p.max(1), nan=0.0)
        pred = np.nan_to_num(p, nan=-1.0).argmax(1)
        ok = ~sel & finite & (conf >= ANCHOR_CONFIDENCE)
        if ok.any():
            agree = pred[sel] == y
            trust = np.array([(agree[pred[sel] == c].sum() + 1) / ((pred[sel] == c).sum() + 2)
                              for c in range(N_STAGES)])
            wts = agree.mean() ** 2 * sel.sum() / ok.sum() * trust[pred[ok]] ** 2
            xs = np.concatenate([xs, xs_all[ok]])
            y = np.concatenate([y, pred[ok]])
            sw = np.concatenate([sw, wts.astype(np.float32)])
    # the stored weights act on logits / T: fold T in so the prior is in the same units
    w0, b0 = base.w / base.temperature, base.b / base.temperature
    w, b = _fit_linear(xs, y, N_STAGES, multilabel=False, init_w=w0, init_b=b0,
                       prior_strength=strength, sample_weight=sw, iters=iters)
    return StageProbe(base.mean, base.std, w, b, 1.0, base.context)


# ---------------------------------------------------------------------------------------
# event heads
def _moving(x: np.ndarray, valid: np.ndarray, win: int):
    """Centred moving mean and mean of squares over ``win`` rows, ignoring invalid rows."""
    h = win // 2
    n = len(x)
    xv = np.where(valid[:, None], x, 0.0)
    c1 = np.concatenate([np.zeros((1, x.shape[1])), np.cumsum(xv, 0)])
    c2 = np.concatenate([np.zeros((1, x.shape[1])), np.cumsum(xv * xv, 0)])
    cn = np.concatenate([[0], np.cumsum(valid.astype(np.float64))])
    lo = np.clip(np.arange(n) - h, 0, n)
    hi = np.clip(np.arange(n) + h + 1, 0, n)
    cnt = np.maximum(cn[hi] - cn[lo], 1.0)[:, None]
    return (c1[hi] - c1[lo]) / cnt, (c2[hi] - c2[lo]) / cnt


def multiscale_features(g: np.ndarray, valid: np.ndarray | None = None) -> np.ndarray:
    """g [N_s, K] per-second features -> [N_s, K * (1 + means + stds + shifted means)]."""
    g = g.astype(np.float64)
    valid = np.ones(len(g), bool) if valid is None else valid
    out = [g]
    for wdw in MEAN_WINDOWS_S:
        m, _ = _moving(g, valid, wdw)
        out.append(m)
    for wdw in STD_WINDOWS_S:
        m, m2 = _moving(g, valid, wdw)
        out.append(np.sqrt(np.maximum(m2 - m * m, 0.0)))
    for wdw, shift in SHIFTED_MEANS_S:
        m, _ = _moving(g, valid, wdw)
        sh = np.empty_like(m)
        if shift > 0:
            sh[:-shift] = m[shift:]
            sh[-shift:] = m[-1:]
        else:
            sh[-shift:] = m[:shift]
            sh[:-shift] = m[:1]
        out.append(sh)
    return np.concatenate(out, axis=1).astype(np.float32)


@dataclass
class EventHeads:
    pca_mean: np.ndarray  # [W]
    pca_comp: np.ndarray  # [W, K]
    mean: np.ndarray  # [F]
    std: np.ndarray  # [F]
    w: np.ndarray  # [5, F]
    b: np.ndarray  # [5]
    temperature: np.ndarray = field(default_factory=lambda: np.ones(5, np.float32))
    threshold: np.ndarray = field(default_factory=lambda: np.full(5, 0.5, np.float32))

    def project(self, sec_feats: np.ndarray) -> np.ndarray:
        """[N_s, W] per-second encoder features -> [N_s, K]."""
        return (sec_feats - self.pca_mean) @ self.pca_comp

    def logits(self, ms: np.ndarray) -> np.ndarray:
        return ((ms - self.mean) / self.std) @ self.w.T + self.b

    def proba(self, ms: np.ndarray) -> np.ndarray:
        return sigmoid(self.logits(ms) / self.temperature)

    def to_arrays(self, prefix="event.") -> dict[str, np.ndarray]:
        return {prefix + k: np.asarray(getattr(self, k), np.float32) for k in
                ("pca_mean", "pca_comp", "mean", "std", "w", "b", "temperature", "threshold")}

    @classmethod
    def from_arrays(cls, a: dict, prefix="event.") -> EventHeads:
        return cls(*(a[prefix + k] for k in ("pca_mean", "pca_comp", "mean", "std", "w", "b",
                                             "temperature", "threshold")))


def fit_pca(x: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Principal axes from the covariance (eigh; d x d, fast for many rows)."""
    x = np.asarray(x, np.float64)
    mean = x.mean(0)
    xc = x - mean
    vals, vecs = np.linalg.eigh(xc.T @ xc / max(1, len(x) - 1))
    comp = vecs[:, ::-1][:, :k]
    return mean.astype(np.float32), np.ascontiguousarray(comp).astype(np.float32)


def segments_from_proba(p: np.ndarray, threshold: float, min_dur_s: float, step_s: float = 1.0,
                        offset_s: float = 0.0, max_gap_s: float = 2.0):
    """Per-step probabilities [N] -> list of (onset_s, duration_s, confidence)."""
    on = p >= threshold
    if not on.any():
        return []
    # close short gaps
    idx = np.flatnonzero(np.diff(np.concatenate([[0], on.astype(np.int8), [0]])))
    starts, ends = idx[::2], idx[1::2]
    merged: list[list[int]] = []
    for s, e in zip(starts, ends):
        if merged and (s - merged[-1][1]) * step_s <= max_gap_s:
            merged[-1][1] = e
        else:
            merged.append([s, e])
    out = []
    for s, e in merged:
        dur = (e - s) * step_s
        if dur < min_dur_s:
            continue
        out.append((offset_s + s * step_s, dur, float(p[s:e].mean())))
    return out


def per_second_labels(events, n_seconds: int, offset_s: float = 0.0) -> np.ndarray:
    """events [(type, onset_s, duration_s)] -> y [n_seconds, 5] {0,1} (second centres)."""
    y = np.zeros((n_seconds, len(EVENT_TYPES)), np.float32)
    for t, onset, dur in events:
        if t not in EVENT_TYPES:
            continue
        k = EVENT_TYPES.index(t)
        a = int(np.ceil(onset - offset_s - 0.5))
        b = int(np.floor(onset + dur - offset_s - 0.5)) + 1
        y[max(a, 0):max(min(b, n_seconds), 0), k] = 1
    return y


# ---------------------------------------------------------------------------------------
# linear conditional reconstruction (blended with the MAE's)
def moment_matrix(samples: np.ndarray) -> np.ndarray:
    """samples [N, C] z units, NaN where hidden -> pairwise-complete second moments of
    [x_0 .. x_{C-1}, 1]: M [C+1, C+1]."""
    p = np.isfinite(samples).astype(np.float64)
    x = np.nan_to_num(samples.astype(np.float64))
    xa = np.concatenate([x, np.ones((len(x), 1))], 1)
    pa = np.concatenate([p, np.ones((len(p), 1))], 1)
    s = xa.T @ xa
    cnt = pa.T @ pa
    return (s / np.maximum(cnt, 1.0)).astype(np.float64)


def linear_conditional(m: np.ndarray, x: np.ndarray, visible: np.ndarray, target: int,
                       ridge: float = 1e-2) -> np.ndarray:
    """Ridge prediction of channel ``target`` from the visible channels at the same
    instants.  x [C, T] z units, visible [C] bool -> [T]."""
    c_n = m.shape[0] - 1
    idx = [i for i in range(c_n) if visible[i] and i != target] + [c_n]
    a = m[np.ix_(idx, idx)] + ridge * np.eye(len(idx))
    w = np.linalg.solve(a, m[idx, target])
    return (x[idx[:-1]].T @ w[:-1] + w[-1]).astype(np.float32) if len(idx) > 1 else np.full(x.shape[1], w[-1], np.float32)
