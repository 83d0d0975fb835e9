"""``StudySession``: the one owner of what happens, and in which order, when a study is
opened, re-mapped or closed (docs/architecture.md, data flow).

The viewer, the scoring panels and the assistant each hold part of an open study; the
order matters — the assistant stops before the document it writes into closes, the
scoring opens on the study the viewer shows, the assistant starts last, on both. The main
window asks this object instead of repeating the sequence in every path (open, close,
mapping change, window close).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from gui.gc_pauses import reclaim_closed_study

if TYPE_CHECKING:  # pragma: no cover - typing only
    from gui.assistant.assistant_ui import AssistantUI
    from gui.scoring.scoring_ui import ScoringUI
    from gui.viewer.viewer_widget import Viewer

log = logging.getLogger(__name__)


class StudySession:
    def __init__(self, viewer: Viewer, scoring: ScoringUI, assistant: AssistantUI):
        self.viewer = viewer
        self.scoring = scoring
        self.assistant = assistant

    @property
    def study(self):
        return self.viewer.study

    def open(self, study, chmap, before_scoring=None) -> list[str]:
        """Show ``study`` through ``chmap``: the previous study is closed first (assistant,
        then scoring), the viewer shows the new one, ``before_scoring(study)`` runs (e.g.
        applying a saved montage), its scoring opens (journal restored), and the assistant
        starts. Returns the scoring's warnings."""
        replaced = self.viewer.study is not None
        self._stop_and_close_scoring()
        self.viewer.set_study(study, chmap)
        if replaced:
            reclaim_closed_study()  # the previous study's memory, now that nothing shows it
        if before_scoring is not None:
            before_scoring(study)
        warnings = self.scoring.open_for(study)
        self.assistant.start()
        return list(warnings)

    def remap(self, chmap) -> None:
        """A new channel mapping: the model must see the study through it, so the assistant
        restarts; the scoring stays open."""
        self.assistant.stop()
        self.viewer.set_mapping(chmap)
        self.assistant.start()

    def close(self, app_closing: bool = False) -> None:
        """Close the study: assistant, scoring (journal flushed, lock released), viewer;
        then its memory, unless the app is closing anyway."""
        self._stop_and_close_scoring()
        self.viewer.close_study()
        if not app_closing:
            reclaim_closed_study()

    def _stop_and_close_scoring(self) -> None:
        self.assistant.stop()
        self.scoring.close()
