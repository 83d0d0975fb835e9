"""Annotations of an EDF+/BDF+ file, read by our own linear-time TAL reader, and the
range check every annotation passes before anything is allocated from it.

A scoring built from an annotation allocates one slot per 30-s epoch it covers, so a
damaged file whose one stage lasts 3e9 s (or an event at 1e10 s) would ask for gigabytes:
``sanitize_annotations`` drops onsets that are not finite or lie outside the recording
(a week for an annotation-only file) and clips durations to its end, with a warning.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator

from engine.io.edf_header import MAX_RECORDING_S, RawHeader
from engine.io.tal import parse_tals, record_onset

READ_BLOCK_BYTES = 8 * 1024 * 1024  # records are read a few MB at a time
TOLERANCE_S = 1.0  # an onset this far past the end (rounding of record times) is kept
OVERHANG_S = 30.0  # an annotation may run this far past the end (its epoch cut by it)


def _record_blocks(h: RawHeader, n_records: int) -> Iterator[tuple[int, bytes]]:
    """(first record, bytes of whole records) for the file's records, a few MB at a time."""
    size = h.record_size
    per = max(1, READ_BLOCK_BYTES // max(size, 1))
    with open(h.path, "rb") as f:
        for r0 in range(0, n_records, per):
            n = min(per, n_records - r0)
            buf = os.pread(f.fileno(), n * size, h.header_bytes + r0 * size)
            if len(buf) < n * size:
                n = len(buf) // size
                if n == 0:
                    return
                buf = buf[: n * size]
            yield r0, buf


def _annotation_slices(h: RawHeader) -> list[tuple[int, int]]:
    """Byte ranges [b0, b1) of the annotation signals inside one data record."""
    out, off = [], 0
    for s in h.signals:
        n = s.samples_per_record * h.bytes_per_sample
        if s.is_annotation:
            out.append((off, off + n))
        off += n
    return out


def _record_slices(h: RawHeader, n_records: int, b0: int, b1: int) -> Iterator[bytes]:
    """Bytes [b0, b1) of every data record. When that slice is a small part of a record
    (the annotation channel of a PSG), one positioned read per record instead of
    reading every signal's samples."""
    size = h.record_size
    if (b1 - b0) * 4 < size:
        with open(h.path, "rb") as f:
            fd = f.fileno()
            for r in range(n_records):
                raw = os.pread(fd, b1 - b0, h.header_bytes + r * size + b0)
                if len(raw) < b1 - b0:
                    return
                yield raw
        return
    for _r0, buf in _record_blocks(h, n_records):
        for k in range(len(buf) // size):
            yield buf[k * size + b0: k * size + b1]


def read_raw_annotations(h: RawHeader, n_records: int) -> list[tuple[float, float, str]]:
    """Every (onset_s, duration_s, text) of the file's annotation signals, in file order
    (record by record), time-keeping TALs (empty text) included."""
    slices = _annotation_slices(h)
    out: list[tuple[float, float, str]] = []
    if not slices:
        return out
    lo, hi = min(b0 for b0, _ in slices), max(b1 for _, b1 in slices)
    for raw in _record_slices(h, n_records, lo, hi):
        for b0, b1 in slices:
            for onset, dur, texts in parse_tals(raw[b0 - lo: b1 - lo]):
                out.extend((onset, dur, t) for t in texts)
    return out


def read_record_onsets(h: RawHeader, n_records: int) -> list[float | None]:
    """Each data record's onset (its first TAL) in seconds, None where it is missing."""
    slices = _annotation_slices(h)
    if not slices:
        return [None] * n_records
    b0, b1 = slices[0]
    out: list[float | None] = [record_onset(raw) for raw in _record_slices(h, n_records, b0, b1)]
    return out + [None] * (n_records - len(out))


def sanitize_annotations(
    anns: list[tuple[float, float, str]], end_s: float | None, name: str
) -> tuple[list[tuple[float, float, str]], list[str]]:
    """Keep annotations inside [0, end_s] (``end_s`` None or 0: an annotation-only file,
    bounded by a week); clip durations to the end. Returns (kept, warnings)."""
    limit = end_s if end_s and end_s > 0 else MAX_RECORDING_S
    kept: list[tuple[float, float, str]] = []
    dropped = clipped = 0
    for onset, dur, text in anns:
        onset, dur = float(onset), float(dur or 0.0)
        if not math.isfinite(onset) or onset < -TOLERANCE_S or onset > limit + TOLERANCE_S:
            dropped += 1
            continue
        if not math.isfinite(dur) or dur < 0:
            dur = 0.0
        onset = max(0.0, onset)
        if onset + dur > limit + OVERHANG_S:  # (a last epoch cut by the end is normal)
            dur = max(0.0, limit - onset)
            clipped += 1
        kept.append((onset, dur, text))
    warnings = []
    where = f"{name}: " if name else ""
    span = (f"the {limit:g}-s recording" if end_s and end_s > 0
            else f"{MAX_RECORDING_S / 86400:g} days (the longest a study may span)")
    if dropped:
        warnings.append(f"{where}{dropped} annotation(s) starting outside {span} dropped")
    if clipped:
        warnings.append(f"{where}{clipped} annotation(s) lasting past {span} clipped")
    return kept, warnings


def first_tal_bytes(h: RawHeader) -> int | None:
    """Length of the first record's time-keeping TAL (up to its NUL), None when the file
    has no annotation signal, -1 when that TAL is missing or unterminated. Libraries that
    parse it with a regular expression (edfio) are safe only when it is short."""
    slices = _annotation_slices(h)
    if not slices:
        return None
    b0, b1 = slices[0]
    with open(h.path, "rb") as f:
        raw = os.pread(f.fileno(), b1 - b0, h.header_bytes + b0)
    end = raw.find(b"\x00")
    if end < 0 or record_onset(raw) is None:
        return -1
    return end
