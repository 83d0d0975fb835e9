"""Extra signals appended to an EDF+ export: a model-reconstructed channel the scorer
accepted, clearly labelled as reconstructed, next to the source's untouched signals.

* `ExtraSignal` — one signal in physical units covering the whole recording from 0 s
  (NaN where nothing was reconstructed).
* `reconstruction_signal(parts, sfreq_hz, duration_s, label, unit)` — stitches the
  per-epoch reconstruction pieces the GUI keeps (``(start_s, mean)`` tuples or
  ``engine.inference.results.ChannelReconstruction`` objects) into one `ExtraSignal`.
* `reconstructed_label(label)` — the EDF label rule (16 characters at most):
  ``"<label> recon"``, the label cut to 10 characters (trailing ``" -_."`` dropped) when
  the whole does not fit: ``SPO2`` → ``SPO2 recon``, ``RESP THORACIC`` → ``RESP THORA recon``.
  The transducer field (80 characters) always says ``reconstructed by PedSleepMAE`` and
  the sidecar keeps the full channel name.

How `export_edf_plus` writes one (see `encode_extra_signal`):

* samples per data record = ``sfreq_hz × record duration`` of the source. When that is
  not a whole number, the signal is linearly resampled to ``ceil(sfreq_hz × record) /
  record`` Hz (e.g. 128 Hz into 0.1-s records → 130 Hz) and the report says so;
* physical range = finite min/max of the data widened by 5 % of the span on each side
  (±max(5 % of |value|, 1) for a constant signal), rounded outwards to the 8 characters
  EDF allows; digital range = the full 16-bit (EDF) or 24-bit (BDF) range;
* NaN (not reconstructed) is written as the **digital minimum**, which plain readers see
  as the physical minimum — below every reconstructed value, since the reconstructed
  samples are clipped to ``digital minimum + 1`` and up. The sidecar records this
  (``"nan_written_as": "digital_minimum"``);
* data shorter or longer than the recording is padded with NaN / cut (warned when off by
  more than one data record).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

RECON_TRANSDUCER = "reconstructed by PedSleepMAE"
RECON_SUFFIX = " recon"
EDF_LABEL_CHARS = 16
NAN_WRITTEN_AS = "digital_minimum"

_EDF_DIGITAL = (-32768, 32767)
_BDF_DIGITAL = (-8388608, 8388607)


@dataclass(frozen=True, eq=False)
class ExtraSignal:
    """One extra signal for `export_edf_plus(..., extra_signals=[...])`.

    ``label`` is the channel it stands for (canonical name, e.g. ``"SPO2"``); the EDF label
    written is `reconstructed_label(label)` (``edf_label``). ``data`` is ``[n_samples]``
    physical values at ``sfreq_hz`` from the recording start, covering the whole recording
    (``duration_s × sfreq_hz`` samples), NaN where nothing was reconstructed.
    ``accepted_by``/``created_at``/``reason`` go to the sidecar only (``created_at``: ISO
    8601, None = the export time).
    """

    label: str
    sfreq_hz: float
    unit: str
    data: np.ndarray  # [n_samples] float, physical units, NaN = not reconstructed
    transducer: str = RECON_TRANSDUCER
    prefilter: str = ""
    source_channel: str | None = None  # canonical channel reconstructed; None = label
    reason: str = ""  # "missing" | "flat" | ""
    accepted_by: str = "human"
    created_at: str | None = None

    @property
    def edf_label(self) -> str:
        return reconstructed_label(self.label)

    @property
    def channel(self) -> str:
        return self.source_channel or self.label


def _ascii(text: str, n: int) -> str:
    text = text.replace("µ", "u").replace("μ", "u").replace("°", "deg")
    return text.encode("ascii", "replace").decode("ascii").strip()[:n]


def reconstructed_label(label: str) -> str:
    """The EDF label (≤ 16 ASCII characters) of a reconstructed ``label``."""
    base = _ascii(label, 64) or "SIGNAL"
    if base.lower().endswith(RECON_SUFFIX.strip()):
        base = base[: -len(RECON_SUFFIX.strip())].rstrip(" -_.") or base
    room = EDF_LABEL_CHARS - len(RECON_SUFFIX)
    if len(base) > room:
        base = base[:room].rstrip(" -_.")
    return base + RECON_SUFFIX


def reconstruction_signal(
    recon_parts: Iterable[Any],
    sfreq_hz: float,
    duration_s: float,
    label: str,
    unit: str,
    *,
    reason: str = "",
    accepted_by: str = "human",
    created_at: str | None = None,
    source_channel: str | None = None,
    transducer: str = RECON_TRANSDUCER,
    prefilter: str = "",
) -> ExtraSignal:
    """Stitch reconstruction pieces into one whole-night `ExtraSignal`.

    ``recon_parts``: ``(start_s, mean)`` tuples, or objects with ``.start_s`` and ``.mean``
    (a ``ChannelReconstruction``; its ``sfreq_hz``, when present, must equal ``sfreq_hz``).
    A piece is placed at sample ``round(start_s × sfreq_hz)``; parts past the end are cut;
    a later piece overwrites an earlier one where they overlap. Samples no piece covers
    stay NaN.
    """
    if sfreq_hz <= 0 or duration_s <= 0:
        raise ValueError("sfreq_hz and duration_s must be positive")
    n = int(round(duration_s * sfreq_hz))
    out = np.full(n, np.nan, dtype=np.float64)
    for part in recon_parts:
        if not hasattr(part, "start_s"):
            start_s, mean = part
        else:
            start_s, mean = part.start_s, part.mean
            fs = getattr(part, "sfreq_hz", None)
            if fs is not None and abs(float(fs) - sfreq_hz) > 1e-9:
                raise ValueError(f"a piece at {start_s} s is at {fs} Hz, not {sfreq_hz} Hz")
        mean = np.asarray(mean, dtype=np.float64).ravel()
        i0 = int(round(float(start_s) * sfreq_hz))
        j0, j1 = max(i0, 0), min(i0 + len(mean), n)
        if j1 > j0:
            out[j0:j1] = mean[j0 - i0 : j1 - i0]
    return ExtraSignal(
        label=label,
        sfreq_hz=float(sfreq_hz),
        unit=unit,
        data=out,
        transducer=transducer,
        prefilter=prefilter,
        source_channel=source_channel,
        reason=reason,
        accepted_by=accepted_by,
        created_at=created_at,
    )


def _resample_linear(
    data: np.ndarray, sfreq_hz: float, new_sfreq_hz: float, n_out: int
) -> np.ndarray:
    """NaN-aware linear resampling onto ``n_out`` samples at ``new_sfreq_hz``: a new sample
    between two old ones is NaN when either is; past the data's end = NaN."""
    if len(data) == 0:
        return np.full(n_out, np.nan)
    pos = np.arange(n_out) * (sfreq_hz / new_sfreq_hz)
    i0 = np.floor(pos).astype(np.int64)
    frac = pos - i0
    inside = i0 <= len(data) - 1
    i0c = np.clip(i0, 0, len(data) - 1)
    i1c = np.clip(i0 + 1, 0, len(data) - 1)
    with np.errstate(invalid="ignore"):
        out = data[i0c] * (1.0 - frac) + data[i1c] * frac
    exact = frac < 1e-9  # on an old sample: take it as it is
    out[exact] = data[i0c[exact]]
    out[~inside] = np.nan
    return np.asarray(out, dtype=np.float64)  # already float64 (frac is)


@dataclass(frozen=True, eq=False)
class EncodedSignal:
    """What `encode_extra_signal` decided: digital samples and header values."""

    label: str
    sfreq_hz: float  # as written (after any resampling)
    samples_per_record: int
    digital: np.ndarray  # [num_records * samples_per_record] int16 (EDF) / int32 (BDF)
    physical_range: tuple[float, float]  # as the header will hold it
    digital_range: tuple[int, int]
    unit: str
    transducer: str
    prefilter: str
    n_reconstructed: int  # finite samples written
    resampled_from_hz: float | None
    warnings: tuple[str, ...]


# ``signal_cls`` is edfio.EdfSignal or edfio.BdfSignal; edfio is imported lazily (by the
# caller), so it is typed by what is used of it
def _header_range(
    signal_cls: Any,
    dtype: type[np.signedinteger[Any]],
    sfreq_hz: float,
    phys: tuple[float, float],
    dig: tuple[int, int],
) -> tuple[float, float]:
    """The physical range as edfio will store it (8-character fields, rounded outwards)."""
    probe = signal_cls.from_digital(
        np.array([dig[0]], dtype=dtype),
        sfreq_hz,
        physical_range=phys,
        digital_range=dig,
    )
    return (float(probe.physical_min), float(probe.physical_max))


def encode_extra_signal(
    sig: ExtraSignal,
    *,
    record_duration_s: float,
    num_records: int,
    bdf: bool,
    signal_cls: Any,  # edfio.EdfSignal / edfio.BdfSignal (see _header_range)
) -> EncodedSignal | None:
    """Digital samples for ``sig`` in a file of ``num_records`` records of
    ``record_duration_s``. None when it holds no finite sample (nothing to write)."""
    warnings: list[str] = []
    label = sig.edf_label
    data = np.asarray(sig.data, dtype=np.float64).ravel()
    if sig.sfreq_hz <= 0:
        raise ValueError(f"{label}: sampling rate must be positive, got {sig.sfreq_hz}")
    spr_exact = sig.sfreq_hz * record_duration_s
    resampled_from = None
    if abs(spr_exact - round(spr_exact)) < 1e-6 and round(spr_exact) >= 1:
        spr = int(round(spr_exact))
        fs = sig.sfreq_hz
    else:
        spr = max(1, math.ceil(spr_exact - 1e-6))
        fs = spr / record_duration_s
        resampled_from = sig.sfreq_hz
        warnings.append(
            f"{label}: {sig.sfreq_hz:g} Hz gives {spr_exact:g} samples per "
            f"{record_duration_s:g}-s data record (not a whole number); resampled to {fs:g} Hz"
        )
    n_out = spr * num_records
    if resampled_from is not None:
        data = _resample_linear(data, sig.sfreq_hz, fs, n_out)
    else:
        if abs(len(data) - n_out) > spr:
            warnings.append(
                f"{label}: {len(data)} samples for a {n_out}-sample recording; "
                + ("padded with 'not reconstructed'" if len(data) < n_out else "cut at its end")
            )
        if len(data) < n_out:
            data = np.concatenate([data, np.full(n_out - len(data), np.nan)])
        data = data[:n_out]
    finite = np.isfinite(data)
    if not finite.any():
        return None
    lo, hi = float(data[finite].min()), float(data[finite].max())
    span = hi - lo
    margin = 0.05 * span if span > 0 else max(0.05 * abs(lo), 1.0)
    dig = _BDF_DIGITAL if bdf else _EDF_DIGITAL
    dtype = np.int32 if bdf else np.int16
    pmin, pmax = _header_range(signal_cls, dtype, fs, (lo - margin, hi + margin), dig)
    gain = (pmax - pmin) / (dig[1] - dig[0])
    offset = pmax / gain - dig[1]  # edfio's calibration: physical = (digital + offset) * gain
    digital = np.full(n_out, dig[0], dtype=np.int64)
    digital[finite] = np.clip(np.round(data[finite] / gain - offset), dig[0] + 1, dig[1])
    transducer = sig.transducer or RECON_TRANSDUCER
    if "reconstructed" not in transducer.lower():
        transducer = f"{RECON_TRANSDUCER}; {transducer}"
    return EncodedSignal(
        label=label,
        sfreq_hz=fs,
        samples_per_record=spr,
        digital=digital.astype(dtype),
        physical_range=(pmin, pmax),
        digital_range=dig,
        unit=_ascii(sig.unit, 8),
        transducer=_ascii(transducer, 80),
        prefilter=_ascii(sig.prefilter, 80),
        n_reconstructed=int(finite.sum()),
        resampled_from_hz=resampled_from,
        warnings=tuple(warnings),
    )


def sidecar_entry(
    sig: ExtraSignal, enc: EncodedSignal, signal_index: int, exported_at: str
) -> dict[str, Any]:
    """The sidecar's record of one reconstructed signal."""
    return {
        "label": enc.label,
        "signal_index": signal_index,  # among the file's ordinary (non-annotation) signals
        "source_channel": sig.channel,
        "reconstructed": True,
        "model": "PedSleepMAE",
        "reason": sig.reason or None,
        "accepted_by": sig.accepted_by,
        "created_at": sig.created_at or exported_at,
        "unit": enc.unit,
        "sfreq_hz": enc.sfreq_hz,
        "resampled_from_hz": enc.resampled_from_hz,
        "transducer": enc.transducer,
        "physical_range": list(enc.physical_range),
        "digital_range": list(enc.digital_range),
        "nan_written_as": NAN_WRITTEN_AS,
        "reconstructed_s": enc.n_reconstructed / enc.sfreq_hz,
    }


def check_labels(extra: Sequence[ExtraSignal], source_labels: Iterable[str]) -> list[str]:
    """The EDF labels of ``extra``; ValueError on a clash with the source or each other."""
    taken = {s.strip() for s in source_labels}
    out = []
    for sig in extra:
        lab = sig.edf_label
        if lab in taken:
            raise ValueError(
                f"the reconstructed signal label {lab!r} is already used in the recording"
            )
        taken.add(lab)
        out.append(lab)
    return out
