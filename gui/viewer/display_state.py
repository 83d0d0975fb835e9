"""Per-channel display settings (no Qt): order, visibility, scale, invert, filter."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from engine.api import DEFAULT_FILTERS, ChannelMap, DisplayFilter, signal_kind

KIND_ORDER = ("eeg", "eog", "emg", "ecg", "flow", "resp", "snore", "spo2", "capno", "other")
MAX_DEFAULT_VISIBLE = 24
GAIN_STEP = 1.5

# physical units spanned by one channel row at default gain, and the value at its centre
DEFAULT_SCALE: dict[str, tuple[float, float]] = {
    "eeg": (150.0, 0.0), "eog": (300.0, 0.0), "emg": (60.0, 0.0), "ecg": (1500.0, 0.0),
    "spo2": (20.0, 90.0), "capno": (50.0, 20.0),
}


@dataclass(frozen=True)
class ChannelDisplay:
    sig: int  # index in study.signals
    label: str
    unit: str
    kind: str
    visible: bool
    scale: float  # physical units spanned by one row
    center: float  # physical value drawn at the row's centre
    inverted: bool = False
    filter: DisplayFilter = DisplayFilter(enabled=False)
    mapped_to: str | None = None  # canonical channel, if any
    display_factor: float = 1.0  # physical unit -> the unit shown (V -> µV: 1e6)
    display_unit: str = ""  # "" = the file's unit

    def scale_text(self) -> str:
        v = self.scale * self.display_factor
        txt = f"{v:.3g}" if v < 1000 else f"{v:,.0f}"
        unit = self.display_unit or self.unit
        unit = {"uV": "µV", "uv": "µV", "degC": "°C", "DegC": "°C"}.get(unit, unit)
        return f"{txt} {unit}".strip() + " /row"


def _auto_scale(study, sig: int) -> tuple[float, float]:
    """Scale for a signal of unknown kind: robust range of its first five minutes."""
    info = study.signals[sig]
    y = study.read(sig, 0.0, min(300.0, study.duration_s))
    y = y[np.isfinite(y)]
    if len(y) == 0:
        return max(info.physical_max - info.physical_min, 1e-9), 0.0
    lo, hi = np.percentile(y, [1, 99])
    span = float(hi - lo)
    if span <= 0:
        span = max(abs(float(hi)), 1.0)
    return span * 1.2, float((hi + lo) / 2)


ELECTRO = ("eeg", "eog", "emg", "ecg")
_TO_MICROVOLT = {"v": 1e6, "mv": 1e3, "uv": 1.0, "µv": 1.0, "μv": 1.0}


def _display_unit(kind: str, unit: str) -> tuple[float, str]:
    """Electrophysiology is shown in µV whatever the file stores (Nox writes volts)."""
    f = _TO_MICROVOLT.get(unit.strip().lower())
    if kind in ELECTRO and f is not None:
        return f, "µV"
    return 1.0, ""


def initial_display(study, chmap: ChannelMap) -> list[ChannelDisplay]:
    rows = []
    for s in study.signals:
        kind = signal_kind(s.display_label, s.unit, chmap)
        factor, dunit = _display_unit(kind, s.unit)
        usable_default = kind in DEFAULT_SCALE and (
            dunit == "µV" if kind in ELECTRO else s.unit.strip().lower() in ("%", "mmhg", ""))
        if usable_default:
            scale_d, center_d = DEFAULT_SCALE[kind]
            scale, center = scale_d / factor, center_d / factor
        else:
            scale, center = _auto_scale(study, s.index)
            if kind == "snore":
                center = 0.0
        rows.append(ChannelDisplay(
            sig=s.index, label=s.display_label, unit=s.unit, kind=kind, visible=True,
            scale=scale, center=center, filter=DEFAULT_FILTERS.get(kind, DisplayFilter(enabled=False)),
            mapped_to=chmap.canonical_of(s.display_label), display_factor=factor, display_unit=dunit,
        ))
    rows = sort_rows(rows)
    if len(rows) > MAX_DEFAULT_VISIBLE:
        # big montages (Nox: 89 signals with impedances): show mapped and clinical ones
        keep = [r for r in rows if r.mapped_to] + [r for r in rows if not r.mapped_to and
                                                   r.kind not in ("other",) and "IMP" not in r.label.upper()]
        keep_ids = {r.sig for r in keep[:MAX_DEFAULT_VISIBLE]}
        rows = [replace(r, visible=r.sig in keep_ids) for r in rows]
    return rows


def sort_rows(rows: list[ChannelDisplay]) -> list[ChannelDisplay]:
    """Clinical montage order: by kind (EEG, EOG, EMG, ...), mapped channels first, file
    order within; virtual rows (reconstructions, sig < 0) after the real ones of a kind."""
    return sorted(rows, key=lambda r: (KIND_ORDER.index(r.kind) if r.kind in KIND_ORDER else 99,
                                       r.sig < 0, r.mapped_to is None, abs(r.sig)))


def gain(row: ChannelDisplay, up: bool) -> ChannelDisplay:
    return replace(row, scale=row.scale / GAIN_STEP if up else row.scale * GAIN_STEP)
