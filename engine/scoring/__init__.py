"""The scoring document and everything around it (no Qt here).

* `Scoring` (document.py): stages per 30-s epoch, events, model suggestions, lights;
  its edits are typed ops (ops.py: apply / inverse / journal JSON), undo/redo, batches,
  observers and journal emission live in history.py, `Event` & co in records.py;
* `open_scoring` / `Journal` (journal.py): crash-safe sidecar journal;
* `import_scoring` (importers/): EDF+, CSV/TSV, NSRR XML, UCDDB, WFDB rdann, Noxturnal;
* `export_edf_plus`, `export_events_tsv`, `export_hypnogram_csv` (exporters/);
* `sleep_report`, `write_report_html` (report.py); `compare_scorings` (compare.py).
"""

from engine.scoring.compare import (
    Agreement,
    StageAgreement,
    cohen_kappa,
    compare_scorings,
    compare_stages,
)
from engine.scoring.document import Change, EpochInfo, Event, Scoring, Suggestion
from engine.scoring.exporters import (
    ExportOptions,
    export_edf_plus,
    export_events_tsv,
    export_hypnogram_csv,
)
from engine.scoring.importers import ImportResult, detect_format, import_scoring
from engine.scoring.journal import Journal, ScoringSession, journal_path_for, open_scoring
from engine.scoring.labels import EPOCH_S, EventType, Provenance, Stage
from engine.scoring.report import SleepReport, report_html, sleep_report, write_report_html

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
