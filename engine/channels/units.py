"""Physical unit conversion to the canonical units (µV, %, mmHg)."""

from __future__ import annotations

_VOLT = {"v": 1e6, "mv": 1e3, "uv": 1.0, "µv": 1.0, "μv": 1.0, "nv": 1e-3}


def _norm(unit: str) -> str:
    return unit.strip().replace(" ", "").lower()


def unit_factor(unit: str, target: str) -> float:
    """Multiply a signal in ``unit`` by this to express it in ``target``. Unknown or
    arbitrary units give 1.0 (the model z-scores each channel anyway)."""
    u, t = _norm(unit), _norm(target)
    if u == t or not u:
        return 1.0
    if t in _VOLT and u in _VOLT:
        return _VOLT[u] / _VOLT[t]
    if t == "mmhg" and u == "kpa":
        return 7.50062
    if t == "%" and u in ("fraction", "ratio"):
        return 100.0
    return 1.0
