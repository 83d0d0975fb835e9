"""Saving and loading model weights without ever executing code from a file.

Our format: one safetensors file.  Tensors ``mae.<param>`` are the PedSleepMAE weights,
``probe.<name>`` the probe / reference-set arrays; the safetensors metadata holds JSON
strings: ``format`` ("pedsleep-mae/1"), ``config`` (ModelConfig), ``probes`` (probe
metadata: class names, thresholds, ...), ``info`` (training record), ``fitted_on`` (what
the probes were fitted on: ``{"kind": "generated"|"real", "n_studies": n,
"validation_kappa": k, "validation_on": "generated"|"real"}``; absent in older files, which
then count as not fitted on real scorings).

Reference checkpoints (``torch.save({"state_dict": ..., "epoch": n})`` from
sauravpandey123/PedSleepMAE) load with ``torch.load(weights_only=True)``; their
configuration is inferred from the tensor shapes (heads default to 4 as in the paper).
Anything else raises ``CheckpointError`` with a one-line reason.
"""

from __future__ import annotations

import json
import os
import re
import struct
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from engine.errors import CheckpointError, shorten
from engine.model.checkpoint_checks import (
    check_probes,
    check_size,
    config_from_dict,
    parse_json_meta,
)
from engine.model.config import ModelConfig
from engine.model.mae import PedSleepMAE

FORMAT = "pedsleep-mae/1"


@dataclass
class LoadedModel:
    model: PedSleepMAE
    config: ModelConfig
    probes: dict[str, np.ndarray] = field(default_factory=dict)
    probe_meta: dict = field(default_factory=dict)
    info: dict = field(default_factory=dict)
    path: str = ""
    fitted_on: dict = field(default_factory=dict)  # see the module doc; {} when the file does not say


def _kind_of_file(path: Path) -> str:
    with open(path, "rb") as fh:
        head = fh.read(16)
    if len(head) >= 9:
        (n,) = struct.unpack("<Q", head[:8])
        if 2 <= n < 100_000_000 and head[8:9] == b"{":
            return "safetensors"
    if head[:2] == b"PK":
        return "torch-zip"
    if head[:1] == b"\x80":
        return "torch-legacy"
    return "unknown"


def save_model(path: str | os.PathLike, model: PedSleepMAE, *, probes: dict | None = None,
               probe_meta: dict | None = None, info: dict | None = None,
               half: bool = False, fitted_on: dict | None = None) -> None:
    """Write model (+ probes) as one safetensors file, atomically."""
    from safetensors.torch import save_file

    tensors = {}
    for k, v in model.state_dict().items():
        v = v.detach().cpu()
        tensors[f"mae.{k}"] = (v.half() if half and v.is_floating_point() else v).contiguous()
    for k, v in (probes or {}).items():
        t = torch.as_tensor(np.asarray(v))
        if half and t.is_floating_point() and k.startswith("ref.points"):
            t = t.half()  # the outlier reference set only; probe weights stay float32
        tensors[f"probe.{k}"] = t.contiguous()
    meta = {
        "format": FORMAT,
        "config": model.cfg.to_json(),
        "probes": json.dumps(probe_meta or {}),
        "info": json.dumps(info or {}),
    }
    if fitted_on:
        meta["fitted_on"] = json.dumps(fitted_on)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    save_file(tensors, str(tmp), metadata=meta)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


def infer_reference_config(sd: dict[str, torch.Tensor], n_heads: int = 4) -> ModelConfig:
    """Configuration of a reference-format state_dict from its tensor shapes."""
    try:
        emb_dim = sd["encoder.cls_token"].shape[-1]
        _, n_chans, s1, _ = sd["encoder.pos_embedding"].shape
        patch_size = sd["encoder.patch_projection.projection.weight"].shape[1]
        width = sd["encoder.layer_norm.weight"].shape[0]
        hidden = sd["encoder.transformer.0.mlp.fc1.weight"].shape[0]
    except KeyError as exc:
        raise CheckpointError(f"not a PedSleepMAE state_dict (no {exc.args[0]})") from None

    def depth(prefix):
        idx = {int(m.group(1)) for k in sd if (m := re.match(rf"{prefix}\.transformer\.(\d+)\.", k))}
        return max(idx) + 1 if idx else 0

    if width != n_chans * emb_dim:
        raise CheckpointError("state_dict has inconsistent widths")
    return ModelConfig(
        name="paper" if emb_dim == 64 else f"reference-e{emb_dim}", patch_size=patch_size,
        emb_dim=emb_dim, enc_depth=depth("encoder"), dec_depth=depth("decoder"),
        n_heads=n_heads, mlp_ratio=hidden / width,
        qkv_bias="encoder.transformer.0.attn.qkv.bias" in sd,
        token_layout="reference", n_chans=n_chans, n_times=(s1 - 1) * patch_size,
    )


def _model_from_state_dict(sd, cfg: ModelConfig, path) -> PedSleepMAE:
    model = PedSleepMAE(cfg)
    sd = {k: v.float() if v.is_floating_point() else v for k, v in sd.items()}
    missing, unexpected = model.load_state_dict(sd, strict=False)
    missing = [k for k in missing if k != "encoder.mask_token"]
    if missing or unexpected:
        raise CheckpointError(
            f"{path}: weights do not fit the {cfg.name} model "
            f"(missing {missing[:3]}, unexpected {unexpected[:3]})"
        )
    if "encoder.mask_token" not in sd:
        with torch.no_grad():
            model.encoder.mask_token.zero_()
    return model.eval()


def load_model(path: str | os.PathLike, *, n_heads: int = 4) -> LoadedModel:
    """Load our safetensors model or a reference ``.pt`` checkpoint (weights only)."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: no such model file")
    kind = _kind_of_file(path)
    if kind == "safetensors":
        from safetensors import safe_open

        try:
            with safe_open(str(path), framework="pt") as f:
                meta = f.metadata() or {}
                tensors = {k: f.get_tensor(k) for k in f.keys()}
        except Exception as exc:  # noqa: BLE001 - any parse failure is "not a checkpoint"
            raise CheckpointError(f"{path}: not a readable safetensors file ({exc})") from None
        sd = {k[4:]: v for k, v in tensors.items() if k.startswith("mae.")}
        if not sd:  # plain safetensors state_dict without our prefixes
            sd = {k: v for k, v in tensors.items() if k.startswith(("encoder.", "decoder."))}
        # every metadata field is validated before anything is built from it
        # (engine/model/checkpoint_checks.py): CheckpointError, never JSONDecodeError & co.
        if "config" in meta:
            cfg = config_from_dict(parse_json_meta(meta["config"], "config", path.name), path.name)
        else:
            cfg = infer_reference_config(sd, n_heads)
            check_size(cfg, path.name)
        probe_meta = parse_json_meta(meta.get("probes"), "probes", path.name)
        info = parse_json_meta(meta.get("info"), "info", path.name)
        fitted_on = parse_json_meta(meta.get("fitted_on"), "fitted_on", path.name)
        try:
            probes = {k[6:]: v.float().numpy() if v.is_floating_point() else v.numpy()
                      for k, v in tensors.items() if k.startswith("probe.")}
        except (TypeError, RuntimeError) as exc:
            raise CheckpointError(f"{path.name}: a probe array cannot be read ({exc})") from None
        check_probes(probes, probe_meta, cfg, path.name)
        model = _model_from_state_dict(sd, cfg, path)
        return LoadedModel(model, cfg, probes, probe_meta, info, str(path), fitted_on)
    if kind in ("torch-zip", "torch-legacy"):
        try:
            obj = torch.load(str(path), map_location="cpu", weights_only=True)
        except Exception as exc:  # noqa: BLE001
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise CheckpointError(
                f"{path}: refused to load - not a plain weights file ({shorten(first, 160)})"
            ) from None
        found = obj.get("state_dict", obj.get("model", obj)) if isinstance(obj, dict) else None
        if not isinstance(found, dict) or not all(isinstance(v, torch.Tensor) for v in found.values()):
            raise CheckpointError(f"{path}: no state_dict of tensors inside")
        sd = {k.removeprefix("module."): v for k, v in found.items()}
        cfg_d = obj.get("config") if isinstance(obj, dict) else None
        if isinstance(cfg_d, dict):
            cfg = config_from_dict(cfg_d, path.name)
        else:
            cfg = infer_reference_config(sd, n_heads)
            check_size(cfg, path.name)
        model = _model_from_state_dict(sd, cfg, path)
        info = {"epoch": obj.get("epoch")} if isinstance(obj, dict) and "epoch" in obj else {}
        return LoadedModel(model, cfg, {}, {}, info, str(path))
    raise CheckpointError(f"{path}: not a model checkpoint (expected .safetensors or a torch weights file)")
