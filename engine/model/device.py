"""Device choice and thread settings."""

from __future__ import annotations

import os

import torch

from engine.errors import UserError


def resolve_device(name: str = "auto") -> torch.device:
    """``auto`` -> CUDA when present, else CPU; ``cuda``/``cuda:N`` fail clearly when absent."""
    name = (name or "auto").lower()
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise UserError("--device cuda asked for, but no CUDA device is available")
    if name not in ("cpu",) and not name.startswith("cuda"):
        raise UserError(f"unknown device {name!r} (auto, cpu or cuda)")
    return torch.device(name)


def default_threads() -> int:
    """Half the cores, 1..4 (PEDSLEEP_THREADS overrides).  On a small shared machine more
    intra-op threads than free cores is much slower, not faster: measured here (2 cores,
    busy), the inference loop ran 25x faster with 1 thread than with 2."""
    env = int(os.environ.get("PEDSLEEP_THREADS", "0") or 0)
    return env or max(1, min(4, (os.cpu_count() or 2) // 2))


def set_threads(n: int | None = None) -> int:
    """Set torch intra-op threads once (default: ``default_threads()``)."""
    if n is None:
        n = default_threads()
    torch.set_num_threads(max(1, n))
    return torch.get_num_threads()
