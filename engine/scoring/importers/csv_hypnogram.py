"""CSV/TSV hypnograms and event tables.

Accepted shapes (delimiter sniffed: tab, comma, semicolon):
* one stage per line, no header or a one-column header (``stage``), one line per epoch;
* a table with a stage/label column and optionally onset and duration columns
  (``onset``/``onset_s``/``start``/``time``, ``duration``/``duration_s``, ``stage``/
  ``label``/``description``/``trial_type``/``event``/``type``), e.g. our own hypnogram CSV
  and BIDS ``events.tsv`` — rows whose label is not a stage become events;
* optional ``provenance``, ``confidence`` and ``channel(s)`` columns are kept.
Stage codes: ``W/Wake/0``, ``N1/1``, ``N2/2``, ``N3/3/4``, ``R/REM/5``, ``?``/empty.
"""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

from engine.errors import ScoringFormatError
from engine.scoring.importers._common import ImportResult, ScoringBuilder
from engine.scoring.labels import (
    EPOCH_S,
    Provenance,
    Stage,
    event_type_from_text,
    normalize_text,
    stage_from_text,
)

_ONSET = ("onset_s", "onset", "start_s", "start", "time_s", "time", "begin")
_DURATION = ("duration_s", "duration", "dur")
_LABEL = ("stage", "label", "description", "trial_type", "event", "type", "annotation", "value")
_EPOCH = ("epoch", "epoch_index")


def _read_text(path: Path) -> str:
    raw = path.read_bytes()
    for enc in ("utf-8-sig", "utf-16", "latin-1"):
        try:
            if enc == "utf-16" and raw[:2] not in (b"\xff\xfe", b"\xfe\xff"):
                continue
            return raw.decode(enc)
        except UnicodeDecodeError:
            continue
    raise ScoringFormatError(f"{path.name}: cannot decode text")


def _stage_code(text: str) -> Stage | None:
    t = normalize_text(text)
    if t == "5":  # common numeric hypnograms: 5 = REM
        return Stage.R
    return stage_from_text(text, bare=True)


def _find(header: list[str], names: tuple[str, ...]) -> int | None:
    low = [normalize_text(h) for h in header]
    for n in names:
        if n in low:
            return low.index(n)
    return None


def import_csv_hypnogram(
    path: str | os.PathLike[str], *, n_epochs: int | None = None, epoch_s: float = EPOCH_S
) -> ImportResult:
    path = Path(path)
    text = _read_text(path)
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    if not lines:
        raise ScoringFormatError(f"{path.name}: empty hypnogram file")
    sample = "\n".join(lines[:20])
    if "\t" in sample:
        delim = "\t"
    elif ";" in sample and "," not in sample:
        delim = ";"
    else:
        delim = ","
    rows = list(csv.reader(io.StringIO("\n".join(lines)), delimiter=delim))
    header = [h.strip() for h in rows[0]]
    has_header = _find(header, _LABEL + _ONSET) is not None
    b = ScoringBuilder(epoch_s)
    bad = 0
    if not has_header:
        # bare codes, one epoch per row (first column)
        for i, row in enumerate(rows):
            st = _stage_code(row[0]) if row else None
            if st is None:
                bad += 1
                continue
            b.add_stage_epoch(i, st)
    else:
        i_on = _find(header, _ONSET)
        i_du = _find(header, _DURATION)
        i_lab = _find(header, _LABEL)
        i_ep = _find(header, _EPOCH)
        i_prov = _find(header, ("provenance",))
        i_conf = _find(header, ("confidence",))
        i_ch = _find(header, ("channels", "channel"))
        if i_lab is None:
            raise ScoringFormatError(f"{path.name}: no stage/label column in {header}")
        for k, row in enumerate(rows[1:]):
            if len(row) <= i_lab:
                bad += 1
                continue
            label = row[i_lab].strip()
            try:
                if i_on is not None and row[i_on].strip() not in ("", "n/a"):
                    onset = float(row[i_on])
                elif i_ep is not None:
                    onset = float(row[i_ep]) * epoch_s
                else:
                    onset = k * epoch_s
                dur = None
                if i_du is not None and row[i_du].strip() not in ("", "n/a"):
                    dur = float(row[i_du])
            except ValueError:
                bad += 1
                continue
            prov = Provenance.IMPORTED
            if i_prov is not None and row[i_prov].strip():
                try:
                    prov = Provenance(row[i_prov].strip())
                except ValueError:
                    prov = Provenance.IMPORTED
            conf = None
            if i_conf is not None and row[i_conf].strip() not in ("", "n/a", "nan"):
                try:
                    conf = float(row[i_conf])
                except ValueError:
                    conf = None
            chans: tuple[str, ...] = ()
            if i_ch is not None and row[i_ch].strip() not in ("", "n/a"):
                chans = tuple(c.strip() for c in row[i_ch].split("|") if c.strip())
            nl = normalize_text(label)
            if nl.startswith("lights off"):
                b.lights_off_s = onset
                continue
            if nl.startswith("lights on"):
                b.lights_on_s = onset
                continue
            st = _stage_code(label) if i_on is None or _find(header, ("stage",)) == i_lab else None
            if st is None:
                st = stage_from_text(label)
            if st is not None:
                first = b.epoch_index(onset)
                n = 1 if not dur else max(1, int(round(dur / epoch_s)))
                for e in range(first, first + n):
                    b.add_stage_epoch(e, st, provenance=prov, confidence=conf)
            elif label:
                b.add_event(
                    onset,
                    dur,
                    event_type_from_text(label),
                    channels=chans,
                    provenance=prov,
                    confidence=conf,
                )
            else:
                bad += 1
    if bad:
        b.warnings.append(f"{path.name}: {bad} row(s) not understood; skipped")
    if not b.stage and not b.events:
        raise ScoringFormatError(f"{path.name}: no stages or events found")
    return b.result("csv-hypnogram", n_epochs=n_epochs)
