"""Raw EDF/BDF header parsing and validation.

pyedflib and edfio are the first readers (see ``study.py``); this parser is what lets us
decode UTF-8 labels, memory-map the data records for fast lazy reads, and explain in one
line what is wrong with a file neither library accepts.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import re
from dataclasses import dataclass

from engine.errors import StudyError, show_bytes

MAX_SFREQ_HZ = 100_000.0  # above this a sampling rate is taken as a corrupt header
MAX_RECORD_S = 3600.0  # a data record longer than an hour is a corrupt header
MAX_RECORDING_S = 7 * 86400.0  # no sleep study (nor its annotations) spans more than a week
MAX_SIGNALS = 4096
BDF_MAGIC = b"\xffBIOSEMI"


@dataclass(frozen=True)
class RawSignalHeader:
    label: str
    transducer: str
    unit: str
    physical_min: float
    physical_max: float
    digital_min: int
    digital_max: int
    prefilter: str
    samples_per_record: int

    @property
    def is_annotation(self) -> bool:
        return self.label.strip() in ("EDF Annotations", "BDF Annotations")


@dataclass(frozen=True)
class RawHeader:
    path: str
    is_bdf: bool
    variant: str  # "EDF", "EDF+C", "EDF+D", "BDF", "BDF+C", "BDF+D"
    patient: str
    recording: str
    start: dt.datetime
    header_bytes: int
    n_records_declared: int  # -1 allowed by the spec (unknown)
    n_records: int  # complete records actually present in the file
    record_duration_s: float
    signals: tuple[RawSignalHeader, ...]
    file_size: int
    warnings: tuple[str, ...]

    @property
    def bytes_per_sample(self) -> int:
        return 3 if self.is_bdf else 2

    @property
    def record_size(self) -> int:
        return sum(s.samples_per_record for s in self.signals) * self.bytes_per_sample

    @property
    def is_discontinuous(self) -> bool:
        return self.variant.endswith("+D")


def _text(raw: bytes) -> str:
    """Header text: EDF says ASCII; real files carry UTF-8 (Nox) or Latin-1."""
    try:
        s = raw.decode("utf-8")
    except UnicodeDecodeError:
        s = raw.decode("latin-1")
    return s.replace("\x00", " ").strip()


def _number(raw: bytes, what: str, path: str, cast=float):
    """A numeric header field: finite, and a whole number of sane size when ``cast`` is int
    (an 8-character field holds at most 99,999,999)."""
    s = raw.decode("latin-1").strip().replace(",", ".")
    name = os.path.basename(path)
    try:
        v = float(s)
    except ValueError:
        raise StudyError(f"{name}: header field '{what}' is not a number ({show_bytes(raw.strip())})") from None
    if not math.isfinite(v) or abs(v) > 1e15:
        raise StudyError(f"{name}: header field '{what}' is {s!r}, not a usable number")
    if cast is int:
        if v != int(v):
            raise StudyError(f"{name}: header field '{what}' is {s!r}, not a whole number")
        return int(v)
    return v


EDF_PLUS_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")


def parse_edf_plus_date(text: str) -> dt.date | None:
    """``02-MAY-1951`` (an EDF+ birthdate or start date; month in any case) as a date."""
    m = re.fullmatch(r"(\d{2})-([A-Za-z]{3})-(\d{4})", text.strip())
    if not m or m.group(2).upper() not in EDF_PLUS_MONTHS:
        return None
    try:
        return dt.date(int(m.group(3)), EDF_PLUS_MONTHS.index(m.group(2).upper()) + 1, int(m.group(1)))
    except ValueError:
        return None


def edf_plus_date_text(d: dt.date) -> str:
    """A date as EDF+ writes it: ``02-MAY-1951`` (upper-case month, as readers check)."""
    return f"{d.day:02d}-{EDF_PLUS_MONTHS[d.month - 1]}-{d.year:04d}"


def _parse_start(date_raw: bytes, time_raw: bytes, recording: str) -> dt.datetime:
    date_s = date_raw.decode("latin-1").strip()
    time_s = time_raw.decode("latin-1").strip()
    try:
        d, m, y = (int(x) for x in re.split(r"[.:\-/]", date_s)[:3])
        hh, mm, ss = (int(x) for x in re.split(r"[.:\-/]", time_s)[:3])
        year = 1900 + y if y >= 85 else 2000 + y
        # EDF+ keeps the 4-digit year in the recording field: "Startdate 24-APR-1989 ..."
        m4 = re.match(r"Startdate\s+\d{2}-[A-Z]{3}-(\d{4})", recording)
        if m4:
            year = int(m4.group(1))
        return dt.datetime(year, m, d, hh, mm, ss)
    except (ValueError, IndexError):
        # a wrong clock must not stop a tech from reading the night
        return dt.datetime(1985, 1, 1)


def read_raw_header(path: str) -> RawHeader:
    """Parse and validate the header; raise StudyError with one clear line when unusable."""
    name = os.path.basename(path)
    try:
        size = os.path.getsize(path)
        with open(path, "rb") as f:
            head = f.read(256)
            version = head[:8]
            is_bdf = version == BDF_MAGIC
            looks_edf = is_bdf or version == b"0       "
            if len(head) < 256:
                if looks_edf:
                    raise StudyError(
                        f"{name} is truncated inside its header (only {len(head)} bytes); "
                        "nothing to open"
                    )
                raise StudyError(f"{name}: not an EDF/BDF file (only {len(head)} bytes)")
            if not is_bdf and version.strip() != b"0":
                raise StudyError(f"{name}: not an EDF/BDF file (version field {show_bytes(version)})")
            ns = _number(head[252:256], "number of signals", path, int)
            if ns < 1 or ns > MAX_SIGNALS:
                raise StudyError(f"{name}: header says {ns} signals; the file is corrupt")
            header_bytes = _number(head[184:192], "header bytes", path, int)
            rest = f.read(256 * ns)
    except OSError as exc:
        raise StudyError(f"{name}: cannot be read ({exc.strerror or exc})") from None
    if len(rest) < 256 * ns:
        raise StudyError(
            f"{name} is truncated inside its header ({256 + len(rest)} of {256 * (ns + 1)} "
            "header bytes); nothing to open"
        )
    warnings: list[str] = []
    if header_bytes != 256 * (ns + 1):
        warnings.append(f"header-bytes field says {header_bytes}, expected {256 * (ns + 1)}")
        header_bytes = 256 * (ns + 1)
    patient = _text(head[8:88])
    recording = _text(head[88:168])
    reserved = head[192:236].decode("latin-1").strip()
    n_declared = _number(head[236:244], "number of data records", path, int)
    rec_dur = _number(head[244:252], "duration of a data record", path)

    def field(offset: int, width: int) -> list[bytes]:
        base = offset * ns
        return [rest[base + i * width: base + (i + 1) * width] for i in range(ns)]

    labels = field(0, 16)
    trans = field(16, 80)
    units = field(96, 8)
    pmin = field(104, 8)
    pmax = field(112, 8)
    dmin = field(120, 8)
    dmax = field(128, 8)
    prefilt = field(136, 80)
    spr = field(216, 8)

    signals = []
    for i in range(ns):
        label = _text(labels[i])
        sig = RawSignalHeader(
            label=label,
            transducer=_text(trans[i]),
            unit=_text(units[i]),
            physical_min=_number(pmin[i], f"physical minimum of '{label}'", path),
            physical_max=_number(pmax[i], f"physical maximum of '{label}'", path),
            digital_min=_number(dmin[i], f"digital minimum of '{label}'", path, int),
            digital_max=_number(dmax[i], f"digital maximum of '{label}'", path, int),
            prefilter=_text(prefilt[i]),
            samples_per_record=_number(spr[i], f"samples per record of '{label}'", path, int),
        )
        if sig.samples_per_record < 1:
            raise StudyError(f"{name}: signal '{label}' has {sig.samples_per_record} samples per record")
        if sig.digital_max <= sig.digital_min and not sig.is_annotation:
            raise StudyError(f"{name}: signal '{label}' has digital max <= digital min; the header is corrupt")
        signals.append(sig)

    if reserved.startswith("EDF+D") or reserved.startswith("BDF+D"):
        variant = ("BDF" if is_bdf else "EDF") + "+D"
    elif reserved.startswith(("EDF+C", "BDF+C")) or (is_bdf and reserved.startswith("BDF+")):
        variant = ("BDF" if is_bdf else "EDF") + "+C"
    else:
        variant = "BDF" if is_bdf else "EDF"

    if rec_dur < 0 or rec_dur > MAX_RECORD_S:
        raise StudyError(f"{name}: data record duration is {rec_dur:g} s; the header is corrupt")
    if rec_dur > 0:
        for s in signals:
            sf = s.samples_per_record / rec_dur
            if not s.is_annotation and sf > MAX_SFREQ_HZ:
                raise StudyError(
                    f"{name}: signal '{s.label}' claims {sf:g} Hz; the header is corrupt"
                )

    bps = 3 if is_bdf else 2
    rec_size = sum(s.samples_per_record for s in signals) * bps
    data_bytes = max(0, size - header_bytes)
    n_present = data_bytes // rec_size if rec_size else 0
    if n_declared == 0:
        raise StudyError(f"{name}: the file has no data records")
    if n_declared < -1:
        raise StudyError(f"{name}: header says {n_declared} data records; the header is corrupt")
    if n_declared < 0:
        n_records = n_present
        warnings.append(f"record count unknown (-1) in header; {n_present} records found")
    else:
        n_records = n_declared
    if n_records == 0:
        raise StudyError(f"{name}: the file has no data records")
    if min(n_records, max(n_present, 1)) * rec_dur > MAX_RECORDING_S:
        raise StudyError(
            f"{name}: header says {n_records} records of {rec_dur:g} s "
            f"({n_records * rec_dur / 86400:.0f} days); the header is corrupt"
        )
    return RawHeader(
        path=path, is_bdf=is_bdf, variant=variant, patient=patient, recording=recording,
        start=_parse_start(head[168:176], head[176:184], recording), header_bytes=header_bytes,
        n_records_declared=n_declared, n_records=n_records, record_duration_s=rec_dur,
        signals=tuple(signals), file_size=size, warnings=tuple(warnings),
    )


def check_size(h: RawHeader) -> tuple[int, str | None]:
    """Complete records present and a message when the file disagrees with its header."""
    name = os.path.basename(h.path)
    data_bytes = h.file_size - h.header_bytes
    n_present = data_bytes // h.record_size
    expected = h.n_records * h.record_size
    if data_bytes < expected:
        return n_present, (
            f"{name} is truncated: the header says {h.n_records} data records, "
            f"the file holds {n_present} complete ones"
        )
    if data_bytes > expected:
        extra = data_bytes - expected
        return h.n_records, (
            f"{name}: {extra} bytes after the {h.n_records} data records the header declares "
            "(the header lies about the record count)"
        )
    return h.n_records, None
