"""Fit the probes on scored nights: stage probe, event heads, outlier reference set and
reconstruction statistics.  Nights are split by night into fit / calibration sets."""

from __future__ import annotations

import logging
import time

import numpy as np
import torch

from engine.model.features import encode_night, epoch_batch
from engine.model.mae import PedSleepMAE
from engine.model.probes import (
    EVENT_TYPES,
    MIN_DURATION_S,
    EventHeads,
    _fit_linear,
    fit_pca,
    fit_stage_probe,
    linear_conditional,
    moment_matrix,
    multiscale_features,
    per_second_labels,
    segments_from_proba,
    stage_features,
)
from engine.training.metrics import event_metrics
from engine.training.montages import random_montage, with_montage

log = logging.getLogger(__name__)

PCA_DIMS = 128
REF_POINTS = 1500
REF_DIMS = 32
KNN_K = 5
MONTAGE_VARIANTS = 2  # extra encodings of each night with a random reduced montage


def _platt(logits, y):
    """Per-column temperature and bias (Platt scaling)."""
    lt = torch.from_numpy(logits.astype(np.float32))
    yt = torch.from_numpy(y.astype(np.float32))
    log_t = torch.zeros(lt.shape[1], requires_grad=True)
    bias = torch.zeros(lt.shape[1], requires_grad=True)
    opt = torch.optim.LBFGS([log_t, bias], lr=0.5, max_iter=100, line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = torch.nn.functional.binary_cross_entropy_with_logits(lt / log_t.exp() + bias, yt)
        loss.backward()
        return loss

    opt.step(closure)
    return np.clip(log_t.detach().exp().numpy(), 0.05, 20), bias.detach().numpy()


def knn_distance(points: np.ndarray, queries: np.ndarray, k: int = KNN_K, exclude_self=False):
    d2 = (queries**2).sum(1)[:, None] + (points**2).sum(1)[None, :] - 2 * queries @ points.T
    d2 = np.maximum(d2, 0)
    if exclude_self:
        np.fill_diagonal(d2, np.inf)
    k = min(k, points.shape[0] - (1 if exclude_self else 0))
    part = np.partition(d2, k - 1, axis=1)[:, :k]
    return np.sqrt(part).mean(1)


@torch.inference_mode()
def masked_recon_error(model: PedSleepMAE, night, epochs, device="cpu", ratio=0.5, seed=0):
    """Per-epoch MSE (z units) on randomly hidden cells of present channels."""
    cfg = model.cfg
    x, hid_ch = epoch_batch(night, epochs, device)
    g = torch.Generator().manual_seed(seed)
    cell = torch.rand(len(epochs), cfg.n_chans, cfg.n_patches, generator=g).to(device) < ratio
    hidden = cell | hid_ch[:, :, None]
    recon, _ = model(x, hidden=hidden)
    tgt = (cell & ~hid_ch[:, :, None]).repeat_interleave(cfg.patch_size, 2).float()
    err = (((recon - x) ** 2) * tgt).sum((1, 2)) / tgt.sum((1, 2)).clamp_min(1)
    return err.cpu().numpy()


def sample_moments(nights, per_night=40, seed=0, step=4) -> np.ndarray:
    """Second moments of the z-scored channels (hidden = NaN) for the linear reconstruction."""
    rng = np.random.default_rng(seed)
    rows = []
    for sn in nights:
        n = sn.night
        for i in rng.choice(n.n_epochs, min(per_night, n.n_epochs), replace=False):
            e = np.asarray(n.epoch(i), np.float32)[:, ::step].copy()
            e[n.hidden_channels(i)] = np.nan
            rows.append(e.T)
    return moment_matrix(np.concatenate(rows))


@torch.inference_mode()
def channel_recon_stats(model: PedSleepMAE, nights, moments, device="cpu", per_night=24, seed=0):
    """Per channel, hidden alone (others as recorded): the blend weight alpha of the MAE's
    reconstruction vs the linear conditional one (least squares, clipped to [0, 1]) and the
    RMSE (z units) of the blend."""
    cfg = model.cfg
    rng = np.random.default_rng(seed)
    c_n = cfg.n_chans
    num = np.zeros(c_n)
    den = np.zeros(c_n)
    parts: list[list[tuple]] = [[] for _ in range(c_n)]  # (truth, mae, lin) per channel
    for sn in nights:
        night = sn.night
        ep = rng.choice(night.n_epochs, min(per_night, night.n_epochs), replace=False)
        x, hid = epoch_batch(night, ep, device)
        for c in range(c_n):
            ok = ~hid[:, c]
            if not ok.any():
                continue
            h = hid.clone()
            h[:, c] = True
            recon, _ = model(x[ok], hidden=h[ok][:, :, None].expand(-1, -1, cfg.n_patches))
            xs = x[ok].cpu().numpy()
            hs = h[ok].cpu().numpy()
            for j in range(len(xs)):
                lin = linear_conditional(moments, xs[j], ~hs[j], c)
                t, m = xs[j, c], recon[j, c].cpu().numpy()
                num[c] += float(((t - lin) * (m - lin)).sum())
                den[c] += float(((m - lin) ** 2).sum())
                parts[c].append((t, m, lin))
    alpha = np.clip(num / np.maximum(den, 1e-9), 0.0, 1.0)
    rmse = np.ones(c_n)
    seen = np.zeros(c_n, bool)
    for c in range(c_n):
        if parts[c]:
            t = np.concatenate([p[0] for p in parts[c]])
            b = alpha[c] * np.concatenate([p[1] for p in parts[c]]) + (1 - alpha[c]) * np.concatenate([p[2] for p in parts[c]])
            rmse[c] = np.sqrt(np.mean((b - t) ** 2))
            seen[c] = True
    alpha[~seen] = 1.0
    return alpha.astype(np.float32), rmse.astype(np.float32)


def fit_probes(model: PedSleepMAE, nights, *, device="cpu", val_fraction=0.25, seed=0,
               progress=None, montage_variants: int = MONTAGE_VARIANTS) -> tuple[dict, dict]:
    """nights: list of ScoredNight with stages (and events).  Returns (arrays, meta).

    Each night is encoded with its own montage and ``montage_variants`` more times with
    channels removed (engine.training.montages), so the stage probe, the event heads and
    the outlier reference set also fit studies with fewer channels.  Event thresholds are
    chosen on the calibration nights' own montage."""
    model.eval()
    t0 = time.perf_counter()
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(nights))
    n_val = max(1, int(round(val_fraction * len(nights)))) if len(nights) > 1 else 0
    val_idx = set(order[:n_val].tolist())
    enc = []  # per night: [(embeddings, second features)] for its own montage, then variants
    for i, sn in enumerate(nights):
        enc.append([encode_night(model, sn.night, device)])
        for _ in range(montage_variants):
            enc[i].append(encode_night(model, with_montage(sn.night, random_montage(rng)), device))
        if progress:
            progress(f"encoded {i + 1}/{len(nights)} nights")
    fit_ids = [i for i in range(len(nights)) if i not in val_idx] or list(range(len(nights)))
    val_ids = sorted(val_idx)

    # --- stage probe
    def stage_rows(ids):
        xs, ys = [], []
        for i in ids:
            st = nights[i].stages
            if st is None:
                continue
            for e, _ in enc[i]:
                f = stage_features(e, True)
                ok = st[: len(f)] >= 0
                xs.append(f[: len(st)][ok])
                ys.append(st[: len(f)][ok].astype(np.int64))
        if not xs:
            return None, None
        return np.concatenate(xs), np.concatenate(ys)

    fx, fy = stage_rows(fit_ids)
    vx, vy = stage_rows(val_ids)
    arrays: dict[str, np.ndarray] = {}
    meta: dict = {"event_types": list(EVENT_TYPES), "stage_names": ["W", "N1", "N2", "N3", "R"]}
    if fx is not None:
        sp = fit_stage_probe(fx, fy, vx, vy, context=True)
        arrays.update(sp.to_arrays())
        meta["stage_probe"] = {"n_fit_epochs": int(len(fy)), "n_cal_epochs": int(0 if vy is None else len(vy)),
                               "temperature": sp.temperature, "montage_variants": montage_variants}
    if progress:
        progress("stage probe fitted")

    # --- event heads
    has_events = any(nights[i].events for i in fit_ids)
    if has_events:
        sub = np.concatenate([s[rng.choice(len(s), min(4000, len(s)), replace=False)]
                              for i in fit_ids for _, s in enc[i]])
        pca_mean, pca_comp = fit_pca(sub, min(PCA_DIMS, sub.shape[1]))

        def ev_rows(ids, stride, variants=True):
            xs, ys = [], []
            for i in ids:
                for _, s in enc[i] if variants else enc[i][:1]:
                    g = (s - pca_mean) @ pca_comp
                    ms = multiscale_features(g)
                    y = per_second_labels(nights[i].events, len(g))
                    xs.append(ms[::stride])
                    ys.append(y[::stride])
            return np.concatenate(xs), np.concatenate(ys)

        ex, ey = ev_rows(fit_ids, 3)
        mean, std = ex.mean(0), ex.std(0) + 1e-6
        pos = ey.sum(0)
        pw = np.clip((len(ey) - pos) / np.maximum(pos, 1), 1, 30).astype(np.float32)
        w, b = _fit_linear((ex - mean) / std, ey, len(EVENT_TYPES), multilabel=True,
                           class_weight=pw, l2=1e-4, iters=150)
        heads = EventHeads(pca_mean, pca_comp, mean.astype(np.float32), std.astype(np.float32), w, b)
        del ex, ey
        cal_ids = val_ids or fit_ids
        cx, cy = ev_rows(cal_ids, 2, variants=False)
        t, bias = _platt(heads.logits(cx), cy)
        heads.temperature = t.astype(np.float32)
        heads.b = (heads.b / t + bias) * t  # fold the bias into b so proba = sigmoid(logit / T)
        heads.b = heads.b.astype(np.float32)
        # thresholds for event F1 on the calibration nights
        probs = []
        for i in cal_ids:
            g = (enc[i][0][1] - pca_mean) @ pca_comp
            probs.append(heads.proba(multiscale_features(g)))
        thr = np.full(len(EVENT_TYPES), 0.5, np.float32)
        for k, t_name in enumerate(EVENT_TYPES):
            best = (-1.0, 0.5)
            for th in np.arange(0.2, 0.91, 0.05):
                pred, true = [], []
                for j, i in enumerate(cal_ids):
                    off = 1e6 * j  # keep nights apart
                    pred += [(t_name, o + off, d) for (o, d, _) in
                             segments_from_proba(probs[j][:, k], th, MIN_DURATION_S[t_name])]
                    true += [(tt, o + off, d) for (tt, o, d) in nights[i].events if tt == t_name]
                if not true:
                    continue
                f1 = event_metrics(true, pred, [t_name])[t_name]["f1"]
                if f1 > best[0]:
                    best = (f1, float(th))
            thr[k] = best[1]
        heads.threshold = thr
        arrays.update(heads.to_arrays())
        meta["event_heads"] = {"pca_dims": int(pca_comp.shape[1]), "thresholds": thr.tolist(),
                               "pos_weight": pw.tolist()}
    if progress:
        progress("event heads fitted")

    # --- outlier reference set (embedding space) and reconstruction statistics
    all_emb = np.concatenate([e for i in fit_ids for e, _ in enc[i]])
    e_mean, e_std = all_emb.mean(0), all_emb.std(0) + 1e-6
    pick = rng.choice(len(all_emb), min(REF_POINTS, len(all_emb)), replace=False)
    zs = (all_emb[pick] - e_mean) / e_std
    r_mean, r_comp = fit_pca(zs, min(REF_DIMS, zs.shape[1], zs.shape[0]))
    pts = (zs - r_mean) @ r_comp
    ref_d = knn_distance(pts, pts, exclude_self=True)
    arrays.update({"ref.e_mean": e_mean.astype(np.float32), "ref.e_std": e_std.astype(np.float32),
                   "ref.pca_mean": r_mean, "ref.pca_comp": r_comp, "ref.points": pts.astype(np.float32),
                   "ref.knn_quantiles": np.quantile(ref_d, np.linspace(0, 1, 101)).astype(np.float32)})
    err_parts: list[np.ndarray] = []
    for i in fit_ids[:8]:
        night = nights[i].night
        ep = rng.choice(night.n_epochs, min(64, night.n_epochs), replace=False)
        err_parts.append(masked_recon_error(model, night, sorted(ep.tolist()), device))
    errs = np.concatenate(err_parts)
    arrays["ref.recon_quantiles"] = np.quantile(errs, np.linspace(0, 1, 101)).astype(np.float32)
    moments = sample_moments([nights[i] for i in fit_ids])
    alpha, rmse = channel_recon_stats(model, [nights[i] for i in (val_ids or fit_ids)[:6]], moments, device)
    arrays["recon.moments"] = moments.astype(np.float32)
    arrays["recon.alpha"] = alpha
    arrays["recon.rmse_z"] = rmse
    meta["reconstruction"] = {"alpha_mae": [round(float(a), 3) for a in alpha]}
    centers = np.stack([nights[i].night.center for i in fit_ids])
    scales = np.stack([nights[i].night.scale for i in fit_ids])
    pres = np.stack([nights[i].night.present for i in fit_ids])
    arrays["recon.typical_center"] = np.array(
        [np.median(centers[pres[:, c], c]) if pres[:, c].any() else 0.0 for c in range(centers.shape[1])], np.float32)
    arrays["recon.typical_scale"] = np.array(
        [np.median(scales[pres[:, c], c]) if pres[:, c].any() else 1.0 for c in range(scales.shape[1])], np.float32)
    meta["fit"] = {"n_nights": len(nights), "fit_nights": [nights[i].name for i in fit_ids],
                   "calibration_nights": [nights[i].name for i in val_ids],
                   "seconds": round(time.perf_counter() - t0, 1)}
    return arrays, meta
