"""Validation of everything a model file declares, before anything is allocated from it.

A model file is input like any other: its JSON metadata may be malformed, its config may
ask for a 50-layer, 16k-wide transformer, a probe may have the wrong shape for the
model's embeddings. Every check raises ``CheckpointError`` with one line naming the file
and the field; nothing here allocates more than the file itself holds.
"""

from __future__ import annotations

import dataclasses
import json
import math
from typing import Any

import numpy as np

from engine.channels.canonical import EPOCH_SAMPLES, N_CANONICAL
from engine.errors import CheckpointError, shorten
from engine.model.config import ModelConfig

MAX_PARAMETERS = 300_000_000  # the paper model has 76.6 M; beyond this a file is hostile
MAX_META_CHARS = 4_000_000  # JSON metadata larger than this is not ours

# (field, allowed python types, lower bound, upper bound) of ModelConfig
_CONFIG_FIELDS: dict[str, tuple[tuple[type, ...], float | None, float | None]] = {
    "name": ((str,), None, None),
    "patch_size": ((int,), 1, EPOCH_SAMPLES),
    "emb_dim": ((int,), 1, 512),
    "enc_depth": ((int,), 1, 48),
    "dec_depth": ((int,), 0, 48),
    "n_heads": ((int,), 1, 128),
    "mlp_ratio": ((int, float), 0.125, 16.0),
    "qkv_bias": ((bool,), None, None),
    "token_layout": ((str,), None, None),
    "n_chans": ((int,), N_CANONICAL, N_CANONICAL),
    "n_times": ((int,), EPOCH_SAMPLES, EPOCH_SAMPLES),
    "mask_ratio": ((int, float), 0.0, 1.0),
    "channel_drop_p": ((int, float), 0.0, 1.0),
    "channel_drop_max": ((int,), 0, N_CANONICAL),
}


def parse_json_meta(raw: Any, field: str, name: str) -> dict:
    """A metadata entry that must hold a JSON object."""
    if raw is None:
        return {}
    if isinstance(raw, dict):
        return raw
    if not isinstance(raw, str) or len(raw) > MAX_META_CHARS:
        raise CheckpointError(f"{name}: metadata '{field}' is not a JSON text of sane size")
    try:
        val = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise CheckpointError(f"{name}: metadata '{field}' is not valid JSON ({shorten(str(exc), 80)})") from None
    if not isinstance(val, dict):
        raise CheckpointError(f"{name}: metadata '{field}' is not a JSON object")
    return val


def config_from_dict(d: Any, name: str) -> ModelConfig:
    """A ModelConfig from untrusted data: every field typed and bounded, the parameter
    count bounded, before the model is built."""
    if not isinstance(d, dict):
        raise CheckpointError(f"{name}: the model configuration is not an object")
    known = {f.name for f in dataclasses.fields(ModelConfig)}
    kw: dict[str, Any] = {}
    for key, val in d.items():
        if key not in known:
            continue
        types, lo, hi = _CONFIG_FIELDS[key]
        if isinstance(val, bool) and bool not in types:
            raise CheckpointError(f"{name}: config '{key}' is {val!r}, not a number")
        if not isinstance(val, types):
            raise CheckpointError(f"{name}: config '{key}' has the wrong type ({type(val).__name__})")
        if isinstance(val, float) and not math.isfinite(val):
            raise CheckpointError(f"{name}: config '{key}' is {val!r}")
        if lo is not None and hi is not None and not lo <= val <= hi:  # type: ignore[operator]
            raise CheckpointError(f"{name}: config '{key}' is {val!r}, outside {lo:g}..{hi:g}")
        kw[key] = val
    for key in ("name", "patch_size", "emb_dim", "enc_depth", "dec_depth", "n_heads"):
        if key not in kw:
            raise CheckpointError(f"{name}: config has no '{key}'")
    try:
        cfg = ModelConfig(**kw)
    except (TypeError, ValueError, ZeroDivisionError) as exc:
        raise CheckpointError(f"{name}: inconsistent model configuration ({exc})") from None
    check_size(cfg, name)
    return cfg


def check_size(cfg: ModelConfig, name: str) -> None:
    """Refuse a configuration whose transformer would exceed MAX_PARAMETERS."""
    w = cfg.width
    per_block = (4 + 2 * cfg.mlp_ratio) * w * w
    n = (cfg.enc_depth + cfg.dec_depth) * per_block + cfg.n_chans * cfg.n_patches * w
    if cfg.n_heads > w or n > MAX_PARAMETERS:
        raise CheckpointError(
            f"{name}: the configuration asks for about {n / 1e6:.0f} M parameters "
            f"(at most {MAX_PARAMETERS / 1e6:.0f} M); not a PedSleepMAE model file"
        )


def _shape(probes: dict, key: str, want: tuple, name: str) -> tuple:
    """Check ``probes[key]``'s shape against ``want`` (None: any size); return its shape."""
    a = probes[key]
    got = tuple(a.shape)
    if len(got) != len(want) or any(w is not None and g != w for g, w in zip(got, want)):
        raise CheckpointError(
            f"{name}: probe '{key}' has shape {got}, expected {tuple('n' if w is None else w for w in want)}"
        )
    if a.dtype.kind == "f" and not np.isfinite(a).all():
        raise CheckpointError(f"{name}: probe '{key}' holds NaN or infinite values")
    return got


def check_probes(probes: dict[str, np.ndarray], probe_meta: dict, cfg: ModelConfig, name: str) -> None:
    """Every probe array has the shape the model's embeddings need, and finite values."""
    w = cfg.width
    e = 3 * w  # epoch embedding: see engine/inference/runner.py
    if "stage.w" in probes:
        need = ("stage.mean", "stage.std", "stage.b", "stage.temperature", "stage.context")
        for k in need:
            if k not in probes:
                raise CheckpointError(f"{name}: the stage probe has no '{k}'")
        context = bool(np.asarray(probes["stage.context"]).reshape(-1)[:1].any())
        f = 2 * e if context else e
        _shape(probes, "stage.w", (5, f), name)
        for k in ("stage.mean", "stage.std"):
            _shape(probes, k, (f,), name)
        _shape(probes, "stage.b", (5,), name)
        _shape(probes, "stage.temperature", (1,), name)
        _shape(probes, "stage.context", (1,), name)
        if not (probes["stage.std"] > 0).all() or not probes["stage.temperature"][0] > 0:
            raise CheckpointError(f"{name}: the stage probe's scale is not positive")
    if "event.w" in probes:
        for k in ("event.pca_mean", "event.pca_comp", "event.mean", "event.std", "event.b",
                  "event.temperature", "event.threshold"):
            if k not in probes:
                raise CheckpointError(f"{name}: the event heads have no '{k}'")
        _shape(probes, "event.pca_mean", (w,), name)
        _, k = _shape(probes, "event.pca_comp", (w, None), name)
        from engine.model.probes import multiscale_features

        m = multiscale_features(np.zeros((4, k), np.float32)).shape[1] if 0 < k <= w else -1
        if m < 1:
            raise CheckpointError(f"{name}: probe 'event.pca_comp' keeps {k} of {w} dimensions")
        _shape(probes, "event.mean", (m,), name)
        _shape(probes, "event.std", (m,), name)
        t, _ = _shape(probes, "event.w", (None, m), name)
        for key in ("event.b", "event.temperature", "event.threshold"):
            _shape(probes, key, (t,), name)
        types = probe_meta.get("event_types")
        if types is not None and (not isinstance(types, list) or len(types) != t
                                  or not all(isinstance(x, str) for x in types)):
            raise CheckpointError(f"{name}: metadata 'event_types' does not match the {t} event heads")
        if not (probes["event.std"] > 0).all() or not (probes["event.temperature"] > 0).all():
            raise CheckpointError(f"{name}: the event heads' scale is not positive")
    ref = {k[4:]: v for k, v in probes.items() if k.startswith("ref.")}
    if ref:
        for k in ("e_mean", "e_std", "pca_mean"):
            if k in ref:
                _shape(probes, "ref." + k, (e,), name)
        p = None
        if "pca_comp" in ref:
            _, p = _shape(probes, "ref.pca_comp", (e, None), name)
        if "points" in ref:
            _shape(probes, "ref.points", (None, p), name)
        for k in ("knn_quantiles", "recon_quantiles"):
            if k in ref:
                _shape(probes, "ref." + k, (None,), name)
    c = cfg.n_chans
    for k, want in (("recon.alpha", (c,)), ("recon.rmse_z", (c,)), ("recon.typical_center", (c,)),
                    ("recon.typical_scale", (c,)), ("recon.moments", (c + 1, c + 1))):
        if k in probes:
            _shape(probes, k, want, name)
