"""Shared by the exporters: what to export (options), the flat annotation list, and
atomic file replacement."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from engine.errors import UserError
from engine.io.safe_output import active_output_set, user_file_mode, write_error_text
from engine.scoring.document import Scoring
from engine.scoring.labels import Provenance, Stage, stage_label

SUGGESTION_PREFIX = "Model suggestion: "


@dataclass(frozen=True)
class ExportOptions:
    """What goes into an export.

    * decided items (human, imported, model-accepted) always;
    * ``include_suggestions``: also pending model suggestions — events under their own
      type, stage suggestions as ``Model suggestion: Sleep stage N2`` (never as the
      epoch's stage);
    * ``include_rejected``: also rejected suggestions (``Model suggestion: ...`` text for
      stages, the event type for events; provenance says ``model-rejected``);
    * ``unscored_epochs``: write ``Sleep stage ?`` for unscored epochs (one stage
      annotation per epoch, as docs/architecture.md asks); off = only scored epochs;
    * ``stages`` / ``events`` / ``lights``: switch whole kinds off.
    """

    include_suggestions: bool = False
    include_rejected: bool = False
    unscored_epochs: bool = True
    stages: bool = True
    events: bool = True
    lights: bool = True


@dataclass(frozen=True)
class FlatAnnotation:
    onset_s: float
    duration_s: float
    text: str  # the plain label a reader sees
    kind: str  # "stage" | "stage-suggestion" | "event" | "lights"
    provenance: str | None
    confidence: float | None
    channels: tuple[str, ...] = ()
    event_id: int | None = None
    epoch: int | None = None
    # an event's measured terms and the rule that admitted it (engine.events), model
    # opinions, imported facts: written to the sidecar as they are
    attrs: Mapping[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        d = {
            "onset_s": self.onset_s,
            "duration_s": self.duration_s,
            "text": self.text,
            "kind": self.kind,
            "provenance": self.provenance,
            "confidence": self.confidence,
        }
        if self.channels:
            d["channels"] = list(self.channels)
        if self.event_id is not None:
            d["event_id"] = self.event_id
        if self.epoch is not None:
            d["epoch"] = self.epoch
        if self.attrs:
            d["attrs"] = {k: _plain(v) for k, v in self.attrs.items()}
        return d


def _plain(v: Any) -> Any:
    """A JSON-ready value (numpy scalars to Python numbers)."""
    if hasattr(v, "item") and not isinstance(v, (str, bytes)):
        try:
            return v.item()
        except (TypeError, ValueError):
            return str(v)
    return v


def flat_annotations(
    doc: Scoring, options: ExportOptions | None = None, *, end_s: float | None = None
) -> tuple[list[FlatAnnotation], dict[str, int]]:
    """Every item to export, sorted by onset, and counts of what was clipped at ``end_s``
    (``{"epochs": n, "events": m}``)."""
    options = options or ExportOptions()
    out: list[FlatAnnotation] = []
    clipped = {"epochs": 0, "events": 0}
    ep = doc.epoch_s
    if options.stages:
        stages = doc.stages()
        prov = doc.stage_provenance()
        conf = doc.stage_confidence()
        sugg = doc.suggested_stages()
        sconf = doc.suggestion_confidence()
        sstate = doc.suggestion_states()
        ssrc = doc.suggestion_sources()  # what made each suggestion ("yasa", "per-study re-fit", ...)
        for i in range(doc.n_epochs):
            onset = i * ep
            if end_s is not None and onset >= end_s - 1e-9:
                if stages[i] != Stage.UNSCORED:
                    clipped["epochs"] += 1
                continue
            st = int(stages[i])
            if st != Stage.UNSCORED or options.unscored_epochs:
                c = float(conf[i])
                p_i = prov[i]
                out.append(
                    FlatAnnotation(
                        onset,
                        ep,
                        stage_label(st),
                        "stage",
                        p_i.value if p_i is not None else None,
                        None if c != c else c,
                        epoch=i,
                        attrs={"source": ssrc[i]} if p_i is Provenance.MODEL_ACCEPTED and ssrc[i] else None,
                    )
                )
            s = sstate[i]
            if s is None:
                continue
            if (s is Provenance.MODEL and options.include_suggestions) or (
                s is Provenance.MODEL_REJECTED and options.include_rejected
            ):
                out.append(
                    FlatAnnotation(
                        onset,
                        ep,
                        SUGGESTION_PREFIX + stage_label(int(sugg[i])),
                        "stage-suggestion",
                        s.value,
                        float(sconf[i]),
                        epoch=i,
                        attrs={"source": ssrc[i]} if ssrc[i] else None,
                    )
                )
    if options.events:
        for ev in doc.events(
            include_suggestions=options.include_suggestions,
            include_rejected=options.include_rejected,
        ):
            if end_s is not None and ev.onset_s >= end_s:
                clipped["events"] += 1
                continue
            out.append(
                FlatAnnotation(
                    ev.onset_s,
                    ev.duration_s,
                    ev.type,
                    "event",
                    ev.provenance.value,
                    ev.confidence,
                    ev.channels,
                    event_id=ev.id,
                    attrs=dict(ev.attrs) if ev.attrs else None,
                )
            )
    if options.lights:
        if doc.lights_off_s is not None and (end_s is None or doc.lights_off_s < end_s):
            out.append(FlatAnnotation(doc.lights_off_s, 0.0, "Lights off", "lights", None, None))
        if doc.lights_on_s is not None and (end_s is None or doc.lights_on_s < end_s):
            out.append(FlatAnnotation(doc.lights_on_s, 0.0, "Lights on", "lights", None, None))
    out.sort(key=lambda a: (a.onset_s, a.kind != "stage"))
    return out, clipped


def atomic_write(path: str | os.PathLike[str], writer: Callable[[BinaryIO], None]) -> None:
    """Write through ``writer(fh)`` into a temp file beside ``path``, fsync, rename (inside
    ``engine.io.safe_output.output_set()``: rename when the whole set is written)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
        os.fchmod(fd, user_file_mode())  # the user's normal permissions, not mkstemp's 0600
        with os.fdopen(fd, "wb") as fh:  # fd itself is O_RDWR (mkstemp)
            writer(fh)
            fh.flush()
            os.fsync(fh.fileno())
        pending = active_output_set()
        if pending is not None:  # renamed with the rest of its set (engine/io/safe_output.py)
            pending.add(tmp, path)
        else:
            os.replace(tmp, path)
        tmp = None
    except OSError as exc:
        raise UserError(f"cannot write {path}: {write_error_text(exc)}") from exc
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


def atomic_write_text(path: str | os.PathLike[str], text: str) -> None:
    data = text.encode("utf-8")

    def write(fh: BinaryIO) -> None:
        fh.write(data)

    atomic_write(path, write)


def refuse_same_file(source: str | os.PathLike[str] | None, out: str | os.PathLike[str]) -> None:
    if source is None:
        return
    s, o = Path(source), Path(out)
    same = False
    try:
        same = o.exists() and os.path.samefile(s, o)
    except OSError:
        same = False
    if same or s.resolve() == o.resolve():
        raise UserError(f"refusing to overwrite the source recording {s}; choose another output")
