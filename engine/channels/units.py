"""Physical unit conversion to the canonical units (µV, %, mmHg)."""

from __future__ import annotations

import numpy as np

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


# --- units as a scorer reads them ----------------------------------------------------------

# volts to microvolts, matched case-insensitively: "MV" in a header is millivolts (nobody
# records megavolts), "UV" microvolts
MICROVOLTS_PER: dict[str, float] = {"v": 1e6, "mv": 1e3, "uv": 1.0, "µv": 1.0, "μv": 1.0, "nv": 1e-3}
_PRETTY = {"uv": "µV", "µv": "µV", "μv": "µV", "mv": "mV", "v": "V", "nv": "nV", "degc": "°C",
           "deg": "°", "bpm": "bpm", "cmh2o": "cmH2O", "l/s": "L/s", "l/min": "L/min", "ml": "mL",
           "-": "", "%": "%"}

# a robust peak-to-peak (1st-99th percentile, display-filtered) that is plausible for each
# electrophysiological kind, in µV: a declared unit that puts the signal outside is wrong
PLAUSIBLE_SPAN_UV: dict[str, tuple[float, float]] = {
    "eeg": (3.0, 3000.0), "eog": (5.0, 5000.0), "emg": (0.5, 3000.0), "leg": (0.5, 5000.0),
    "ecg": (20.0, 5000.0),
}
IMPLAUSIBLE_BY = 10.0  # a declared unit is overruled only when it is this far off


def pretty_unit(unit: str) -> str:
    """The unit as printed: 'uV' and 'UV' -> 'µV', 'MV' -> 'mV', 'DegC' -> '°C'."""
    return _PRETTY.get(_norm(unit), unit.strip())


def microvolt_factor(unit: str, kind: str, robust_span: float | None = None) -> tuple[float, str]:
    """(factor turning the file's values into µV, note) for an electrophysiological signal.

    The declared unit is matched case-insensitively and then checked against the signal's
    robust peak-to-peak ``robust_span`` (in the file's units): when it is implausible for
    ``kind`` and another reading of the unit is plausible, that reading wins and the note
    says so (DREAMS writes "MV" for an ECG whose values are in the hundreds: µV)."""
    declared = MICROVOLTS_PER.get(_norm(unit))
    lo, hi = PLAUSIBLE_SPAN_UV.get(kind, (0.0, float("inf")))
    if robust_span is None or not np.isfinite(robust_span) or robust_span <= 0:
        return (declared if declared is not None else 1.0), ""
    if declared is not None and lo / IMPLAUSIBLE_BY <= robust_span * declared <= hi * IMPLAUSIBLE_BY:
        return declared, ""
    centre = np.sqrt(lo * hi)
    options = [f for f in (1.0, 1e3, 1e6) if lo <= robust_span * f <= hi]
    if not options:
        return (declared if declared is not None else 1.0), ""
    best = min(options, key=lambda f: abs(np.log(robust_span * f / centre)))
    if declared is not None and best == declared:
        return declared, ""
    named = {1.0: "µV", 1e3: "mV", 1e6: "V"}[best]
    said = unit.strip() or "no unit"
    return best, f"unit '{said}' read as {named} (amplitude)"


_SI = ((1e-12, "p"), (1e-9, "n"), (1e-6, "µ"), (1e-3, "m"), (1.0, ""), (1e3, "k"), (1e6, "M"))
# units an SI prefix may be put in front of (a Nox belt in H, a microphone in Pa)
_PREFIXABLE = {"V", "H", "Pa", "g", "s", "Ω", "Ohm", "A", "L", "lx", "V/s", "g/s", "W"}


def engineering(value: float, unit: str) -> str:
    """A value with its unit, 3 significant digits, never in e-notation; SI prefix for
    SI units: 9.08e-05 V -> '90.8 µV', 1200 µV -> '1.2 mV', 5.4e-9 H -> '5.4 nH', 5 % -> '5 %'."""
    unit = pretty_unit(unit)
    for p, mult in (("µ", 1e-6), ("m", 1e-3), ("n", 1e-9), ("k", 1e3)):
        if unit.startswith(p) and unit[len(p):] in _PREFIXABLE:  # "µV", "mV", "kPa"
            value, unit = value * mult, unit[len(p):]
            break
    if unit in _PREFIXABLE and value != 0 and np.isfinite(value):
        mult, prefix = _SI[0]
        for m, p in _SI:
            if abs(value) >= m * 0.9995:
                mult, prefix = m, p
        if unit in ("V", "L") and mult > 1.0:  # nobody reads kV or kL off a PSG
            mult, prefix = 1.0, ""
        if unit == "V" and mult < 1e-6:  # scorers read µV: 0.51 µV, not 510 nV
            mult, prefix = 1e-6, "µ"
        return f"{_num(value / mult)} {prefix}{unit}"
    return f"{_num(value)} {unit}".strip()


def _num(v: float) -> str:
    if not np.isfinite(v):
        return "?"
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    if v != 0 and abs(v) < 1e-3:
        return f"{v:.8f}".rstrip("0")
    return f"{v:.3g}"
