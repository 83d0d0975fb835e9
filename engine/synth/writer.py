"""Write a `Night` as an EDF+ file (pyedflib, 1-s data records, 16-bit) with its ground
truth as EDF+ annotations, plus a JSON sidecar ``<stem>.truth.json``.

Annotation texts are the plain vocabulary of docs/architecture.md (``Sleep stage N2``,
``Obstructive apnea``, ...). Items bound to one channel (artefacts) carry the EDF+
convention ``@@<label>`` after the text (MNE reads it as the annotation's channel).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyedflib

from engine.channels.canonical import CANONICAL_CHANNELS, EPOCH_S
from engine.errors import UserError

from .night import Event, Night

# physical range written in the header, by channel kind (values beyond it are clipped,
# as a saturating amplifier would)
PHYS_RANGE = {
    "eeg": (-1000.0, 1000.0),
    "eog": (-1000.0, 1000.0),
    "emg": (-500.0, 500.0),
    "snore": (-2000.0, 2000.0),
    "resp": (-2000.0, 2000.0),
    "flow": (-2000.0, 2000.0),
    "capno": (-10.0, 100.0),
    "spo2": (0.0, 100.0),
}
_KIND = {c.name: c.kind for c in CANONICAL_CHANNELS}
_UNIT = {c.name: c.unit for c in CANONICAL_CHANNELS}
DIG_MIN, DIG_MAX = -32768, 32767
RECORD_S = 1
CHUNK_RECORDS = 600  # convert and write 10 minutes at a time


def truth_path(edf_path: str | Path) -> Path:
    p = Path(edf_path)
    return p.with_name(p.stem + ".truth.json")


def annotation_items(night: Night) -> list[tuple[float, float, str]]:
    """(onset_s, duration_s, text) of everything written as EDF+ annotations."""
    items = [(i * EPOCH_S, EPOCH_S, f"Sleep stage {s}") for i, s in enumerate(night.stages)]
    for e in night.events:
        text = e.type if not e.channel or e.type.startswith("Channel ") or e.type == "Oxygen desaturation" \
            else f"{e.type}@@{e.channel}"
        items.append((e.onset_s, e.duration_s, text))
    items.sort(key=lambda x: (x[0], x[2]))
    return items


def truth_dict(night: Night) -> dict:
    return {
        "format": "pedsleep-synth-truth/1",
        "params": night.params.to_json(),
        "subject": night.subject.to_json(),
        "epoch_s": EPOCH_S,
        "duration_s": night.duration_s,
        "channels": night.channels,
        "missing_channels": night.missing_channels,
        "sfreq_hz": night.sfreq_hz,
        "stages": list(night.stages),
        "events": [e.to_json() for e in night.events],
    }


def write_night(night: Night, path: str | Path) -> Path:
    """Write ``path`` (EDF+) and ``<stem>.truth.json`` next to it; return the EDF path."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"cannot create folder {path.parent}: {exc.strerror}") from exc
    labels = night.channels
    n_rec = int(round(night.duration_s / RECORD_S))
    spr = [int(round(night.sfreq_hz[lb] * RECORD_S)) for lb in labels]
    items = annotation_items(night)

    try:
        w = pyedflib.EdfWriter(str(path), len(labels), file_type=pyedflib.FILETYPE_EDFPLUS)
    except OSError as exc:
        raise UserError(f"cannot write {path}: {exc}") from exc
    try:
        headers = []
        for lb in labels:
            pmin, pmax = PHYS_RANGE[_KIND[lb]]
            headers.append({
                "label": lb, "dimension": _UNIT[lb], "sample_frequency": night.sfreq_hz[lb],
                "physical_min": pmin, "physical_max": pmax,
                "digital_min": DIG_MIN, "digital_max": DIG_MAX,
                "transducer": "synthetic", "prefilter": "",
            })
        w.setSignalHeaders(headers)  # type: ignore[arg-type]  # pyedflib's stub is narrower than its API
        w.setStartdatetime(night.params.start)
        w.setPatientCode(f"SYN-{night.params.seed}")
        w.setPatientName("Synthetic")
        w.setPatientAdditional(f"age_{night.params.age_years:g}y")
        w.setEquipment("PedSleep_synth")
        w.setRecordingAdditional(f"seed_{night.params.seed}_ahi_{night.params.ahi:g}")
        # edflib stores one annotation per data record and annotation signal
        w.set_number_of_annotation_signals(int(min(64, max(1, np.ceil(1.2 * len(items) / n_rec) + 1))))

        scale = {}
        for lb in labels:
            pmin, pmax = PHYS_RANGE[_KIND[lb]]
            g = (DIG_MAX - DIG_MIN) / (pmax - pmin)
            scale[lb] = (pmin, pmax, g)
        for r0 in range(0, n_rec, CHUNK_RECORDS):
            r1 = min(r0 + CHUNK_RECORDS, n_rec)
            blocks = []
            for lb, k in zip(labels, spr, strict=False):
                pmin, pmax, g = scale[lb]
                x = night.signals[lb][r0 * k : r1 * k].astype(np.float64)
                d = np.rint((np.clip(x, pmin, pmax) - pmin) * g + DIG_MIN)
                blocks.append(np.clip(d, DIG_MIN, DIG_MAX).astype(np.int16).reshape(r1 - r0, k))
            rec = np.ascontiguousarray(np.concatenate(blocks, axis=1))
            for row in rec:
                if w.blockWriteDigitalShortSamples(row) < 0:
                    raise UserError(f"cannot write {path}: write error")
        for onset, dur, text in items:
            w.writeAnnotation(float(onset), float(dur), text)
    finally:
        w.close()
    truth_path(path).write_text(json.dumps(truth_dict(night), indent=1))
    return path


def read_truth(path: str | Path) -> dict:
    """The sidecar of an EDF written by `write_night` (give either path)."""
    p = Path(path)
    if not p.name.endswith(".truth.json"):
        p = truth_path(p)
    return json.loads(p.read_text())


__all__ = ["write_night", "read_truth", "truth_path", "annotation_items", "truth_dict", "Event"]
