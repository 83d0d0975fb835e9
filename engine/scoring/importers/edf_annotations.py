"""EDF+/BDF+ annotations (Sleep-EDF R&K hypnograms, HMC AASM files, ResMed EVE, our own
exports). Read with pyedflib; our own linear-time reader (engine/io) when pyedflib refuses
(EDF+D, UTF-8 labels). Annotations beyond a week or not finite are dropped before the
scoring allocates epochs for them."""

from __future__ import annotations

import datetime as _dt
import json
import math
import os
from pathlib import Path

from engine.errors import ScoringFormatError
from engine.scoring.document import Scoring
from engine.scoring.importers._common import ImportResult, ScoringBuilder
from engine.scoring.labels import EPOCH_S, event_type_from_text, normalize_text, stage_from_text

# markers that are not scoring items
_SKIP = {"", "recording starts", "recording ends", "recording start", "recording end"}


def read_edf_annotations(
    path: str | os.PathLike[str],
) -> tuple[list[tuple[float, float | None, str]], _dt.datetime | None, float, str]:
    """``([(onset_s, duration_s or None, text)], start_datetime, file_duration_s, reader)``;
    ``file_duration_s`` is 0 for an annotation-only file."""
    path = Path(path)
    errors = []
    try:
        import pyedflib

        r = pyedflib.EdfReader(str(path))
        try:
            onsets, durations, texts = r.readAnnotations()
            start = r.getStartdatetime()
            # an annotation-only file has no meaningful duration of its own
            dur = float(r.getFileDuration()) if r.signals_in_file > 0 else 0.0
        finally:
            r.close()
        anns = []
        for o, d, t in zip(onsets, durations, texts, strict=True):
            d = float(d)
            anns.append((float(o), None if d < 0 else d, str(t)))
        return anns, start, dur, "pyedflib"
    except Exception as exc:  # noqa: BLE001 - fall back to our own reader
        errors.append(f"pyedflib: {exc}")
    # our own header parser and linear-time TAL reader (EDF+D, UTF-8 labels); edfio's
    # annotation regex is quadratic on a damaged file
    from engine.errors import UserError
    from engine.io.annotations import read_raw_annotations
    from engine.io.edf_header import check_size, read_raw_header

    try:
        h = read_raw_header(str(path))
        n_ok, _problem = check_size(h)
        anns_raw = read_raw_annotations(h, n_ok)
    except (UserError, OSError) as exc:
        errors.append(f"PedSleep: {exc}")
        raise ScoringFormatError(
            f"{path.name}: cannot read EDF+ annotations ({'; '.join(errors)})"
        ) from None
    if not any(s.is_annotation for s in h.signals):
        raise ScoringFormatError(f"{path.name}: has no EDF+ annotation signal")
    anns = [(o, d if d > 0 else None, t) for o, d, t in anns_raw if t]
    has_data = h.record_duration_s > 0 and any(not s.is_annotation for s in h.signals)
    return anns, h.start, n_ok * h.record_duration_s if has_data else 0.0, "pedsleep"


def _bounded(
    anns: list[tuple[float, float | None, str]], path: Path
) -> tuple[list[tuple[float, float | None, str]], list[str]]:
    """Drop annotations no study can hold (non-finite, beyond a week) and clip durations
    before the scoring allocates an epoch for them."""
    from engine.io.annotations import sanitize_annotations

    kept, warnings = sanitize_annotations(
        [(o, d or 0.0, t) for o, d, t in anns], None, ""
    )
    return [(o, d if d > 0 else None, t) for o, d, t in kept], warnings


def import_edf_annotations(
    path: str | os.PathLike[str],
    *,
    n_epochs: int | None = None,
    epoch_s: float = EPOCH_S,
    use_sidecar: bool = True,
) -> ImportResult:
    """Stages (``Sleep stage W/1/2/3/4/R/?`` R&K -> AASM, ``Sleep stage N1..``), events
    (``label@@channel`` keeps the channel), lights off/on. Stage annotations longer than one
    epoch cover several epochs. ``Movement time`` stays an event."""
    anns, start, file_dur, reader = read_edf_annotations(path)
    anns, bound_warnings = _bounded(anns, Path(path))
    b = ScoringBuilder(epoch_s)
    b.warnings.extend(bound_warnings)
    for onset, dur, text in anns:
        label, _, chan = text.partition("@@")
        t = normalize_text(label)
        if t in _SKIP:
            continue
        if t.startswith("lights off"):
            b.lights_off_s = onset
            continue
        if t.startswith("lights on"):
            b.lights_on_s = onset
            continue
        st = stage_from_text(label)
        if st is not None:
            b.add_stage_span(onset, dur, st)
            continue
        b.add_event(
            onset,
            dur,
            event_type_from_text(label),
            channels=(chan.strip(),),
            attrs=(
                {"source_label": label.strip()}
                if event_type_from_text(label) != label.strip()
                else {}
            ),
        )
    if n_epochs is None and file_dur > 0:
        n_epochs = int(math.ceil(file_dur / epoch_s - 1e-9))
        if b.natural_n_epochs() > n_epochs:
            b.warnings.append(
                f"annotations reach past the end of the recording ({file_dur:g} s); clipped"
            )
    res = b.result(
        "edf",
        n_epochs=n_epochs,
        start_datetime=start,
        recording_duration_s=file_dur if file_dur > 0 else None,
    )
    if reader == "pedsleep":
        res.warnings.insert(
            0, f"{Path(path).name}: read with PedSleep's own EDF+ reader (pyedflib refused it)"
        )
    if use_sidecar:
        _apply_sidecar(Path(path), anns, res)
    return res


def _key(onset: float, dur: float | None, text: str) -> tuple[float, float, str]:
    return (round(float(onset), 3), round(float(dur or 0.0), 3), text.strip())


def _apply_sidecar(
    path: Path, anns: list[tuple[float, float | None, str]], res: ImportResult
) -> None:
    """Our own exports carry provenance/confidence/suggestions in ``OUT.edf.pedsleep.json``.
    Use it when its annotation list still matches the file's (not edited elsewhere)."""
    side = path.with_name(path.name + ".pedsleep.json")
    if not side.exists():
        return
    try:
        data = json.loads(side.read_text(encoding="utf-8"))
        listed = sorted(_key(a["onset_s"], a["duration_s"], a["text"]) for a in data["annotations"])
        sc = Scoring.from_dict(data["scoring"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        res.warnings.append(f"{side.name}: unreadable sidecar ignored ({exc})")
        return
    in_file = sorted(_key(o, d, t) for o, d, t in anns if normalize_text(t) not in _SKIP)
    if listed != in_file:
        res.warnings.append(
            f"{side.name} does not match the file's annotations (edited elsewhere?); "
            "provenance not restored"
        )
        return
    n = res.scoring.n_epochs
    fitted, _ = sc.resized(n)
    fitted.start_datetime = res.scoring.start_datetime or fitted.start_datetime
    fitted.recording_duration_s = res.scoring.recording_duration_s
    res.scoring = fitted
    res.format = "edf+pedsleep"
    res.n_events = fitted.n_events
