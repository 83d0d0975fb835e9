"""Per-channel display settings (no Qt): order, visibility, scale, invert, filter, colour.

The rows a study opens with come from each signal's type (engine.channels.types: label,
unit, transducer, rate and a few minutes of the signal itself), a filter its rate can
carry, and a scale from its own robust amplitude (engine.signal.scales). Event-code and
checksum channels are hidden; a large file opens with the built-in PSG montage; a saved
montage reorders, recolours, re-gains and adds derivations A − B.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from engine.api import (
    KINDS,
    LARGE_FILE_SIGNALS,
    ChannelMap,
    ChannelType,
    DisplayFilter,
    RowScale,
    apply_filter,
    builtin_psg_montage,
    classify_signal,
    default_filter,
    row_scale,
)

KIND_ORDER = KINDS
MAX_DEFAULT_VISIBLE = LARGE_FILE_SIGNALS
GAIN_STEP = 1.5
SAMPLE_WINDOWS_S = 30.0  # the amplitude is measured on three 30-s windows: start, middle, end


@dataclass(frozen=True)
class ChannelDisplay:
    sig: int  # index in study.signals (derivations after the file's); < 0: reconstructed
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
    sfreq_hz: float = 0.0
    detail: str = ""  # the type's detail ("thermistor", "CPAP flow", ...)
    colour: tuple[int, int, int] | None = None  # None: the kind's colour
    range_text: str = ""  # a fixed range shown instead of "x /row" (SpO2 "80–100 %")
    steps: tuple[tuple[float, str], ...] = ()  # labelled levels (body position)
    note: str = ""  # a correction made on opening (unit read from the amplitude)
    default_scale: float = 0.0  # the scale it opened with (gain is relative to it)
    reconstruction: str = ""  # "" recorded; "flat" / "missing": a reconstructed row

    @property
    def reconstructed(self) -> bool:
        return self.sig < 0

    @property
    def gain(self) -> float:
        return self.default_scale / self.scale if self.default_scale and self.scale else 1.0

    def scale_text(self) -> str:
        if self.range_text and abs(self.gain - 1.0) < 1e-9:
            return self.range_text
        return RowScale(self.scale, self.center, self.display_factor,
                        self.display_unit or self.unit).text()


def sample_windows(study, sig: int) -> list[np.ndarray]:
    """Three windows of a signal (its start, middle and end; all of a short study) for
    typing and scaling."""
    dur = float(study.duration_s)
    if dur <= 3 * SAMPLE_WINDOWS_S:
        return [study.read(sig, 0.0, dur)]
    return [study.read(sig, t, t + SAMPLE_WINDOWS_S)
            for t in (0.0, dur / 2 - SAMPLE_WINDOWS_S / 2, dur - SAMPLE_WINDOWS_S)]


def row_for_signal(study, info, chmap: ChannelMap | None, ctype: ChannelType | None = None,
                   values: np.ndarray | None = None, parts: list | None = None) -> ChannelDisplay:
    if parts is None:
        parts = sample_windows(study, info.index) if values is None else [values]
    y = np.concatenate(parts)
    t = ctype or classify_signal(info, y)
    kind = t.kind
    if kind == "other" and chmap is not None:  # a label only the mapping knows
        canon = chmap.canonical_of(info.display_label)
        if canon:
            from engine.api import CANONICAL_CHANNELS, CANONICAL_NAMES

            kind = CANONICAL_CHANNELS[CANONICAL_NAMES.index(canon)].kind
    filt = default_filter(kind, info.sfreq_hz, t.detail)
    seg = y
    if filt.enabled:  # each window filtered on its own: no step at the joins
        seg = np.concatenate([apply_filter(np.asarray(p, np.float32), info.sfreq_hz, filt) for p in parts])
    rs = row_scale(kind, info.unit, seg, highpassed=bool(filt.enabled and filt.highpass_hz),
                   physical_range=(info.physical_min, info.physical_max), detail=t.detail)
    return ChannelDisplay(
        sig=info.index, label=info.display_label, unit=info.unit, kind=kind, visible=not t.hidden,
        scale=rs.scale, center=rs.center, filter=filt,
        mapped_to=chmap.canonical_of(info.display_label) if chmap is not None else None,
        display_factor=rs.display_factor, display_unit=rs.display_unit, sfreq_hz=info.sfreq_hz,
        detail=t.detail, range_text=rs.range_text, steps=rs.steps, note=rs.note,
        default_scale=rs.scale)


def initial_display(study, chmap: ChannelMap) -> list[ChannelDisplay]:
    """The rows a study opens with: every signal typed and scaled, hidden kinds hidden;
    more than LARGE_FILE_SIGNALS signals: the built-in PSG montage."""
    rows, types = [], []
    for s in study.signals:
        parts = sample_windows(study, s.index)
        t = classify_signal(s, np.concatenate(parts))
        types.append(t)
        rows.append(row_for_signal(study, s, chmap, t, parts=parts))
    if len(rows) > MAX_DEFAULT_VISIBLE:
        m = builtin_psg_montage([(s.display_label, t, s.sfreq_hz) for s, t in zip(study.signals, types)])
        by_label = {r.label: r for r in rows}
        ordered = [replace(by_label[mr.plus], visible=mr.visible) for mr in m.rows
                   if mr.minus is None and mr.plus in by_label]
        seen = {r.sig for r in ordered}
        return ordered + [replace(r, visible=False) for r in rows if r.sig not in seen]
    return sort_rows(rows)


def kind_rank(kind: str) -> int:
    return KIND_ORDER.index(kind) if kind in KIND_ORDER else len(KIND_ORDER)


def sort_rows(rows: list[ChannelDisplay]) -> list[ChannelDisplay]:
    """Clinical order by kind (EEG, EOG, chin, legs, ECG, flow, ...), mapped channels first,
    file order within; reconstructed rows after the recorded ones of their kind."""
    return sorted(rows, key=lambda r: (kind_rank(r.kind), r.sig < 0, r.mapped_to is None, abs(r.sig)))


def insert_virtual(rows: list[ChannelDisplay], virtual: list[ChannelDisplay]) -> list[ChannelDisplay]:
    """``rows`` in their order (a montage's), each reconstructed row right below the
    recorded row it stands for, else after the last row of its kind, else at the end."""
    out = [r for r in rows if r.sig >= 0]
    for v in virtual:
        at = None
        for i, r in enumerate(out):
            if r.sig >= 0 and v.mapped_to is not None and r.mapped_to == v.mapped_to:
                at = i + 1
                break
        if at is None:
            for i, r in enumerate(out):
                if kind_rank(r.kind) <= kind_rank(v.kind):
                    at = i + 1
            at = 0 if at is None else at
        out.insert(at, v)
    return out


def gain(row: ChannelDisplay, up: bool) -> ChannelDisplay:
    return replace(row, scale=row.scale / GAIN_STEP if up else row.scale * GAIN_STEP)


def extend_to_edges(x: np.ndarray, y: np.ndarray, t0: float, t1: float, sfreq_hz: float):
    """A low-rate channel drawn to both edges of the window: its first and last values are
    held to ``t0`` and ``t1`` (a 1-Hz channel otherwise stops a second short of the right
    edge, a 1/60-Hz one shows a single point)."""
    if len(x) == 0 or not sfreq_hz or sfreq_hz >= 20:
        return x, y
    xs, ys = [np.asarray(x, np.float64)], [np.asarray(y, np.float32)]
    if x[-1] < t1 - 1e-9:
        xs.append(np.array([t1]))
        ys.append(np.array([y[-1]], np.float32))
    if x[0] > t0 + 1e-9:
        xs.insert(0, np.array([t0]))
        ys.insert(0, np.array([y[0]], np.float32))
    return np.concatenate(xs), np.concatenate(ys)


# --- montages -------------------------------------------------------------------------------

def hex_colour(rgb: tuple[int, int, int] | None) -> str | None:
    return None if rgb is None else "#{:02x}{:02x}{:02x}".format(*rgb)


def rgb_colour(text: str | None) -> tuple[int, int, int] | None:
    if not text or not isinstance(text, str) or len(text) != 7 or not text.startswith("#"):
        return None
    try:
        return tuple(int(text[i:i + 2], 16) for i in (1, 3, 5))  # type: ignore[return-value]
    except ValueError:
        return None


def filter_to_dict(f: DisplayFilter) -> dict:
    return {"highpass_hz": f.highpass_hz, "lowpass_hz": f.lowpass_hz, "notch_hz": f.notch_hz,
            "enabled": f.enabled}


def filter_from_dict(d: dict | None) -> DisplayFilter | None:
    if not isinstance(d, dict):
        return None

    def hz(k):
        v = d.get(k)
        return float(v) if isinstance(v, (int, float)) and v > 0 else None

    return DisplayFilter(hz("highpass_hz"), hz("lowpass_hz"), hz("notch_hz"), bool(d.get("enabled", True)))


def apply_montage_row(row: ChannelDisplay, mr, notch_hz: float | None = None) -> ChannelDisplay:
    """``row`` (a signal's default display) with a montage row's settings."""
    f = filter_from_dict(mr.filter)
    new = replace(row, visible=mr.visible, colour=rgb_colour(mr.colour) or None)
    if f is not None:
        if f.enabled and notch_hz and row.kind in ("eeg", "eog", "emg", "leg", "ecg", "snore"):
            f = f.with_notch(notch_hz)
        new = replace(new, filter=f.for_rate(row.sfreq_hz))
    g = float(mr.gain) if mr.gain and mr.gain > 0 else 1.0
    base = row.default_scale or row.scale
    return replace(new, scale=base / g)


def montage_rows(rows: list[ChannelDisplay], derived=None) -> tuple:
    """Montage rows for the recorded rows (reconstructions are not part of a montage)."""
    from engine.api import MontageRow

    out = []
    for r in rows:
        if r.sig < 0:
            continue
        plus, minus = r.label, None
        if derived is not None and r.sig >= derived.n_file_signals:
            d = derived.derivations[r.sig - derived.n_file_signals]
            plus, minus = d.plus, d.minus
        out.append(MontageRow(plus, minus, r.visible, hex_colour(r.colour), round(r.gain, 4),
                              filter_to_dict(r.filter)))
    return tuple(out)


def as_steps(x: np.ndarray, y: np.ndarray):
    """A coded channel (body position) drawn as steps: each value held until the next
    sample, never a slope between two positions."""
    if len(x) < 2:
        return x, y
    xs = np.repeat(np.asarray(x, np.float64), 2)[1:]
    ys = np.repeat(np.asarray(y, np.float32), 2)[:-1]
    return xs, ys
