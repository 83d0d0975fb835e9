"""What every importer shares: the result type and a builder that collects stages and
events and makes a `Scoring` with provenance ``imported`` (no undo history)."""

from __future__ import annotations

import datetime as _dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from engine.scoring.document import Event, Scoring
from engine.scoring.labels import EPOCH_S, PROVENANCE_INDEX, Provenance, Stage


@dataclass
class ImportResult:
    scoring: Scoring
    format: str  # "edf" | "csv-hypnogram" | "nsrr-xml" | "ucddb-stage" | ...
    warnings: list[str] = field(default_factory=list)
    # how many stage records / events the file held (after expansion to epochs)
    n_stage_epochs: int = 0
    n_events: int = 0
    # events the source holds that could not be placed in time (a UCDDB event list
    # without the recording's start): indices computed without them would be wrong
    events_not_placed: int = 0


class ScoringBuilder:
    def __init__(self, epoch_s: float = EPOCH_S) -> None:
        self.epoch_s = float(epoch_s)
        self.stage: dict[int, int] = {}
        self.stage_prov: dict[int, int] = {}
        self.stage_conf: dict[int, float] = {}
        self.events: list[dict[str, Any]] = []
        self.lights_off_s: float | None = None
        self.lights_on_s: float | None = None
        self.warnings: list[str] = []
        self._misaligned = 0
        self._negative = 0

    def epoch_index(self, onset_s: float) -> int:
        x = onset_s / self.epoch_s
        k = int(round(x))
        if abs(x - k) * self.epoch_s > 1.0:  # more than 1 s off the 30-s grid
            self._misaligned += 1
            k = int(math.floor(x + 0.5))
        return k

    def add_stage_epoch(
        self,
        epoch: int,
        stage: Stage | int,
        *,
        provenance: Provenance = Provenance.IMPORTED,
        confidence: float | None = None,
    ) -> None:
        if epoch < 0:
            self._negative += 1
            return
        self.stage[epoch] = int(stage)
        self.stage_prov[epoch] = PROVENANCE_INDEX[provenance]
        if confidence is not None:
            self.stage_conf[epoch] = float(confidence)

    def add_stage_span(self, onset_s: float, duration_s: float | None, stage: Stage | int) -> int:
        """A stage over ``duration_s`` (several epochs when longer than one). Returns the
        number of epochs written."""
        first = self.epoch_index(onset_s)
        n = 1
        if duration_s is not None and duration_s > 0:
            n = max(1, int(round(duration_s / self.epoch_s)))
        for k in range(first, first + n):
            self.add_stage_epoch(k, stage)
        return n

    def add_event(
        self,
        onset_s: float,
        duration_s: float | None,
        type: str,
        *,
        channels: Sequence[str] = (),
        provenance: Provenance = Provenance.IMPORTED,
        confidence: float | None = None,
        attrs: Mapping[str, Any] | None = None,
    ) -> None:
        self.events.append(
            {
                "onset_s": float(onset_s),
                "duration_s": float(duration_s or 0.0),
                "type": type,
                "channels": tuple(c for c in channels if c),
                "provenance": provenance,
                "confidence": confidence,
                "attrs": dict(attrs or {}),
            }
        )

    def natural_n_epochs(self) -> int:
        n = max(self.stage, default=-1) + 1
        for e in self.events:
            n = max(n, int(math.ceil((e["onset_s"] + e["duration_s"]) / self.epoch_s - 1e-9)))
        return n

    def build(
        self,
        *,
        n_epochs: int | None = None,
        start_datetime: _dt.datetime | None = None,
        recording_duration_s: float | None = None,
    ) -> Scoring:
        if self._misaligned:
            self.warnings.append(
                f"{self._misaligned} stage record(s) do not start on the 30-s epoch grid; "
                "each was put in the nearest epoch"
            )
        if self._negative:
            self.warnings.append(
                f"{self._negative} stage record(s) before the recording start ignored"
            )
        natural = self.natural_n_epochs()
        n = natural if n_epochs is None else int(n_epochs)
        doc = Scoring(
            n,
            epoch_s=self.epoch_s,
            start_datetime=start_datetime,
            recording_duration_s=recording_duration_s,
        )
        if self.stage:
            idx = np.fromiter(self.stage.keys(), dtype=np.int64)
            keep = idx < n
            if not keep.all():
                self.warnings.append(
                    f"{int((~keep).sum())} staged epoch(s) after the end of the recording dropped"
                )
            vals = np.fromiter(self.stage.values(), dtype=np.int64)
            prov = np.fromiter((self.stage_prov[i] for i in self.stage), dtype=np.int64)
            doc._stage[idx[keep]] = vals[keep]
            doc._stage_prov[idx[keep]] = prov[keep]
            for i, c in self.stage_conf.items():
                if i < n:
                    doc._stage_conf[i] = c
        end_s = n * self.epoch_s
        dropped = 0
        for k, e in enumerate(sorted(self.events, key=lambda e: e["onset_s"])):
            if n_epochs is not None and e["onset_s"] >= end_s:
                dropped += 1
                continue
            doc._events[k + 1] = Event(
                k + 1,
                e["onset_s"],
                e["duration_s"],
                e["type"],
                e["channels"],
                e["provenance"],
                e["confidence"],
                e["attrs"],
            )
        if dropped:
            self.warnings.append(f"{dropped} event(s) after the end of the recording dropped")
        doc._next_event_id = len(doc._events) + 1
        doc.lights_off_s = self.lights_off_s
        doc.lights_on_s = self.lights_on_s
        return doc

    def result(self, fmt: str, **build_kw: Any) -> ImportResult:
        doc = self.build(**build_kw)
        return ImportResult(
            doc,
            fmt,
            self.warnings,
            n_stage_epochs=int(np.count_nonzero(doc._stage_prov >= 0)),
            n_events=doc.n_events,
        )


def clock_to_offset_s(t: _dt.datetime, origin: _dt.datetime) -> float:
    return (t - origin).total_seconds()


def time_of_day_s(t: _dt.time) -> float:
    return t.hour * 3600 + t.minute * 60 + t.second + t.microsecond / 1e6
