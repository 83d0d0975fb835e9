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


def set_threads(n: int | None = None) -> int:
    """Set torch intra-op threads once (default: min(2, cores), or PEDSLEEP_THREADS)."""
    if n is None:
        n = int(os.environ.get("PEDSLEEP_THREADS", "0")) or min(2, os.cpu_count() or 1)
    torch.set_num_threads(max(1, n))
    return torch.get_num_threads()
