"""Crafted model files: every metadata field is validated before anything is built from
it, and a probe of the wrong shape is refused at load, not in the middle of `score`
(issue 14). Each variant is the shipped model with one field damaged."""

from __future__ import annotations

import json
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from engine.errors import CheckpointError
from engine.model.checkpoint import load_model

MODEL = Path(__file__).resolve().parents[3] / "resources" / "model" / "pedsleep-compact.safetensors"


@pytest.fixture(scope="module")
def shipped():
    from safetensors import safe_open

    if not MODEL.is_file():
        pytest.skip("the shipped model is absent")
    with safe_open(str(MODEL), framework="np") as f:
        meta = dict(f.metadata() or {})
        tensors = {k: f.get_tensor(k) for k in f.keys()}
    return meta, tensors


def _write(tmp_path: Path, meta: dict, tensors: dict, name: str) -> Path:
    from safetensors.numpy import save_file

    p = tmp_path / f"{name}.safetensors"
    save_file({k: np.ascontiguousarray(v) for k, v in tensors.items()}, str(p), metadata=meta)
    return p


def _cfg(meta, **change):
    d = json.loads(meta["config"])
    d.update(change)
    return json.dumps(d)


META_CASES = {
    "config not JSON": lambda m: {**m, "config": "{not json"},
    "config a list": lambda m: {**m, "config": "[1, 2]"},
    "config huge width": lambda m: {**m, "config": _cfg(m, emb_dim=100_000)},
    "config huge depth": lambda m: {**m, "config": _cfg(m, enc_depth=10_000)},
    "config zero heads": lambda m: {**m, "config": _cfg(m, n_heads=0)},
    "config heads not dividing": lambda m: {**m, "config": _cfg(m, n_heads=7)},
    "config patch not dividing": lambda m: {**m, "config": _cfg(m, patch_size=7)},
    "config depth as text": lambda m: {**m, "config": _cfg(m, enc_depth="2")},
    "config depth as bool": lambda m: {**m, "config": _cfg(m, enc_depth=True)},
    "config nan ratio": lambda m: {**m, "config": _cfg(m, mlp_ratio=float("nan"))},
    "config 17 channels": lambda m: {**m, "config": _cfg(m, n_chans=17)},
    "config without name": lambda m: {**m, "config": json.dumps({k: v for k, v in json.loads(m["config"]).items() if k != "name"})},
    "probes meta not JSON": lambda m: {**m, "probes": "]["},
    "probes meta a number": lambda m: {**m, "probes": "3"},
    "info a list": lambda m: {**m, "info": "[]"},
    "fitted_on not JSON": lambda m: {**m, "fitted_on": "{"},
    "event_types too short": lambda m: {**m, "probes": json.dumps({**json.loads(m["probes"]), "event_types": ["Arousal"]})},
}

TENSOR_CASES = {
    "stage probe wrong width": lambda t: {**t, "probe.stage.w": t["probe.stage.w"][:, :100]},
    "stage probe wrong classes": lambda t: {**t, "probe.stage.w": np.vstack([t["probe.stage.w"]] * 2)},
    "stage probe NaN": lambda t: {**t, "probe.stage.std": np.full_like(t["probe.stage.std"], np.nan)},
    "stage probe zero scale": lambda t: {**t, "probe.stage.std": np.zeros_like(t["probe.stage.std"])},
    "stage probe part missing": lambda t: {k: v for k, v in t.items() if k != "probe.stage.b"},
    "event heads wrong pca": lambda t: {**t, "probe.event.pca_comp": t["probe.event.pca_comp"][:100]},
    "event heads wrong features": lambda t: {**t, "probe.event.mean": t["probe.event.mean"][:7]},
    "event thresholds wrong count": lambda t: {**t, "probe.event.threshold": t["probe.event.threshold"][:2]},
    "reference set wrong shape": lambda t: {**t, "probe.ref.points": t["probe.ref.points"][:, :5]},
    "reconstruction moments wrong": lambda t: {**t, "probe.recon.moments": t["probe.recon.moments"][:4, :4]},
}


@pytest.mark.parametrize("case", sorted(META_CASES))
def test_damaged_metadata_is_a_checkpoint_error(tmp_path, shipped, case):
    meta, tensors = shipped
    p = _write(tmp_path, META_CASES[case](dict(meta)), tensors, "m")
    tracemalloc.start()
    t0 = time.perf_counter()
    try:
        with pytest.raises(CheckpointError, match=r"m\.safetensors"):
            load_model(p)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert time.perf_counter() - t0 < 30  # refused before building anything (the memory bound is the real check)
    assert peak < 200e6, f"{case}: {peak / 1e6:.0f} MB allocated before refusing"


@pytest.mark.parametrize("case", sorted(TENSOR_CASES))
def test_probe_of_the_wrong_shape_is_refused_at_load(tmp_path, shipped, case):
    meta, tensors = shipped
    p = _write(tmp_path, dict(meta), TENSOR_CASES[case](dict(tensors)), "m")
    with pytest.raises(CheckpointError, match="probe|heads"):
        load_model(p)


def test_the_shipped_model_and_the_reference_checkpoint_still_load(shipped, tmp_path):
    meta, tensors = shipped
    lm = load_model(_write(tmp_path, dict(meta), dict(tensors), "copy"))
    assert lm.config.name == "compact" and "stage.w" in lm.probes
    ref = Path(__file__).resolve().parents[4] / "shared" / "data" / "reference-checkpoint" / "reference_pedsleepmae_small.pt"
    if ref.is_file():
        assert load_model(ref).config.token_layout == "reference"


def test_runner_refuses_a_wrong_probe_before_scoring(tmp_path, shipped):
    from engine.inference.runner import ModelRunner

    meta, tensors = shipped
    p = _write(tmp_path, dict(meta), TENSOR_CASES["stage probe wrong width"](dict(tensors)), "m")
    with pytest.raises(CheckpointError):
        ModelRunner.load(p, device="cpu")
