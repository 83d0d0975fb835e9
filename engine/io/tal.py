"""EDF+ Time-stamped Annotation Lists (TALs): ``+onset[\\x15duration]\\x14text\\x14...\\x00``.

Our own reader, linear in the input: one split on NUL, one on \\x14 per TAL, and a number
field longer than ``MAX_NUMBER_CHARS`` is refused without being parsed (edfio's regular
expression is quadratic on such fields: 88 s for an onset of 61,438 digits).
"""

from __future__ import annotations

import math

MAX_NUMBER_CHARS = 32  # "+86400.0000001" needs 15; anything much longer is garbage


def _number(raw: bytes) -> float | None:
    if not raw or len(raw) > MAX_NUMBER_CHARS:
        return None
    try:
        v = float(raw)
    except ValueError:
        return None
    return v if math.isfinite(v) else None


def parse_tals(raw: bytes) -> list[tuple[float, float, list[str]]]:
    """Parse one annotation-signal chunk into (onset_s, duration_s, texts) entries.

    The first TAL of every data record is the record's time-keeping entry (empty text).
    Malformed TALs (an onset or duration that is not a finite number, or absurdly long)
    are skipped rather than failing the whole file.
    """
    out: list[tuple[float, float, list[str]]] = []
    for tal in raw.split(b"\x00"):
        if not tal or tal[:1] not in (b"+", b"-"):
            continue
        parts = tal.split(b"\x14")
        head = parts[0].split(b"\x15")
        onset = _number(head[0])
        if onset is None:
            continue
        dur = 0.0
        if len(head) > 1 and head[1]:
            d = _number(head[1])
            if d is None or d < 0:
                continue
            dur = d
        texts = [p.decode("utf-8", errors="replace") for p in parts[1:]]
        out.append((onset, dur, [t for t in texts if t] or [""]))
    return out


def record_onset(raw: bytes) -> float | None:
    """Onset of a data record: the first TAL of its first annotation signal (None when
    that TAL is missing or malformed)."""
    end = raw.find(b"\x14")
    if end <= 0 or raw[:1] not in (b"+", b"-"):
        return None
    return _number(raw[:end].split(b"\x15")[0])
