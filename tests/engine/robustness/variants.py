"""Deterministic corrupted variants of the shared real recordings, for the fuzz tests.

Every variant is one real file with one kind of damage: a main-header field or a signal
header field replaced by a hostile value, the file cut short, the EDF+ annotation
channel filled with garbage or pathological TALs (an onset of thousands of digits, a
3e9-s stage, an event at 1e10 s), an EDF+D whose record onsets go backwards, or a few
random header bytes flipped. ``make_variants(src_dir, dst_dir, seed)`` writes them and
returns ``[(path, description)]``; the same seed gives the same files.
"""

from __future__ import annotations

import random
from pathlib import Path

SOURCES = (
    "sleep-edf/SC4001E0-PSG-first300s.edf",
    "sleep-edf/SC4001E0-PSG-first300s.bdf",
    "sleep-edf/SC4001EC-Hypnogram.edf",
    "resmed/20260111_210642_EVE.edf",
    "resmed/20260111_220919_PLD.edf",
    "annotations/hmc/SN001-annotations.edf",
    "dreams-dev/excerpt1.edf",
)

# (name, offset, width) of the main header
MAIN_FIELDS = (
    ("version", 0, 8), ("startdate", 168, 8), ("starttime", 176, 8), ("header_bytes", 184, 8),
    ("reserved", 192, 44), ("n_records", 236, 8), ("record_s", 244, 8), ("n_signals", 252, 4),
)
# (name, offset in the signal block per signal, width)
SIGNAL_FIELDS = (
    ("label", 0, 16), ("physical_min", 104, 8), ("physical_max", 112, 8),
    ("digital_min", 120, 8), ("digital_max", 128, 8), ("samples_per_record", 216, 8),
)
HOSTILE = (
    "inf", "-inf", "nan", "NaN", "-1", "0", "-0", "99999999", "1e308", "-1e308", "1e-300",
    "abc", "", "3.5", "-99", "0x10", "1,5", "\x00\x00\x00", "\xff\xfe", "1e9", "2047",
)


def _put(buf: bytearray, off: int, width: int, text: str) -> None:
    raw = text.encode("latin-1", "replace")[:width].ljust(width)
    buf[off: off + width] = raw


def _ns(data: bytes) -> int:
    try:
        return max(0, int(data[252:256].decode("latin-1").strip()))
    except ValueError:
        return 0


def _annotation_slot(data: bytes) -> tuple[int, int, int, int] | None:
    """(header_bytes, record_size, offset, size) of the first annotation signal's bytes
    within a data record, or None."""
    ns = _ns(data)
    bps = 3 if data[:1] == b"\xff" else 2
    base = 256
    spr = [int(data[base + 216 * ns + 8 * i: base + 216 * ns + 8 * i + 8].decode("latin-1").strip())
           for i in range(ns)]
    labels = [data[base + 16 * i: base + 16 * i + 16].decode("latin-1").strip() for i in range(ns)]
    off = 0
    for lab, n in zip(labels, spr):
        if lab in ("EDF Annotations", "BDF Annotations"):
            return 256 * (ns + 1), sum(spr) * bps, off * bps, n * bps
        off += n * bps
    return None


def _tal_variants(data: bytes, rng: random.Random) -> list[tuple[bytes, str]]:
    slot = _annotation_slot(data)
    if slot is None:
        return []
    hb, rs, off, size = slot
    n_rec = (len(data) - hb) // rs if rs else 0
    if n_rec == 0:
        return []
    out = []

    def with_tal(tal: bytes, rec: int = 0, what: str = "") -> None:
        buf = bytearray(data)
        start = hb + rec * rs + off
        # keep the record's own time-keeping TAL, then the hostile one
        keep = bytes(buf[start: start + size]).split(b"\x00")[0] + b"\x00"
        body = (keep + tal)[:size].ljust(size, b"\x00")
        buf[start: start + size] = body
        out.append((bytes(buf), what))

    with_tal(b"+0" + b"0" * max(0, size - 8) + b"\x14x\x14\x00", what="onset of thousands of digits")
    with_tal(b"+0\x153000000000\x14Sleep stage W\x14\x00", what="3e9-s stage")
    with_tal(b"+10000000000\x1510\x14Obstructive apnea\x14\x00", what="event at 1e10 s")
    with_tal(b"-1e308\x15-5\x14Sleep stage 2\x14\x00", what="negative onset and duration")
    with_tal(b"+nan\x15inf\x14Sleep stage R\x14\x00", what="nan onset, inf duration")
    with_tal(b"+5\x14" + b"\xff\xfe" * (size // 4) + b"\x14\x00", what="binary annotation text")
    buf = bytearray(data)
    for r in range(min(n_rec, 50)):
        start = hb + r * rs + off
        buf[start: start + size] = bytes(rng.randrange(256) for _ in range(size))
    out.append((bytes(buf), "random annotation bytes"))
    if n_rec >= 2:
        buf = bytearray(data)
        onsets = [100.0 * (n_rec - r) for r in range(n_rec)]  # decreasing
        for r, o in enumerate(onsets):
            start = hb + r * rs + off
            tal = f"+{o:g}\x14\x14\x00".encode()
            buf[start: start + size] = tal.ljust(size, b"\x00")[:size]
        buf[192:236] = b"EDF+D".ljust(44) if data[:1] != b"\xff" else b"BDF+D".ljust(44)
        out.append((bytes(buf), "EDF+D with decreasing onsets"))
        buf = bytearray(buf)
        for r in range(n_rec):
            start = hb + r * rs + off
            tal = f"+{1e10 * (r + 1):.0f}\x14\x14\x00".encode()
            buf[start: start + size] = tal.ljust(size, b"\x00")[:size]
        out.append((bytes(buf), "EDF+D with a record at 1e10 s"))
    return out


def variants_of(data: bytes, rng: random.Random) -> list[tuple[bytes, str]]:
    out: list[tuple[bytes, str]] = []
    ns = _ns(data)
    for name, off, width in MAIN_FIELDS:
        for val in rng.sample(HOSTILE, 3):
            buf = bytearray(data)
            _put(buf, off, width, val)
            out.append((bytes(buf), f"{name}={val!r}"))
    for name, off, width in SIGNAL_FIELDS:
        for val in rng.sample(HOSTILE, 3):
            buf = bytearray(data)
            i = rng.randrange(ns) if ns else 0
            _put(buf, 256 + off * ns + width * i, width, val)
            out.append((bytes(buf), f"signal {i} {name}={val!r}"))
    header_end = 256 * (ns + 1)
    for cut in sorted({200, 255, 256, header_end - 1, header_end + 1,
                       (header_end + len(data)) // 2, len(data) - 1, 2047}):
        if 0 < cut < len(data):
            out.append((data[:cut], f"truncated to {cut} bytes"))
    for _ in range(3):
        buf = bytearray(data)
        for _ in range(6):
            buf[rng.randrange(min(len(buf), header_end))] = rng.randrange(256)
        out.append((bytes(buf), "random header bytes"))
    out.extend(_tal_variants(data, rng))
    return out


def make_variants(src_dir: Path, dst_dir: Path, seed: int = 14,
                  sources: tuple[str, ...] = SOURCES) -> list[tuple[Path, str]]:
    rng = random.Random(seed)
    dst_dir.mkdir(parents=True, exist_ok=True)
    made: list[tuple[Path, str]] = []
    for rel in sources:
        src = src_dir / rel
        if not src.exists():
            continue
        data = src.read_bytes()
        for k, (blob, what) in enumerate(variants_of(data, rng)):
            p = dst_dir / f"{src.stem}-{k:03d}{src.suffix}"
            p.write_bytes(blob)
            made.append((p, f"{rel}: {what}"))
    return made
