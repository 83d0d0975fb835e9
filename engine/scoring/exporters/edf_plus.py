"""Annotated EDF+ (or BDF+) export: the source's signals, bit-identical (same digital
values, same header fields — except what makes EDFlib-based readers such as pyedflib and
EDFbrowser refuse the file: a digital range outside the format's is rewritten with the
physical range that keeps every sample's value, ``_fix_digital_ranges``; a patient field
that is not EDF+ subfields, ``_as_edf_plus_patient``; header text outside ASCII,
``_ascii_header_text``; each change listed in the report's warnings), plus the scoring as
EDF+ annotations in docs/architecture.md's vocabulary (``Sleep stage W|N1|N2|N3|R|?`` one per epoch; ``Obstructive apnea``, ...,
``Lights off``/``Lights on``).

The annotation texts are plain labels, so MNE, EDFbrowser, pyedflib and edfio see exactly
``Sleep stage N2``. Provenance, confidence and channels go to a JSON sidecar
``OUT.edf.pedsleep.json`` (one entry per annotation, same order as the file's, plus the
whole scoring document), which `import_edf_annotations` reads back when present.

Signals are copied through edfio, which keeps the digital samples and header as read.
The file and its sidecar are written to temporary names beside the output and renamed
into place together (``engine.io.safe_output.output_set``: a full disk leaves neither);
the source is never written (exporting onto it, or onto its sidecar, is refused).

``extra_signals``: model-reconstructed channels the scorer accepted, appended after the
source's signals (before the annotation signal) as ``"SPO2 recon"`` with the transducer
``reconstructed by PedSleepMAE``; the source's signals and their headers stay exactly as
they were. See `engine.scoring.exporters.extra_signals` for the encoding (record-size
resampling, physical range, NaN as the digital minimum) and the sidecar's
``reconstructed_signals`` list.
"""

from __future__ import annotations

import datetime as _dt
import io
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, cast

from engine.errors import UserError

if TYPE_CHECKING:  # edfio is imported when an export runs, not at start-up
    import edfio
from engine.io.safe_output import output_set, refuse_overwrite
from engine.scoring.document import Scoring
from engine.scoring.exporters._common import (
    ExportOptions,
    FlatAnnotation,
    atomic_write,
    atomic_write_text,
    flat_annotations,
    refuse_same_file,
)
from engine.scoring.exporters.extra_signals import (
    ExtraSignal,
    check_labels,
    encode_extra_signal,
    sidecar_entry,
)

SIDECAR_SUFFIX = ".pedsleep.json"

@dataclass
class EdfExportReport:
    path: Path
    sidecar: Path | None
    n_annotations: int
    n_stage_annotations: int
    n_event_annotations: int
    recording_duration_s: float
    clipped_epochs: int = 0
    clipped_events: int = 0
    warnings: list[str] = field(default_factory=list)
    extra_signals: list[str] = field(default_factory=list)  # EDF labels of appended signals


def sidecar_path(edf_path: str | os.PathLike[str]) -> Path:
    p = Path(edf_path)
    return p.with_name(p.name + SIDECAR_SUFFIX)


def _field(raw: bytes | bytearray, start: int, n: int) -> str:
    return raw[start : start + n].decode("latin-1")


def _edf_plus_birthdate_field(text: str) -> bool:
    """``X`` or ``02-MAY-1951`` with the month in upper case, as EDF+ readers check it."""
    from engine.io.edf_header import parse_edf_plus_date

    return text == "X" or (parse_edf_plus_date(text) is not None and text == text.upper())


def _edf_plus_patient(text: str) -> bool:
    """``code sex birthdate name`` with sex M/F/X and birthdate ``02-MAY-1951`` or X, as
    EDF+ readers check it (pyedflib refuses the file otherwise)."""
    parts = text.split()
    return len(parts) >= 4 and parts[1] in ("M", "F", "X") and _edf_plus_birthdate_field(parts[2])


def _as_edf_plus_patient(text: str) -> str:
    """Free text as an EDF+ patient field: sex and birthdate when the text says them
    (``man - 28/03/1957`` → ``M 28-MAR-1957``), the whole text kept as the name."""
    from engine.io.edf_header import edf_plus_date_text, parse_edf_plus_date
    from engine.staging.demographics import birthdate_in_text, sex_in_text

    parts = text.split()
    if not parts:
        return "X X X X"
    if len(parts) >= 2 and parts[0] in ("M", "F", "X") and (parts[1] == "X" or parse_edf_plus_date(parts[1])):
        # sex, birthdate and name with the patient code left out (Nox writes "M X X")
        born = parts[1].upper()
        return " ".join(["X", parts[0], born, "_".join(parts[2:]) or "X"])[:80]
    if len(parts) >= 4 and parts[1] in ("M", "F", "X") and parse_edf_plus_date(parts[2]):
        parts[2] = parts[2].upper()  # "02-may-1951": readers want the month in capitals
        return " ".join(parts)[:80]
    male = sex_in_text(text)
    sex = "X" if male is None else ("M" if male else "F")
    birth = birthdate_in_text(text)
    born = edf_plus_date_text(birth) if birth is not None else "X"
    return f"X {sex} {born} " + "_".join(parts)[:80 - 5 - len(sex) - len(born)]


def _fix_edfplus_header(head: bytearray, is_bdf: bool, startdate: _dt.date | None) -> list[str]:
    """Make a plain-EDF main header EDF+ compliant in place (reserved ``EDF+C``, patient and
    recording subfields) without touching what is already compliant. An EDF+ source's
    header is left as it is, but for a patient field EDF+ readers refuse (Nox writes
    ``M X X``, without the patient code)."""
    notes: list[str] = []
    patient = _field(head, 8, 80).strip()
    if not _edf_plus_patient(patient):
        new = _as_edf_plus_patient(patient)
        head[8:88] = new.ljust(80).encode("latin-1", "replace")
        notes.append(f"patient field made EDF+ compliant: {new.strip()!r}")
    reserved = _field(head, 192, 44)
    if reserved.startswith(("EDF+", "BDF+")):
        return notes  # already EDF+: the rest of its header is kept exactly as it was
    tag = "BDF+C" if is_bdf else "EDF+C"
    head[192:236] = tag.ljust(44).encode("ascii")
    recording = _field(head, 88, 80).strip()
    parts = recording.split()
    if len(parts) < 5 or parts[0] != "Startdate":
        from engine.io.edf_header import edf_plus_date_text

        d = edf_plus_date_text(startdate) if startdate is not None else "X"
        new = (f"Startdate {d} X X X " + "_".join(parts))[:80].strip()
        head[88:168] = new.ljust(80).encode("latin-1", "replace")
        notes.append(f"recording field made EDF+ compliant: {new!r}")
    return notes


def _header_number(v: float) -> bytes | None:
    """``v`` in an 8-character EDF header field with as many decimals as fit; None when
    it does not fit without an exponent (readers refuse exponents)."""
    for decimals in range(7, -1, -1):
        text = f"{v:.{decimals}f}"
        if "." in text:
            text = text.rstrip("0").rstrip(".")
        if text in ("-0", ""):
            text = "0"
        if len(text) <= 8:
            return text.ljust(8).encode("ascii")
    return None


def _fix_digital_ranges(head: bytearray, n_signals: int, is_bdf: bool, labels: Sequence[str]) -> list[str]:
    """A signal whose digital minimum/maximum lie outside the format's sample range (the
    DREAMS excerpts say -72984..50277 for 16-bit samples) makes pyedflib and EDFbrowser
    refuse the whole file. Its samples are 16 (24) bits whatever the header says, so the
    range is rewritten as the format's full range, with the physical range that gives
    every sample the same value (the same gain and offset, to the header's 8 digits).
    The samples are not touched. ``head`` is the whole header (256 * (n + 1) bytes)."""
    lo, hi = (-8388608, 8388607) if is_bdf else (-32768, 32767)
    base = 256 + n_signals * (16 + 80 + 8)  # physical minimum fields
    pmin_at, pmax_at = base, base + 8 * n_signals
    dmin_at, dmax_at = base + 16 * n_signals, base + 24 * n_signals
    notes: list[str] = []
    for i in range(n_signals):
        try:
            pmin, pmax = float(_field(head, pmin_at + 8 * i, 8)), float(_field(head, pmax_at + 8 * i, 8))
            dmin, dmax = int(float(_field(head, dmin_at + 8 * i, 8))), int(float(_field(head, dmax_at + 8 * i, 8)))
        except ValueError:
            continue
        if lo <= dmin < dmax <= hi or dmax <= dmin or pmax == pmin:
            continue  # in range, or a range no sample mapping can be kept from
        label = labels[i] if i < len(labels) else f"signal {i + 1}"
        gain = (pmax - pmin) / (dmax - dmin)
        new_min = _header_number(pmin + (lo - dmin) * gain)
        new_max = _header_number(pmin + (hi - dmin) * gain)
        # the mapping is linear: if both ends read within a tenth of one step (the
        # recording's own resolution) of what they read before, every sample does
        if (new_min is None or new_max is None
                or abs(float(new_min) - (pmin + (lo - dmin) * gain)) > 0.1 * abs(gain)
                or abs(float(new_max) - (pmin + (hi - dmin) * gain)) > 0.1 * abs(gain)):
            notes.append(f"{label}: digital range {dmin}..{dmax} is outside the format's {lo}..{hi} and no "
                         "8-digit physical range keeps its samples' values; left as recorded (some readers "
                         "refuse it)")
            continue
        head[pmin_at + 8 * i: pmin_at + 8 * i + 8] = new_min
        head[pmax_at + 8 * i: pmax_at + 8 * i + 8] = new_max
        head[dmin_at + 8 * i: dmin_at + 8 * i + 8] = str(lo).ljust(8).encode("ascii")
        head[dmax_at + 8 * i: dmax_at + 8 * i + 8] = str(hi).ljust(8).encode("ascii")
        notes.append(f"{label}: digital range {dmin}..{dmax} is outside the format's {lo}..{hi}; written as "
                     f"{lo}..{hi} with physical range {new_min.decode().strip()}..{new_max.decode().strip()} "
                     "(every sample keeps its value)")
    return notes


_ASCII_FOR = {"°": "deg", "µ": "u", "μ": "u", "Ω": "Ohm", "²": "2", "³": "3", "ß": "ss", "Æ": "AE", "æ": "ae",
              "Ø": "O", "ø": "o", "Œ": "OE", "œ": "oe", "ł": "l", "Ł": "L", "’": "'", "‘": "'", "–": "-", "—": "-"}


def _ascii(text: str) -> str:
    """``text`` in printable ASCII, as EDF requires of its header (``Impédance`` →
    ``Impedance``, ``°`` → ``deg``, ``µV`` → ``uV``); anything else becomes ``_``."""
    import unicodedata

    out = []
    for ch in text:
        if 32 <= ord(ch) <= 126:
            out.append(ch)
        elif ch in _ASCII_FOR:
            out.append(_ASCII_FOR[ch])
        else:
            base = "".join(c for c in unicodedata.normalize("NFKD", ch) if 32 <= ord(c) <= 126)
            out.append(base or "_")
    return "".join(out)


def _ascii_header_text(head: bytearray, n_signals: int) -> list[str]:
    """Rewrite in place every header text field holding bytes outside printable ASCII
    (Nox writes its labels in UTF-8: ``1 Impédance``, units ``°``), which pyedflib and
    EDFbrowser refuse, as ASCII of the same width."""
    fields = [(8, 80), (88, 80), (192, 44)]  # patient, recording, reserved
    at = 256
    for width in (16, 80, 8):  # labels, transducers, units
        fields += [(at + width * i, width) for i in range(n_signals)]
        at += width * n_signals
    at += 32 * n_signals  # physical and digital ranges
    fields += [(at + 80 * i, 80) for i in range(n_signals)]  # prefilters
    at += (80 + 8) * n_signals  # prefilters, samples per record
    fields += [(at + 32 * i, 32) for i in range(n_signals)]  # reserved
    changed: list[str] = []
    for start, width in fields:
        raw = bytes(head[start:start + width])
        if all(32 <= b <= 126 for b in raw):
            continue
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = raw.decode("latin-1")
        new = _ascii(text.rstrip("\x00 ")).encode("ascii")[:width].ljust(width)
        head[start:start + width] = new
        changed.append(f"{text.strip()!r} → {new.decode().strip()!r}")
    if not changed:
        return []
    shown = ", ".join(dict.fromkeys(changed))
    return [f"{len(changed)} header text field(s) written in ASCII as EDF requires: "
            + (shown if len(shown) <= 200 else shown[:200] + "…")]


def _tolerate_float_durations(edf: Any) -> None:
    """edfio compares each signal's duration (samples / rate) to 12 decimals; a signal at
    1/60 Hz (a ResMed CRC channel) gives 15600.000000000002 s beside 15600.0 and the
    recording is refused although every signal fills the same records. For this one
    recording, compare to the microsecond instead (the records are not changed)."""
    import types

    from edfio import edf as edfio_edf

    def _set_num_data_records_with_signals(self: Any, signals: Any) -> None:
        if not signals:
            self._set_num_data_records(1)
            return
        durations = [round(s._num_samples / s.sampling_frequency, 6) for s in signals]
        if any(abs(v - durations[0]) > 1e-6 for v in durations[1:]):
            raise ValueError(f"Inconsistent signal durations (in seconds): {durations}")
        n = edfio_edf._calculate_num_data_records(durations[0], self.data_record_duration)
        if any(s._num_samples % n for s in signals):
            raise ValueError(f"Not all signal lengths can be split into {n} data records")
        self._set_num_data_records(n)

    edf._set_num_data_records_with_signals = types.MethodType(_set_num_data_records_with_signals, edf)


def export_edf_plus(
    source: str | os.PathLike[str],
    scoring: Scoring,
    out: str | os.PathLike[str],
    *,
    options: ExportOptions | None = None,
    sidecar: bool = True,
    extra_signals: Sequence[ExtraSignal] = (),
) -> EdfExportReport:
    """Write ``out``: ``source``'s signals + ``scoring`` as EDF+ annotations. Items at or
    after the end of the recording are left out (and counted in the report).

    ``extra_signals``: accepted reconstructions to append (labelled ``"<label> recon"``);
    the source's signals keep their digital samples and headers. One with no finite
    sample is left out with a warning."""
    import edfio

    options = options or ExportOptions()
    source, out = Path(source), Path(out)
    refuse_same_file(source, out)
    _check_source(source)
    try:
        with open(source, "rb") as fh:
            is_bdf = fh.read(1) == b"\xff"
        edf = edfio.read_bdf(source) if is_bdf else edfio.read_edf(source, lazy_load_data=True)
    except Exception as exc:  # noqa: BLE001
        raise UserError(f"cannot read the source recording {source.name}: {exc}") from exc
    if not edf.signals:
        raise UserError(f"{source.name} holds no signals; nothing to annotate")
    duration = float(edf.duration)
    anns, clipped = flat_annotations(scoring, options, end_s=duration)
    warnings = []
    if clipped["epochs"] or clipped["events"]:
        warnings.append(
            f"the scoring is longer than the recording ({duration:g} s): {clipped['epochs']} "
            f"scored epoch(s) and {clipped['events']} event(s) after its end left out"
        )
    edf_anns = [
        edfio.EdfAnnotation(
            round(a.onset_s, 6), round(a.duration_s, 6) if a.duration_s else None, a.text
        )
        for a in anns
    ]
    try:
        try:
            edf.set_annotations(edf_anns)
        except ValueError as exc:
            if "Inconsistent signal durations" not in str(exc):
                raise
            _tolerate_float_durations(edf)
            edf.set_annotations(edf_anns)
    except Exception as exc:  # noqa: BLE001
        raise UserError(f"cannot build the EDF+ annotations: {exc}") from exc
    exported_at = _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")
    recon_entries: list[dict[str, Any]] = []
    written_extra: list[str] = []
    if extra_signals:
        recon_entries, written_extra = _append_extra_signals(
            edf, list(extra_signals), is_bdf, exported_at, warnings
        )
    try:
        startdate = edf.startdate
    except Exception:  # noqa: BLE001 - anonymised date
        startdate = None

    def writer(fh: BinaryIO) -> None:
        # atomic_write hands the BufferedWriter of os.fdopen(fd, "wb")
        edf.write(cast(io.BufferedWriter, fh))  # a BufferedWriter over an O_RDWR descriptor
        fh.flush()
        head = bytearray(os.pread(fh.fileno(), 256, 0))
        warnings.extend(_fix_edfplus_header(head, is_bdf, startdate))
        n_signals = int(_field(head, 252, 4).strip() or 0)
        head += os.pread(fh.fileno(), 256 * n_signals, 256)
        labels = [_field(head, 256 + 16 * i, 16).strip() for i in range(n_signals)]
        warnings.extend(_fix_digital_ranges(head, n_signals, is_bdf, labels))
        warnings.extend(_ascii_header_text(head, n_signals))
        os.pwrite(fh.fileno(), bytes(head), 0)

    side = sidecar_path(out) if sidecar else None
    refuse_overwrite([out, side], [("recording", source), ("recording's sidecar", sidecar_path(source))])
    # the EDF and its sidecar appear together or not at all (a full disk leaves neither)
    with output_set():
        try:
            atomic_write(out, writer)
        except UserError:
            raise
        except Exception as exc:  # noqa: BLE001 - edfio's refusals come in many types
            raise UserError(f"cannot write {out.name} from {source.name}: {exc}") from exc
        if side is not None:
            data = _sidecar(source, anns, scoring, exported_at)
            data["reconstructed_signals"] = recon_entries
            atomic_write_text(side, json.dumps(data, ensure_ascii=False))
    return EdfExportReport(
        out,
        side,
        len(anns),
        sum(a.kind == "stage" for a in anns),
        sum(a.kind == "event" for a in anns),
        duration,
        clipped["epochs"],
        clipped["events"],
        warnings,
        written_extra,
    )


def _check_source(source: Path) -> None:
    """Validate the source with our own reader before edfio parses it: header numbers in
    range, not EDF+D, and a short first time-keeping TAL (edfio reads it with a regular
    expression that is quadratic on a damaged one)."""
    from engine.io import open_study
    from engine.io.annotations import first_tal_bytes

    study = open_study(source)
    try:
        continuous = study.is_continuous
        header = study.header
    finally:
        study.close()
    if not continuous:
        raise UserError(
            f"{source.name} is EDF+D (discontinuous); exporting onto it would lose its "
            "record times — export events.tsv or a hypnogram CSV instead"
        )
    first = first_tal_bytes(header)
    if first is not None and not 0 < first <= 256:
        raise UserError(
            f"{source.name}: the time-keeping annotation of its first record is damaged; "
            "export events.tsv or a hypnogram CSV instead"
        )


def _append_extra_signals(
    edf: edfio.Edf | edfio.Bdf, extra: list[ExtraSignal], is_bdf: bool, exported_at: str, warnings: list[str]
) -> tuple[list[dict[str, Any]], list[str]]:
    """Append ``extra`` to ``edf`` (after its ordinary signals); the sidecar entries and
    the labels written."""
    import edfio

    signal_cls = edfio.BdfSignal if is_bdf else edfio.EdfSignal
    record_s = float(edf.data_record_duration)
    if record_s <= 0:
        raise UserError("the recording has no data records to add a reconstructed signal to")
    n_source = len(edf.signals)
    try:
        check_labels(extra, [s.label for s in edf.signals])
        encoded = [
            encode_extra_signal(
                sig,
                record_duration_s=record_s,
                num_records=int(edf.num_data_records),
                bdf=is_bdf,
                signal_cls=signal_cls,
            )
            for sig in extra
        ]
    except ValueError as exc:
        raise UserError(f"cannot add the reconstructed signal: {exc}") from exc
    # EdfSignals for an Edf, BdfSignals for a Bdf: edfio types the pair apart, so the
    # list (built by the one signal_cls above) cannot be typed as either
    new: list[Any] = []
    entries: list[dict[str, Any]] = []
    labels: list[str] = []
    for sig, enc in zip(extra, encoded, strict=True):
        if enc is None:
            warnings.append(f"{sig.edf_label}: nothing reconstructed (all NaN); not exported")
            continue
        warnings.extend(enc.warnings)
        try:
            new.append(
                signal_cls.from_digital(
                    enc.digital,
                    enc.sfreq_hz,
                    label=enc.label,
                    transducer_type=enc.transducer,
                    physical_dimension=enc.unit,
                    physical_range=enc.physical_range,
                    digital_range=enc.digital_range,
                    prefiltering=enc.prefilter,
                )
            )
        except ValueError as exc:
            raise UserError(f"cannot add the reconstructed signal {enc.label}: {exc}") from exc
        entries.append(sidecar_entry(sig, enc, n_source + len(labels), exported_at))
        labels.append(enc.label)
    if new:
        try:
            edf.append_signals(new)
        except ValueError as exc:
            raise UserError(f"cannot add the reconstructed signal(s): {exc}") from exc
    return entries, labels


def _sidecar(
    source: Path, anns: list[FlatAnnotation], scoring: Scoring, exported_at: str | None = None
) -> dict[str, Any]:
    return {
        "format": "pedsleep-annotations",
        "version": 1,
        "source": source.name,
        "exported": exported_at or _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "annotations": [a.to_dict() for a in anns],
        "scoring": scoring.to_dict(),
    }
