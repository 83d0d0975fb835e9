"""Held-out evaluation of a model with probes on scored nights: stages, events, AHI,
imputation against two baselines, inference speed.  Used by the recipe (model card) and
by ``pedsleep evaluate``."""

from __future__ import annotations

import time

import numpy as np
import torch

from engine.channels.canonical import CANONICAL_NAMES
from engine.epochs import epoch_of
from engine.inference.runner import ModelRunner
from engine.model.probes import EVENT_TYPES
from engine.training.data import load_scored_study
from engine.training.metrics import ahi, event_metrics, rei, stage_metrics

GROUPS = {"EEG": range(0, 7), "CAPNO": [7], "SPO2": [8], "RESP": [9, 10, 12], "SNORE": [11],
          "EOG": [13, 14], "EMG": [15]}


def fit_linear_baseline(nights, per_night=40, seed=0, ridge=1e-2):
    """Per channel: ridge regression of x_c(t) on the other channels at the same t (z units)."""
    rng = np.random.default_rng(seed)
    xs = []
    for sn in nights:
        n = sn.night
        ep = rng.choice(n.n_epochs, min(per_night, n.n_epochs), replace=False)
        for i in ep:
            e = np.asarray(n.epoch(i), np.float32)[:, ::4]  # 32 Hz is plenty for a same-time fit
            hid = n.hidden_channels(i)
            e = e.copy()
            e[hid] = np.nan
            xs.append(e)
    x = np.concatenate(xs, axis=1).T  # [N, C]
    c_n = x.shape[1]
    coefs = np.zeros((c_n, c_n + 1), np.float64)
    for c in range(c_n):
        ok = np.isfinite(x[:, c])
        if ok.sum() < 10:
            continue
        others = np.nan_to_num(np.delete(x[ok], c, axis=1))
        a = np.concatenate([others, np.ones((len(others), 1))], 1)
        w = np.linalg.solve(a.T @ a + ridge * np.eye(a.shape[1]), a.T @ x[ok, c])
        coefs[c] = np.concatenate([np.insert(w[:-1], c, 0.0), w[-1:]])
    return coefs


@torch.inference_mode()
def imputation_nrmse(runner: ModelRunner, nights, coefs, per_night=24, seed=1):
    """NRMSE per channel (RMSE / std of the true signal, z units) when the channel is hidden
    and rebuilt from the others: ``model`` (what inference ships: the MAE blended with the
    linear conditional estimate), ``mae`` (the MAE decoder alone), ``mean`` (mean-fill),
    ``linear`` (ridge regression baseline fitted on training nights)."""
    rng = np.random.default_rng(seed)
    model = runner.model
    cfg = runner.cfg
    acc = {k: np.zeros(cfg.n_chans) for k in ("model", "mae", "mean", "linear", "var", "n", "inband")}
    rmse_z = runner.recon.get("rmse_z", np.ones(cfg.n_chans))
    sums = np.zeros(cfg.n_chans)
    for sn in nights:
        n = sn.night
        ep = np.sort(rng.choice(n.n_epochs, min(per_night, n.n_epochs), replace=False))
        x = torch.from_numpy(np.stack([np.asarray(n.epoch(i), np.float32) for i in ep]))
        hid = torch.from_numpy(np.stack([n.hidden_channels(i) for i in ep]))
        for c in range(cfg.n_chans):
            ok = ~hid[:, c]
            if not ok.any():
                continue
            h = hid[ok].clone()
            h[:, c] = True
            recon, _ = model(x[ok].to(runner.device), hidden=h[:, :, None].expand(-1, -1, cfg.n_patches).to(runner.device))
            truth = x[ok][:, c].numpy()
            pm = recon[:, c].cpu().numpy()
            xo = np.where(h[:, :, None].numpy(), 0.0, x[ok].numpy())  # hidden channels unknown
            pl = np.einsum("bct,c->bt", xo, coefs[c, :-1]) + coefs[c, -1]
            vis = ~h.numpy()
            pb = runner.blend_linear(c, pm, x[ok].numpy(), vis)
            acc["mae"][c] += ((pm - truth) ** 2).sum()
            acc["model"][c] += ((pb - truth) ** 2).sum()
            acc["inband"][c] += float((np.abs(pb - truth) <= rmse_z[c]).sum())
            acc["mean"][c] += (truth**2).sum()  # z = 0 is the night's median
            acc["linear"][c] += ((pl - truth) ** 2).sum()
            acc["var"][c] += ((truth - truth.mean()) ** 2).sum()
            sums[c] += truth.size
    out = {}
    for c in range(cfg.n_chans):
        if sums[c] == 0:
            continue
        sd = np.sqrt(acc["var"][c] / sums[c])
        out[CANONICAL_NAMES[c]] = {k: round(float(np.sqrt(acc[k][c] / sums[c]) / sd), 4)
                                   for k in ("model", "mae", "mean", "linear")}
        out[CANONICAL_NAMES[c]]["band_coverage"] = round(float(acc["inband"][c] / sums[c]), 3)
    groups = {}
    for g, idx in GROUPS.items():
        vals = [out[CANONICAL_NAMES[c]] for c in idx if CANONICAL_NAMES[c] in out]
        if vals:
            groups[g] = {k: round(float(np.mean([v[k] for v in vals])), 4) for k in ("model", "mae", "mean", "linear")}
    return out, groups


def expected_calibration_error(conf, y_true, y_pred, n_bins: int = 10) -> float:
    """Top-label ECE of the stage probabilities (scored epochs only)."""
    ok = (np.asarray(y_true) >= 0) & np.isfinite(np.asarray(conf, float))  # NaN: not suggested
    conf = np.asarray(conf, float)[ok]
    correct = (np.asarray(y_true)[ok] == np.asarray(y_pred)[ok]).astype(float)
    if conf.size == 0:
        return float("nan")
    bins = np.minimum((conf * n_bins).astype(int), n_bins - 1)
    return float(sum(abs(correct[bins == b].mean() - conf[bins == b].mean()) * (bins == b).mean()
                     for b in range(n_bins) if (bins == b).any()))


def evaluate_nights(runner: ModelRunner, nights, progress=None) -> dict:
    y_true, y_pred, true_ev, pred_ev, ahi_err, per_night, secs, n_ep = [], [], [], [], [], [], [], 0
    confs = []
    for j, sn in enumerate(nights):
        s = runner._session(sn.night, sn.name)
        t0 = time.perf_counter()
        res = runner.score(s)
        assert res is not None  # not cancelled
        secs.append(time.perf_counter() - t0)
        n_ep += sn.n_epochs
        st = sn.stages if sn.stages is not None else np.full(sn.n_epochs, -1)
        y_true.append(st[: sn.n_epochs])
        y_pred.append(res.stages)
        confs.append(res.stage_confidence)
        off = 1e7 * j
        tev = [(t, o, d) for (t, o, d) in sn.events]
        pev = [(e.type, e.onset_s, e.duration_s) for e in res.events]
        true_ev += [(t, o + off, d) for (t, o, d) in tev]
        pred_ev += [(t, o + off, d) for (t, o, d) in pev]
        if (res.stages < 0).all():  # not staged (no EEG/EOG): per hour of recording on both sides
            a_true, a_pred = rei(tev, sn.n_epochs), rei(pev, sn.n_epochs)
        else:
            a_true, a_pred = ahi(tev, st), ahi(pev, res.stages)
        ahi_err.append(abs(a_pred - a_true))
        sm = stage_metrics(st[: sn.n_epochs], res.stages)
        per_night.append({"night": sn.name, "hours": round(sn.n_epochs / 120, 2), "accuracy": round(sm["accuracy"], 4),
                          "kappa": round(sm["kappa"], 4), "ahi_true": round(a_true, 2), "ahi_pred": round(a_pred, 2),
                          "missing": list(s.missing_channels), "seconds": round(secs[-1], 2)})
        if progress:
            progress(j + 1, len(nights))
    stage = stage_metrics(np.concatenate(y_true), np.concatenate(y_pred))
    stage["ece"] = round(expected_calibration_error(np.concatenate(confs), np.concatenate(y_true),
                                                    np.concatenate(y_pred)), 4)
    ev = event_metrics(true_ev, pred_ev, EVENT_TYPES)
    return {"stage": stage, "events": ev, "events_f1": {k: round(v["f1"], 4) for k, v in ev.items()},
            "ahi_abs_error": {"mean": round(float(np.mean(ahi_err)), 3), "max": round(float(np.max(ahi_err)), 3)},
            "nights": per_night,
            "speed": {"seconds_per_night_mean": round(float(np.mean(secs)), 2),
                      "epochs_per_s": round(n_ep / sum(secs), 1),
                      "seconds_per_10h_night": round(1200 / (n_ep / sum(secs)), 2),
                      "threads": torch.get_num_threads(), "device": str(runner.device)}}


def auroc(scores: np.ndarray, labels: np.ndarray) -> float:
    """Area under the ROC curve (rank statistic); NaN when one class is absent."""
    scores = np.asarray(scores, float)
    labels = np.asarray(labels, bool)
    ok = np.isfinite(scores)
    scores, labels = scores[ok], labels[ok]
    n_pos, n_neg = labels.sum(), (~labels).sum()
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    from scipy.stats import rankdata

    r = rankdata(scores)
    return float((r[labels].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def outlier_evaluation(runner: ModelRunner, nights, test_paths) -> dict:
    """How well the per-epoch outlier score flags epochs with an artefact (the generator's
    truth: movement, electrode pops, line noise, ...): AUROC of each score."""
    import json
    from pathlib import Path

    sc: dict[str, list] = {"outlier_score": [], "knn_distance": [], "recon_error": []}
    lab = []
    for sn, p in zip(nights, test_paths):
        tp = Path(p).with_name(Path(p).stem + ".truth.json")
        if not tp.is_file():
            continue
        art = np.zeros(sn.n_epochs, bool)
        for e in json.loads(tp.read_text()).get("events", []):
            if str(e.get("type", "")).startswith("Artifact"):
                a = epoch_of(e["onset_s"])
                b = epoch_of(e["onset_s"] + e["duration_s"])
                art[a:b + 1] = True
        s = runner._session(sn.night, sn.name)
        res = runner.score(s, outliers=True)
        for k in sc:
            sc[k].append(getattr(res, k))
        lab.append(art[: sn.n_epochs])
    if not lab:
        return {}
    y = np.concatenate(lab)
    return {"epochs": int(len(y)), "epochs_with_artefact": int(y.sum()),
            **{f"auroc_{k}": round(auroc(np.concatenate(v), y), 3) for k, v in sc.items()}}


def montage_evaluation(runner: ModelRunner, nights) -> dict:
    """The held-out nights again with only the channels of each named reduced montage."""
    from engine.inference.requirements import suggestable_events
    from engine.training.data import ScoredNight
    from engine.training.metrics import APNEA_HYPOPNEA
    from engine.training.montages import NAMED_MONTAGES, montage_mask, with_montage

    out = {}
    for name, chans in NAMED_MONTAGES.items():
        if len(chans) == len(CANONICAL_NAMES):
            continue
        keep = montage_mask(chans)
        sub = [ScoredNight(sn.name, with_montage(sn.night, keep), sn.stages, sn.events) for sn in nights]
        r = evaluate_nights(runner, sub)
        types = suggestable_events(keep)  # what the model suggests with these channels
        f1 = [r["events_f1"][t] for t in types if np.isfinite(r["events_f1"][t])]
        resp = any(t in APNEA_HYPOPNEA for t in types)
        staged = r["stage"]["n_epochs"] > 0  # no EEG/EOG: the model suggests no stages
        out[name] = {"channels": list(chans), "accuracy": round(r["stage"]["accuracy"], 4) if staged else None,
                     "kappa": round(r["stage"]["kappa"], 4) if staged else None,
                     "events_f1_mean": round(float(np.mean(f1)), 4) if f1 else None,
                     "event_types": list(types), "events_f1": r["events_f1"],
                     "ahi_abs_error": r["ahi_abs_error"]["mean"] if resp else None,
                     "ahi_basis": "AHI" if staged else "REI"}
    return out


def evaluate_model(model_path, test_paths, train_paths=(), device="cpu") -> dict:
    runner = ModelRunner(str(model_path), device=device)
    nights = [load_scored_study(p, labels=True, half=True) for p in test_paths]
    out = evaluate_nights(runner, nights)
    out["outliers"] = outlier_evaluation(runner, nights, test_paths)
    out["montages"] = montage_evaluation(runner, nights)
    if train_paths:
        train = [load_scored_study(p, labels=False, half=True) for p in train_paths]
        coefs = fit_linear_baseline(train)
        del train
        out["imputation_nrmse"], out["imputation_groups"] = imputation_nrmse(runner, nights, coefs)
    out["test_nights"] = [str(p) for p in test_paths]
    return out
