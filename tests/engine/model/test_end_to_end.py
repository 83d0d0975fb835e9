"""Tiny end to end: generated nights -> pretrain -> probes -> inference API -> CLI."""

import threading

import numpy as np
import pytest
import torch

from engine.inference import ChannelReconstruction, EpochBatch, ModelRunner, collect
from engine.model import load_model, save_model
from engine.model.config import TINY
from engine.synth import NightParams, generate_night, write_night
from engine.training.data import night_from_synth
from engine.training.fit_probes import fit_probes
from engine.training.pretrain import PretrainSettings, pretrain


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    torch.set_num_threads(1)
    tmp = tmp_path_factory.mktemp("e2e")
    nights = [night_from_synth(generate_night(NightParams(hours=0.5, age_years=5 + i, ahi=30, seed=40 + i,
                                                          missing_channels=("CAPNO",) if i == 0 else ())),
                               f"n{i}") for i in range(2)]
    ckpt = tmp / "pre.safetensors"
    model = pretrain(nights, TINY, ckpt, PretrainSettings(epochs=1, batch_size=8, max_steps=4, progress=False))
    arrays, meta = fit_probes(model.eval(), nights)
    out = tmp / "model.safetensors"
    save_model(out, model, probes=arrays, probe_meta=meta)
    return out, nights, tmp


def _no_tensors(obj):
    for v in vars(obj).values() if hasattr(obj, "__dict__") else []:
        assert not isinstance(v, torch.Tensor)


def test_probes_saved(tiny_model):
    path, _, _ = tiny_model
    lm = load_model(path)
    for k in ("stage.w", "event.w", "event.threshold", "ref.points", "recon.rmse_z"):
        assert k in lm.probes, k
    assert lm.probe_meta["event_types"][0] == "Obstructive apnea"


def test_fit_probes_uses_the_variants(tiny_model):
    path, nights, _ = tiny_model
    meta = load_model(path).probe_meta
    assert meta["stage_probe"]["montage_variants"] == 2
    # stage rows: the fit night's epochs once per montage (its own + 2 variants)
    assert meta["stage_probe"]["n_fit_epochs"] == 3 * nights[0].n_epochs


def test_run_order_cancel_and_types(tiny_model):
    path, nights, _ = tiny_model
    runner = ModelRunner(path, device="cpu")
    s = runner._session(nights[0].night, "n0")
    gen = runner.run(s, center_epoch=33, batch_epochs=4)
    first = next(gen)
    assert isinstance(first, EpochBatch)
    assert 33 in first.epochs
    assert first.stage_probs.shape == (4, 5) and np.allclose(first.stage_probs.sum(1), 1, atol=1e-4)
    _no_tensors(first)
    for e in first.events:
        assert 31 * 0 <= e.onset_s and 0 <= e.confidence <= 1 and e.duration_s > 0
    # CAPNO is missing in night 0: reconstructed with a band
    rec = {r.name: r for r in first.reconstructions}
    assert "CAPNO" in rec and isinstance(rec["CAPNO"], ChannelReconstruction)
    r = rec["CAPNO"]
    assert r.mean.shape == (4 * 3840,) and np.all(r.high >= r.low) and r.reason == "missing"
    second = next(gen)
    assert second.epochs[0] == first.epochs[-1] + 1  # right, then left
    third = next(gen)
    assert third.epochs[-1] == first.epochs[0] - 1
    # cancel: nothing more comes
    stop = threading.Event()
    g2 = runner.run(s, center_epoch=0, cancel=stop, batch_epochs=4)
    next(g2)
    stop.set()
    assert list(g2) == []


def test_whole_night_similar_refit_reconstruct(tiny_model):
    path, nights, _ = tiny_model
    runner = ModelRunner(path, device="cpu")
    sn = nights[1]
    s = runner._session(sn.night, "n1")
    batches = list(runner.run(s, batch_epochs=7))
    seen = np.concatenate([b.epochs for b in batches])
    assert sorted(seen.tolist()) == list(range(sn.n_epochs))
    res = collect(batches, s)
    assert np.isfinite(res.stage_probs).all() and np.isfinite(res.outlier_score).all()
    assert ((res.outlier_score >= 0) & (res.outlier_score <= 1)).all()
    sim = runner.similar_epochs(s, 10, k=5)
    assert len(sim) == 5 and all(x.epoch != 10 for x in sim)
    # re-fit on 20 reviewed epochs labelled (deliberately) all N3: the reviewed epochs
    # follow the scorer and the unreviewed ones change
    labels = np.full(sn.n_epochs, -1)
    labels[:20] = 3
    before = runner.predict_stages(s.emb)
    runner.refit_stage_probe(s.emb, labels, strength=1e-4)
    after = runner.predict_stages(s.emb)
    assert (after[:20].argmax(1) == 3).mean() > 0.8
    assert np.abs(after[20:] - before[20:]).max() > 1e-3
    runner.reset_stage_probe()
    assert np.allclose(runner.predict_stages(s.emb), before)
    rc = runner.reconstruct(s, channel=8, start_epoch=5, n_epochs=2, n_draws=3)
    assert rc.mean.shape == (2 * 3840,) and np.all(rc.high > rc.low) and rc.reason == "flat"


def test_score_and_evaluate_cli(tiny_model, capsys):
    from engine.cli import main

    path, _, tmp = tiny_model
    edf = write_night(generate_night(NightParams(hours=0.25, ahi=20, seed=7, missing_channels=("SPO2",))),
                      tmp / "study.edf")
    out = tmp / "out"
    assert main(["score", str(edf), "-o", str(out), "--model", str(path), "--device", "cpu", "--threads", "1"]) == 0
    scored = out / "study.scored.edf"
    assert scored.is_file() and (out / "study.report.html").is_file()
    assert "SPO2" in (out / "study.report.html").read_text()
    capsys.readouterr()
    assert main(["evaluate", str(scored), str(tmp / "study.truth.json"), "--json"]) == 0
    import json

    res = json.loads(capsys.readouterr().out)
    assert res["stages"]["n_epochs"] == 30


def test_home_apnea_test_gets_events_but_no_stages_or_arousals(tiny_model, capsys):
    """No EEG/EOG: stages are not suggested (NaN, -1), arousals neither; the pre-scoring
    report counts the suggested events per hour of recording (REI)."""
    from engine.channels.canonical import CANONICAL_NAMES
    from engine.cli import main

    path, _, tmp = tiny_model
    keep = {"SPO2", "RESP THORACIC", "RESP ABDOMINAL", "C-FLOW", "SNORE"}
    edf = write_night(generate_night(NightParams(hours=0.25, ahi=30, seed=8, missing_channels=tuple(
        n for n in CANONICAL_NAMES if n not in keep))), tmp / "hsat.edf")
    runner = ModelRunner(path, device="cpu")
    s = runner.open_study(edf)
    assert not s.can_stage and "Arousal" not in s.event_types and "Hypopnea" in s.event_types
    res = runner.score(s)
    assert np.isnan(res.stage_probs).all() and (res.stages == -1).all()
    assert all(e.type != "Arousal" for e in res.events)
    rebuilt = {r.name for b in runner.run(runner.open_study(edf), reconstruct=True) for r in b.reconstructions}
    assert "CAPNO" in rebuilt and not any(n.startswith(("EEG", "EOG", "EMG")) for n in rebuilt)
    out = tmp / "out-hsat"
    assert main(["score", str(edf), "-o", str(out), "--model", str(path), "--device", "cpu", "--threads", "1"]) == 0
    html = (out / "hsat.report.html").read_text()
    assert "Sleep stage" not in html
    if res.events:
        assert "REI (per hour of recording)" in html and "pre-scoring" in html


def test_held_out_evaluation_keys(tiny_model):
    from engine.training.evaluate import evaluate_model

    path, _, tmp = tiny_model
    test_edf = write_night(generate_night(NightParams(hours=0.25, ahi=25, seed=9)), tmp / "held.edf")
    train_edf = write_night(generate_night(NightParams(hours=0.25, ahi=5, seed=10)), tmp / "tr.edf")
    m = evaluate_model(path, [test_edf], train_paths=[train_edf])
    assert 0 <= m["stage"]["accuracy"] <= 1
    assert set(m["events_f1"]) >= {"Obstructive apnea", "Arousal", "all"}
    g = m["imputation_groups"]
    assert set(g) >= {"EEG", "RESP", "SPO2"}
    assert set(g["EEG"]) == {"model", "mae", "mean", "linear"}
    assert m["speed"]["seconds_per_10h_night"] > 0
    home = m["montages"]["home apnea test (no EEG/EOG/EMG)"]
    assert "EEG C3-M2" not in home["channels"] and home["accuracy"] is None  # no stages without EEG/EOG
    assert 0 <= m["montages"]["2 EEG + EOG + chin, no respiration"]["accuracy"] <= 1
    assert len(m["montages"]) == 3

    from engine.training.model_card import write_card

    card = tmp / "CARD.md"
    card.write_text("# old card\n\n## Speed\nold\n\n## Real recordings (DREAMS)\nmeasured on real data\n")
    write_card(card, load_model(path), m, tmp)
    text = card.read_text()
    assert "| home apnea test (no EEG/EOG/EMG) |" in text
    assert "SNORE enters as its loudness" in text and "2 random reduced montages" in text
    # a retrain rewrites what it measured and keeps the real-data section it did not
    assert text.count("## Real recordings (DREAMS)\nmeasured on real data") == 1 and "\nold\n" not in text


def test_event_threshold_refit(tiny_model):
    path, nights, _ = tiny_model
    runner = ModelRunner(path, device="cpu")
    s = runner._session(nights[0].night, "n0")
    list(runner.run(s, batch_epochs=16))
    old = runner.event_heads.threshold.copy()
    new = runner.refit_event_thresholds([("Arousal", 0.9, True), ("Arousal", 0.7, False), ("Arousal", 0.95, True)])
    assert 0.7 < new["Arousal"] <= 0.9
    assert runner.event_heads.threshold[1] == old[1]  # other types unchanged
    ev = runner.suggest_events(s)
    assert all(e.confidence >= 0 for e in ev)


def test_chunked_equals_whole_night(tiny_model):
    """Centre-first small chunks give the same per-epoch results as one pass in order."""
    path, nights, _ = tiny_model
    runner = ModelRunner(path, device="cpu")
    a = collect(list(runner.run(runner._session(nights[1].night, "a"), center_epoch=37, batch_epochs=3)),
                runner._session(nights[1].night, "a"))
    b = collect(list(runner.run(runner._session(nights[1].night, "b"), batch_epochs=60)),
                runner._session(nights[1].night, "b"))
    np.testing.assert_allclose(a.stage_probs, b.stage_probs, atol=1e-5)
    np.testing.assert_allclose(a.embeddings, b.embeddings, atol=1e-5)
    np.testing.assert_allclose(a.recon_error, b.recon_error, rtol=1e-4, atol=1e-6)


def test_real_recording_with_few_channels(tiny_model):
    """A real Sleep-EDF excerpt (3 of 16 canonical channels, mixed rates) is scored; the
    missing channels are reported and reconstructed, nothing is NaN."""
    from pathlib import Path

    edf = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "sleep-edf" / "SC4001E0-PSG-first300s.edf"
    if not edf.is_file():
        pytest.skip(f"real recording not available ({edf} is absent)")
    path, _, _ = tiny_model
    runner = ModelRunner(path, device="cpu")
    s = runner.open_study(edf)
    assert s.n_epochs == 10
    assert len(s.missing_channels) >= 8
    batches = list(runner.run(s, center_epoch=5))
    res = collect(batches, s)
    assert np.isfinite(res.stage_probs).all()
    names = {r.name for b in batches for r in b.reconstructions}
    assert "SPO2" in names


def test_predict_stages_with_epochs_not_yet_computed(tiny_model):
    path, nights, _ = tiny_model
    runner = ModelRunner(path, device="cpu")
    s = runner._session(nights[1].night, "n1")
    list(runner.run(s, batch_epochs=16))
    full = runner.predict_stages(s.embeddings)
    emb = s.embeddings.copy()
    emb[20:30] = np.nan
    part = runner.predict_stages(emb)
    assert np.isnan(part[20:30]).all()
    np.testing.assert_allclose(part[:19], full[:19], atol=1e-6)
    np.testing.assert_allclose(part[31:], full[31:], atol=1e-6)
    labels = np.full(len(emb), -1)
    labels[:5] = 0
    labels[25] = 2  # reviewed but not computed: ignored
    runner.refit_stage_probe(emb, labels)


def test_labels_from_edf_annotations_match_truth(tmp_path):
    from engine.training.data import load_scored_study

    edf = write_night(generate_night(NightParams(hours=0.2, ahi=30, seed=12)), tmp_path / "a.edf")
    with_truth = load_scored_study(edf)
    (tmp_path / "a.truth.json").unlink()
    from_annotations = load_scored_study(edf)
    np.testing.assert_array_equal(with_truth.stages, from_annotations.stages)
    key = lambda e: (e[0], round(e[1], 1))  # noqa: E731
    assert sorted(map(key, with_truth.events)) == sorted(map(key, from_annotations.events))


def test_auroc():
    from engine.training.evaluate import auroc

    assert auroc(np.array([0.1, 0.2, 0.8, 0.9]), np.array([0, 0, 1, 1])) == 1.0
    assert auroc(np.array([0.9, 0.2, 0.8, 0.1]), np.array([0, 0, 1, 1])) == 0.25
    assert np.isnan(auroc(np.array([1.0, 2.0]), np.array([0, 0])))
