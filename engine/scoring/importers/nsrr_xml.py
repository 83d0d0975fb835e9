"""NSRR / Compumedics Profusion XML (``<PSGAnnotation><ScoredEvents><ScoredEvent>``).

Stages are ScoredEvents whose EventType is ``Stages|Stages`` (EventConcept ``Wake|0``,
``Stage 1 sleep|1`` .. ``Stage 4 sleep|4`` (3 and 4 -> N3), ``REM sleep|5``,
``Unscored|9``, ``Movement|6``). Other ScoredEvents become events; ``SignalLocation``
gives the channel; SpO2 nadir/baseline are kept in ``attrs``. The older Compumedics form
with ``<SleepStages><SleepStage>n</SleepStage>..`` (one code per epoch) is read too.
"""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from pathlib import Path

from engine.errors import ScoringFormatError
from engine.scoring.importers._common import ImportResult, ScoringBuilder
from engine.scoring.labels import (
    EPOCH_S,
    EventType,
    Stage,
    event_type_from_text,
    normalize_text,
    stage_from_text,
)

_PROFUSION_CODES = {0: Stage.W, 1: Stage.N1, 2: Stage.N2, 3: Stage.N3, 4: Stage.N3, 5: Stage.R}


def _text(el: ET.Element, tag: str) -> str | None:
    child = el.find(tag)
    return None if child is None or child.text is None else child.text.strip()


def import_nsrr_xml(
    path: str | os.PathLike[str], *, n_epochs: int | None = None, epoch_s: float | None = None
) -> ImportResult:
    path = Path(path)
    try:
        root = ET.parse(path).getroot()
    except (ET.ParseError, OSError) as exc:
        raise ScoringFormatError(f"{path.name}: not readable XML ({exc})") from exc
    ep = root.find("EpochLength")
    epoch = float(ep.text) if ep is not None and ep.text else (epoch_s or EPOCH_S)
    b = ScoringBuilder(epoch)
    recording_s = None
    events = root.find("ScoredEvents")
    if events is None:
        events = root.find(".//ScoredEvents")
    n_unknown = 0
    if events is not None:
        for se in events.findall("ScoredEvent"):
            concept = _text(se, "EventConcept") or _text(se, "Name") or ""
            etype = normalize_text(_text(se, "EventType") or "")
            try:
                start = float(_text(se, "Start") or 0.0)
                dur = float(_text(se, "Duration") or 0.0)
            except ValueError:
                n_unknown += 1
                continue
            c = normalize_text(concept)
            if c.startswith("recording start time"):
                recording_s = dur or recording_s
                continue
            if etype.startswith("stages") or stage_from_text(concept) is not None:
                st = stage_from_text(concept)
                if c.startswith("movement"):
                    b.add_stage_span(start, dur, Stage.UNSCORED)
                    b.add_event(start, dur, EventType.MOVEMENT_TIME)
                    continue
                if st is None:
                    n_unknown += 1
                    st = Stage.UNSCORED
                b.add_stage_span(start, dur, st)
                continue
            if c.startswith("lights off"):
                b.lights_off_s = start
                continue
            if c.startswith("lights on"):
                b.lights_on_s = start
                continue
            attrs: dict[str, object] = {"source_label": concept}
            nadir, base = _text(se, "SpO2Nadir"), _text(se, "SpO2Baseline")
            try:
                if nadir is not None:
                    attrs["spo2_nadir_pct"] = float(nadir)
                if base is not None:
                    attrs["spo2_baseline_pct"] = float(base)
                if nadir is not None and base is not None:
                    attrs["desat_drop_pct"] = round(float(base) - float(nadir), 3)
            except ValueError:
                pass
            chan = _text(se, "SignalLocation") or ""
            b.add_event(start, dur, event_type_from_text(concept), channels=(chan,), attrs=attrs)
    stages = root.find("SleepStages")
    if stages is not None and not b.stage:
        for i, s in enumerate(stages.findall("SleepStage")):
            try:
                code = int((s.text or "").strip())
            except ValueError:
                n_unknown += 1
                continue
            b.add_stage_epoch(i, _PROFUSION_CODES.get(code, Stage.UNSCORED))
    if events is None and stages is None:
        raise ScoringFormatError(f"{path.name}: no ScoredEvents or SleepStages in this XML")
    if n_unknown:
        b.warnings.append(f"{path.name}: {n_unknown} record(s) not understood")
    if n_epochs is None and recording_s:
        n_epochs = max(b.natural_n_epochs(), int(round(recording_s / epoch)))
    return b.result("nsrr-xml", n_epochs=n_epochs, recording_duration_s=recording_s)
