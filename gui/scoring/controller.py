"""The open study's scoring session, as the GUI sees it.

Wraps the engine's journalled ``ScoringSession``: every edit goes through the document
(undo/redo, journal) and document changes come back as the Qt signal ``changed``, so
panels redraw only what changed. No scoring logic lives here.
"""

from __future__ import annotations

import os

from PySide6.QtCore import QObject, Signal

import engine.api as eng
from engine.api import (
    Change,
    EventType,
    Provenance,
    Scoring,
    Stage,
    UserError,
    n_epochs_for,
    open_scoring,
)
from gui.change_throttle import ModelChangeThrottle

EVENT_TYPES = (EventType.OBSTRUCTIVE_APNEA, EventType.CENTRAL_APNEA, EventType.MIXED_APNEA,
               EventType.HYPOPNEA, EventType.DESATURATION, EventType.AROUSAL)


class ScoringController(QObject):
    changed = Signal(object)  # engine.scoring.Change
    opened = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.session = None
        self.doc: Scoring | None = None
        self._unsubscribe = None
        self.warnings: list[str] = []
        # the model's changes during its pass reach the panels twice a second, not per batch
        self.throttle = ModelChangeThrottle(self.changed.emit, self)

    # --- lifecycle -----------------------------------------------------------------------
    def open_for(self, study, data_dir: str | None = None) -> None:
        """Restore the study's scoring from its journal, or start one from the study's own
        EDF+ annotations (stages and events it carries), else empty."""
        self.close()
        n_epochs = n_epochs_for(study.duration_s)

        def initial() -> Scoring:
            if study.annotations:
                try:
                    res = eng.import_scoring(study.path, format="edf", n_epochs=n_epochs,
                                         recording_start=study.start_datetime)
                    self.warnings += res.warnings
                    return res.scoring
                except UserError as exc:
                    self.warnings.append(f"the study's annotations were not imported: {exc}")
            return Scoring.for_duration(study.duration_s, start_datetime=study.start_datetime)

        self.warnings = []
        self._data_dir = data_dir
        self.session = open_scoring(study.path, n_epochs, initial=initial, data_dir=data_dir)
        self.warnings += self.session.warnings
        self.doc = self.session.doc
        self._unsubscribe = self.doc.subscribe(self.throttle.push)
        self.opened.emit()

    def close(self) -> None:
        self.throttle.drop()
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        if self.session is not None:
            self.session.close()
        self.session = None
        self.doc = None

    @property
    def journal_path(self) -> str | None:
        return os.fspath(self.session.journal_path) if self.session else None

    @property
    def read_only(self) -> bool:
        """The scoring is shown but edits are refused (a read-only archive, or the study
        is being scored in another window or program); ``session.read_only_reason`` says why."""
        return bool(self.session is not None and self.session.read_only)

    def make_editable_copy(self) -> str | None:
        """Continue a read-only archive's scoring in the user data folder (the scorer
        agreed); returns the copy's path."""
        if self.session is None:
            return None
        return os.fspath(self.session.make_editable_copy(getattr(self, "_data_dir", None)))

    # --- edits ---------------------------------------------------------------------------
    def set_stage(self, epoch: int, stage: Stage) -> Change | None:
        if self.doc is None or not 0 <= epoch < self.doc.n_epochs:
            return None
        return self.doc.set_stage(epoch, stage, provenance=Provenance.HUMAN)

    def add_event(self, onset_s: float, duration_s: float, type_: str,
                  channels: tuple[str, ...] = ()) -> int | None:
        if self.doc is None or duration_s <= 0:
            return None
        return self.doc.add_event(onset_s, duration_s, type_, channels=channels,
                                  provenance=Provenance.HUMAN)

    def move_event(self, event_id: int, onset_s: float, duration_s: float) -> None:
        if self.doc is not None and duration_s > 0:
            self.doc.update_event(event_id, onset_s=onset_s, duration_s=duration_s)

    def retype_event(self, event_id: int, type_: str) -> None:
        if self.doc is not None:
            self.doc.update_event(event_id, type=type_)

    def remove_event(self, event_id: int) -> None:
        if self.doc is not None:
            self.doc.remove_event(event_id)

    def set_lights_off(self, t_s: float | None) -> None:
        if self.doc is not None:
            self.doc.set_lights(off_s=t_s)

    def set_lights_on(self, t_s: float | None) -> None:
        if self.doc is not None:
            self.doc.set_lights(on_s=t_s)

    def undo(self) -> Change | None:
        if self.doc is not None and self.doc.can_undo():
            return self.doc.undo()
        return None

    def redo(self) -> Change | None:
        if self.doc is not None and self.doc.can_redo():
            return self.doc.redo()
        return None

    def replace_with(self, other: Scoring, label: str) -> None:
        """Take an imported scoring's stages, events and lights as one undo step."""
        if self.doc is not None:
            self.doc.replace_with(other, label=label)
