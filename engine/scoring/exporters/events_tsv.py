"""BIDS ``events.tsv``: ``onset  duration  trial_type  provenance  confidence  channels``
(tab separated, ``n/a`` for missing values, onsets in seconds from the recording start).
Stage rows (``Sleep stage N2``, one per epoch) come first in time order with the events."""

from __future__ import annotations

import os
from pathlib import Path

from engine.scoring.document import Scoring
from engine.scoring.exporters._common import (
    ExportOptions,
    atomic_write_text,
    flat_annotations,
    refuse_same_file,
)

COLUMNS = ("onset", "duration", "trial_type", "provenance", "confidence", "channels")


def _num(x: float | None) -> str:
    if x is None:
        return "n/a"
    return f"{x:.6f}".rstrip("0").rstrip(".") or "0"


def events_tsv_text(
    scoring: Scoring, *, options: ExportOptions | None = None, end_s: float | None = None
) -> str:
    anns, _ = flat_annotations(scoring, options or ExportOptions(), end_s=end_s)
    lines = ["\t".join(COLUMNS)]
    for a in anns:
        lines.append(
            "\t".join(
                (
                    _num(a.onset_s),
                    _num(a.duration_s),
                    a.text.replace("\t", " "),
                    a.provenance or "n/a",
                    "n/a" if a.confidence is None else f"{a.confidence:.4f}",
                    "|".join(a.channels) if a.channels else "n/a",
                )
            )
        )
    return "\n".join(lines) + "\n"


def export_events_tsv(
    scoring: Scoring,
    out: str | os.PathLike[str],
    *,
    options: ExportOptions | None = None,
    end_s: float | None = None,
    source: str | os.PathLike[str] | None = None,
) -> Path:
    refuse_same_file(source, out)
    atomic_write_text(out, events_tsv_text(scoring, options=options, end_s=end_s))
    return Path(out)
