"""EDF+ Time-stamped Annotation Lists (TALs): ``+onset[\\x15duration]\\x14text\\x14...\\x00``."""

from __future__ import annotations


def parse_tals(raw: bytes) -> list[tuple[float, float, list[str]]]:
    """Parse one annotation-signal chunk into (onset_s, duration_s, texts) entries.

    The first TAL of every data record is the record's time-keeping entry (empty text).
    Malformed TALs are skipped rather than failing the whole file.
    """
    out: list[tuple[float, float, list[str]]] = []
    for tal in raw.split(b"\x00"):
        if not tal or tal[:1] not in (b"+", b"-"):
            continue
        parts = tal.split(b"\x14")
        head = parts[0].split(b"\x15")
        try:
            onset = float(head[0])
            dur = float(head[1]) if len(head) > 1 and head[1] else 0.0
        except ValueError:
            continue
        texts = [p.decode("utf-8", errors="replace") for p in parts[1:]]
        out.append((onset, dur, [t for t in texts if t] or [""]))
    return out
