"""Hypnogram CSV, one row per epoch::

    epoch,onset_s,duration_s,stage,provenance,confidence,suggested_stage,suggestion_confidence,suggestion_state

``stage`` is ``W|N1|N2|N3|R|?``. Unaccepted suggestions never fill ``stage``; the
suggestion columns are written only with ``include_suggestions``. `import_csv_hypnogram`
reads this file back (stage, provenance and confidence).
"""

from __future__ import annotations

import math
import os
from pathlib import Path

from engine.scoring.document import Scoring
from engine.scoring.exporters._common import atomic_write_text, refuse_same_file
from engine.scoring.labels import Stage


def _f(x: float) -> str:
    return "" if x is None or math.isnan(x) else f"{x:.4f}"


def hypnogram_csv_text(scoring: Scoring, *, include_suggestions: bool = False) -> str:
    cols = ["epoch", "onset_s", "duration_s", "stage", "provenance", "confidence"]
    if include_suggestions:
        cols += ["suggested_stage", "suggestion_confidence", "suggestion_state"]
    lines = [",".join(cols)]
    st = scoring.stages()
    prov = scoring.stage_provenance()
    conf = scoring.stage_confidence()
    sugg = scoring.suggested_stages()
    sconf = scoring.suggestion_confidence()
    sstate = scoring.suggestion_states()
    ep = scoring.epoch_s
    for i in range(scoring.n_epochs):
        row = [
            str(i),
            f"{i * ep:g}",
            f"{ep:g}",
            Stage(int(st[i])).short,
            p.value if (p := prov[i]) is not None else "",
            _f(float(conf[i])),
        ]
        if include_suggestions:
            state = sstate[i]
            row += [
                Stage(int(sugg[i])).short if state is not None else "",
                _f(float(sconf[i])) if state is not None else "",
                state.value if state is not None else "",
            ]
        lines.append(",".join(row))
    return "\n".join(lines) + "\n"


def export_hypnogram_csv(
    scoring: Scoring,
    out: str | os.PathLike[str],
    *,
    include_suggestions: bool = False,
    source: str | os.PathLike[str] | None = None,
) -> Path:
    refuse_same_file(source, out)
    atomic_write_text(out, hypnogram_csv_text(scoring, include_suggestions=include_suggestions))
    return Path(out)
