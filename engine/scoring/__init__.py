"""The scoring document and everything around it (no Qt here).

* `Scoring` (document.py): stages per 30-s epoch, events, model suggestions, lights;
  its edits are typed ops (ops.py: apply / inverse / journal JSON), undo/redo, batches,
  observers and journal emission live in history.py, `Event` & co in records.py;
* `open_scoring` / `Journal` (journal.py): crash-safe sidecar journal;
* `import_scoring` (importers/): EDF+, CSV/TSV, NSRR XML, UCDDB, WFDB rdann, Noxturnal;
* `export_edf_plus`, `export_events_tsv`, `export_hypnogram_csv` (exporters/);
* `sleep_report`, `write_report_html` (report.py); `compare_scorings` (compare.py).
"""

from typing import TYPE_CHECKING

from engine.lazy_exports import lazy_exports
from engine.scoring.document import Change, EpochInfo, Event, Scoring, Suggestion
from engine.scoring.journal import Journal, ScoringSession, journal_path_for, open_scoring
from engine.scoring.labels import EPOCH_S, EventType, Provenance, Stage

if TYPE_CHECKING:
    from engine.scoring.compare import (
        Agreement,
        StageAgreement,
        cohen_kappa,
        compare_scorings,
        compare_stages,
    )
    from engine.scoring.exporters import (
        ExportOptions,
        export_edf_plus,
        export_events_tsv,
        export_hypnogram_csv,
    )
    from engine.scoring.importers import ImportResult, detect_format, import_scoring
    from engine.scoring.report import SleepReport, report_html, sleep_report, write_report_html

# comparing, importing, exporting and reporting load on first use: opening a study needs
# only the document and its journal
_C, _E, _I, _R = (f"engine.scoring.{m}" for m in ("compare", "exporters", "importers", "report"))
__getattr__ = lazy_exports(globals(), {
    "Agreement": _C, "StageAgreement": _C, "cohen_kappa": _C, "compare_scorings": _C, "compare_stages": _C,
    "ExportOptions": _E, "export_edf_plus": _E, "export_events_tsv": _E, "export_hypnogram_csv": _E,
    "ImportResult": _I, "detect_format": _I, "import_scoring": _I,
    "SleepReport": _R, "report_html": _R, "sleep_report": _R, "write_report_html": _R,
})

__all__ = [
    "EPOCH_S",
    "Agreement",
    "Change",
    "EpochInfo",
    "Event",
    "EventType",
    "ExportOptions",
    "ImportResult",
    "Journal",
    "Provenance",
    "Scoring",
    "ScoringSession",
    "SleepReport",
    "Stage",
    "StageAgreement",
    "Suggestion",
    "cohen_kappa",
    "compare_scorings",
    "compare_stages",
    "detect_format",
    "export_edf_plus",
    "export_events_tsv",
    "export_hypnogram_csv",
    "import_scoring",
    "journal_path_for",
    "open_scoring",
    "report_html",
    "sleep_report",
    "write_report_html",
]
