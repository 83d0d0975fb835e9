"""MODEL_CARD.md for the shipped model, written from measured numbers only (metrics.json
of the held-out evaluation, the training logs, the checkpoint's own record)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from engine.model.mae import count_params
from engine.model.probes import EVENT_TYPES

STAGES = ["W", "N1", "N2", "N3", "R"]


def _pretrain_summary(work: Path) -> dict:
    log = work / "pretrained.safetensors.log.jsonl"
    if not log.is_file():
        return {}
    lines = [json.loads(x) for x in log.read_text().splitlines() if x.strip()]
    if not lines:
        return {}
    first, last = lines[0], lines[-1]
    return {"steps": last["step"], "minutes": round(last["elapsed_s"] / 60, 1),
            "epochs_per_s": last["epochs_per_s"], "loss_first": first["loss_ema"], "loss_last": last["loss_ema"]}


def write_card(path: Path, lm, metrics: dict, work: Path) -> None:
    cfg = lm.config
    st = metrics["stage"]
    ev = metrics["events"]
    pre = _pretrain_summary(work)
    fit = lm.probe_meta.get("fit", {})
    bars = {
        "stage accuracy >= 0.90": st["accuracy"] >= 0.90,
        "kappa >= 0.85": st["kappa"] >= 0.85,
        "event F1 (all types pooled) >= 0.80": ev["all"]["f1"] >= 0.80,
    }
    groups = metrics.get("imputation_groups", {})
    if groups:
        bars["imputation (MAE alone) below both baselines for every channel group"] = all(
            g.get("mae", 9) < g["mean"] and g.get("mae", 9) < g["linear"] for g in groups.values())
        bars["imputation (shipped) below both baselines for every channel group"] = all(
            g["model"] < g["mean"] and g["model"] < g["linear"] for g in groups.values())
    L = []
    L.append("# PedSleepMAE starter model (compact)\n")
    L.append("A small masked autoencoder over 16 PSG channels with linear probes, pretrained and probed "
             "**only on synthetic nights from the project's own generator** (engine/synth). It exists so the "
             "assistant works out of the box and so the pipeline is exercised end to end. It is not a "
             "clinical tool and none of the numbers below is a clinical claim; they are measured on held-out "
             "generated nights, the same generator that made the training data.\n")
    L.append("## Files\n")
    L.append(f"- `pedsleep-compact.safetensors`: weights (float16) + probes + outlier reference set; "
             f"config `{cfg.name}` in the metadata. Load with `engine.model.load_model` or "
             "`engine.inference.ModelRunner.load()`.\n")
    L.append("## Configuration\n")
    L.append(f"patch {cfg.patch_size} samples ({cfg.patch_s:g} s), {cfg.emb_dim} dims per channel "
             f"(token width {cfg.width}), {cfg.enc_depth} encoder + {cfg.dec_depth} decoder blocks, "
             f"{cfg.n_heads} heads, MLP ratio {cfg.mlp_ratio:g}, {count_params(lm.model) / 1e6:.2f} M parameters; "
             f"tokens are 0.5-s time steps of all 16 channels. Masking in pretraining: {cfg.mask_ratio:.0%} of "
             f"(channel, patch) cells plus, in {cfg.channel_drop_p:.0%} of samples, 1-{cfg.channel_drop_max} whole "
             "channels. Input: per-study robust z-score per channel (median / IQR) of the channels at 128 Hz; "
             "SNORE enters as its loudness (RMS above 15 Hz in 0.25-s windows, engine/channels/snore.py), "
             "because the phase of a snore buzz is noise no model can predict.\n")
    L.append("## Training data and time\n")
    n_train = len(fit.get("fit_nights", [])) + len(fit.get("calibration_nights", []))
    L.append(f"- Generated nights (7-9.5 h, ages 1-17 y, AHI 0.5-35, artefacts and randomly missing "
             f"channels on): {n_train} for pretraining and probes "
             f"({len(fit.get('calibration_nights', []))} of them held back for calibration and thresholds), "
             f"{len(metrics.get('nights', []))} further nights held out for the numbers below. "
             "Recipe: `scripts/train_starter.sh` (= `python -m engine.training.recipe all`).\n")
    if pre:
        L.append(f"- Pretraining: {pre['steps']} steps of 32 epochs in {pre['minutes']} min on 2 shared CPU "
                 f"threads ({pre['epochs_per_s']} epochs/s); masked MSE (z units) {pre['loss_first']} -> "
                 f"{pre['loss_last']}.\n")
    if fit:
        nv = lm.probe_meta.get("stage_probe", {}).get("montage_variants", 0)
        L.append(f"- Probe fitting: {fit.get('seconds')} s" + (
            f"; each night encoded with its own montage and {nv} random reduced montages (1-3 EEG derivations, "
            "other channels dropped at lab-like rates; engine/training/montages.py)" if nv else "") + ".\n")
    L.append("\n## Held-out results\n")
    L.append(f"Stages ({st['n_epochs']} epochs): accuracy **{st['accuracy']:.3f}**, Cohen's kappa "
             f"**{st['kappa']:.3f}**, F1 per class " +
             ", ".join(f"{s} {f:.2f}" for s, f in zip(STAGES, st["f1_per_class"])) + "." +
             (f" Calibration of the stage probabilities (top-label expected calibration error, 10 bins): "
              f"{st['ece']:.3f}." if "ece" in st else "") + "\n")
    L.append("Confusion matrix (rows: truth, columns: model):\n")
    L.append("| | " + " | ".join(STAGES) + " |\n|---|" + "---|" * 5)
    for s, row in zip(STAGES, st["confusion"]):
        L.append(f"| {s} | " + " | ".join(str(v) for v in row) + " |")
    L.append("\nEvents (overlap matching, one-to-one):\n")
    L.append("| type | true | predicted | F1 |\n|---|---|---|---|")
    for t in EVENT_TYPES:
        e = ev[t]
        L.append(f"| {t} | {e['n_true']} | {e['n_pred']} | {e['f1']:.3f} |")
    L.append(f"| all types | {ev['all']['tp'] + ev['all']['fn']} | {ev['all']['tp'] + ev['all']['fp']} | "
             f"{ev['all']['f1']:.3f} |\n")
    a = metrics["ahi_abs_error"]
    L.append(f"AHI absolute error per night: mean {a['mean']:.2f}, max {a['max']:.2f} events/h.\n")
    L.append("| night | hours | accuracy | kappa | AHI true | AHI model | missing channels |\n|---|---|---|---|---|---|---|")
    for n in metrics["nights"]:
        L.append(f"| {n['night']} | {n['hours']} | {n['accuracy']:.3f} | {n['kappa']:.3f} | {n['ahi_true']} | "
                 f"{n['ahi_pred']} | {', '.join(n['missing']) or '-'} |")
    if groups:
        L.append("\nImputation (one channel hidden, rebuilt from the others, on held-out nights; NRMSE = RMSE / SD "
                 "of the true signal, z units, mean over the group's channels). *shipped* = what inference "
                 "returns: the MAE decoder's reconstruction blended per channel with a linear conditional "
                 "estimate from the other channels at the same instant (blend weight fitted on calibration "
                 "nights); *MAE alone* = the decoder only; *mean-fill* = the night's median; *linear* = ridge "
                 "regression on the other channels at the same instant, fitted on training nights:\n")
        L.append("| channel group | shipped | MAE alone | mean-fill | linear |\n|---|---|---|---|---|")
        for g, v in groups.items():
            L.append(f"| {g} | {v['model']:.3f} | {v.get('mae', float('nan')):.3f} | {v['mean']:.3f} | {v['linear']:.3f} |")
        L.append("\n<details><summary>per channel (band coverage: share of true samples inside the "
                 "reconstruction's +-1 sigma band, sigma = the channel's calibration RMSE)</summary>\n\n"
                 "| channel | shipped | MAE alone | mean-fill | linear | band coverage |\n|---|---|---|---|---|---|")
        for c, v in metrics["imputation_nrmse"].items():
            L.append(f"| {c} | {v['model']:.3f} | {v.get('mae', float('nan')):.3f} | {v['mean']:.3f} | "
                     f"{v['linear']:.3f} | {v.get('band_coverage', float('nan')):.2f} |")
        L.append("\n</details>\n")
    ol = metrics.get("outliers") or {}
    if ol:
        L.append(f"\nOutlier score vs the generator's artefacts ({ol['epochs_with_artefact']} of {ol['epochs']} held-out "
                 f"epochs contain a movement, electrode-pop or line-noise artefact): AUROC of the combined score "
                 f"{ol['auroc_outlier_score']:.3f}, of the k-NN distance alone {ol['auroc_knn_distance']:.3f}, of the "
                 f"reconstruction error alone {ol['auroc_recon_error']:.3f}.\n")
    mont = metrics.get("montages") or {}
    if mont:
        L.append("\nThe same held-out nights with only the channels of a reduced montage (the others removed "
                 "before scoring):\n")
        L.append("| montage | stage accuracy | kappa | event F1 (mean over the types suggested) | AHI error (mean) |\n"
                 "|---|---|---|---|---|")
        L.append(f"| full PSG | {st['accuracy']:.3f} | {st['kappa']:.3f} | "
                 f"{np.nanmean([ev[t]['f1'] for t in EVENT_TYPES]):.3f} | {a['mean']:.2f} |")
        for name, v in mont.items():
            f1 = "-" if v["events_f1_mean"] is None else f"{v['events_f1_mean']:.3f}"
            acc, kap = (("not suggested (no EEG/EOG)", "-") if v["accuracy"] is None
                        else (f"{v['accuracy']:.3f}", f"{v['kappa']:.3f}"))
            err = "-" if v["ahi_abs_error"] is None else f"{v['ahi_abs_error']:.2f}" + (
                " (REI)" if v.get("ahi_basis") == "REI" else "")
            L.append(f"| {name} | {acc} | {kap} | {f1} | {err} |")
        L.append("\nThe model suggests only what the recorded channels support "
                 "(engine/inference/requirements.py): stages need EEG or EOG, arousals EEG, apneas and "
                 "hypopneas airflow or effort, desaturations SpO2. Without staging, the AHI column compares "
                 "events per hour of recording (REI) on both sides.\n")
    sp = metrics["speed"]
    L.append(f"\n## Speed\n\nHeadless whole-night scoring (`ModelRunner.score`: stages and events; no outlier pass, no reconstruction), measured during the held-out evaluation: "
             f"{sp['epochs_per_s']} epochs/s, i.e. **{sp['seconds_per_10h_night']} s per 10-h night** on "
             f"{sp['device']} with {sp['threads']} threads (this machine: 2 cores shared with other work). "
             "See tests/bench/test_model_speed.py for FLOPs and the paper configuration.\n")
    L.append("## Sanity bars (issue 5)\n")
    for k, ok in bars.items():
        extra = ""
        if not ok and k.startswith("imputation"):
            col = "mae" if "MAE alone" in k else "model"
            fails = [g for g, v in groups.items() if not (v.get(col, 9) < v["mean"] and v.get(col, 9) < v["linear"])]
            extra = " (not below both in: " + ", ".join(
                f"{g} {groups[g].get(col, float('nan')):.3f} vs mean-fill {groups[g]['mean']:.3f} / linear "
                f"{groups[g]['linear']:.3f}" for g in fails) + ")"
        L.append(f"- {k}: **{'met' if ok else 'NOT met'}**{extra}")
    L.append("\n## Limits\n")
    L.append("- Trained on generated signals only: expect worse on real recordings until fitted on a lab's own "
             "scored studies (`pedsleep fit-probes`, or pretrain further with `pedsleep pretrain`).\n"
             "- Epoch embedding (3 x 256 values): mean and standard deviation over the epoch's 60 time steps of "
             "the encoder features, plus the cls features. The paper's probe input (encoder features averaged over "
             "the embedding dim per (channel, patch)) is available as `engine.model.mae.reference_probe_features` "
             "and reproduces the reference implementation, but is not what this model's probes read.\n"
             "- Stage probe is linear on one epoch's embedding plus its neighbours' mean; event heads are linear on "
             "multi-scale summaries of 1-s token features. Mixed apneas are scored as obstructive.\n"
             "- The uncertainty band of reconstructions combines the spread of two mask draws with the channel's "
             "typical error measured in probe fitting; it is a guide, not a calibrated interval.")
    path.write_text("\n".join(L) + "\n" + _kept_sections(path))


KEPT_HEADINGS = ("## Real recordings",)  # measured by other benches (real data): a retrain keeps them


def _kept_sections(path: Path) -> str:
    """Sections of the existing card that this writer does not measure (the real-data
    figures, from the staging bench), carried over unchanged."""
    try:
        old = path.read_text()
    except OSError:
        return ""
    out, keep = [], False
    for line in old.splitlines():
        if line.startswith("## "):
            keep = line.startswith(KEPT_HEADINGS)
        if keep:
            out.append(line)
    return ("\n" + "\n".join(out) + "\n") if out else ""
