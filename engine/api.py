"""The engine as the GUI sees it: one import surface of frozen dataclasses, numpy arrays
and plain functions (docs/architecture.md rule 2). No torch tensor and no Qt type crosses it; long
work (pyramids, inference, re-fits) is exposed as generators that yield partial results
and honour a cancel flag. ``tests/test_architecture.py`` checks that gui/ imports the
engine only through this module.
"""

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from engine.assistant.outliers import study_outlier
from engine.channels.canonical import CANONICAL_CHANNELS, CANONICAL_NAMES, EPOCH_S
from engine.channels.derived import Derivation, DerivedStudy
from engine.channels.mapping import (
    ChannelMap,
    ChannelSource,
    canonical_scale,
    map_study,
    signal_kind,
)
from engine.channels.montages import (
    BUILTIN_PSG,
    LARGE_FILE_SIGNALS,
    Montage,
    MontageRow,
    MontageStore,
    builtin_psg_montage,
)
from engine.channels.profiles import ProfileStore
from engine.channels.snore import PREFILTER as SNORE_PREFILTER
from engine.channels.types import KIND_NAMES, KINDS, ChannelType, classify, classify_signal
from engine.channels.units import engineering, pretty_unit
from engine.epochs import epoch_of, n_epochs_for
from engine.errors import CheckpointError, ScoringFormatError, StudyError, UserError
from engine.io import Annotation, SignalInfo, Study, open_study
from engine.io.scoring_file import (
    holds_no_signals,
    overlaps,
    recording_candidates,
    recording_for,
    recording_named_for,
    scoring_only_text,
    scorings_for,
)
from engine.jobs import Progress, RuleEventsReady, Staged
from engine.lazy_exports import lazy_exports
from engine.logs import setup_logging
from engine.pause_gate import GATE, PauseGate, PausingCancel
from engine.proc_memory import release_free_memory
from engine.scoring import Change, Provenance, Scoring, Stage, open_scoring
from engine.scoring.labels import STAGE_NAMES, EventType
from engine.scoring.min_durations import event_min_duration_s, shorter_than_minimum
from engine.scoring.records import same_event_key
from engine.signal.decimate import minmax_envelope
from engine.signal.filters import (
    DEFAULT_FILTERS,
    FILTER_CHOICES,
    DisplayFilter,
    apply_filter,
    default_filter,
)
from engine.signal.pyramid import PyramidSet, build_pyramids
from engine.signal.scales import RowScale, row_scale
from engine.signal.traces import TraceSource

# What opening a study and drawing its first page does not need loads on first use
# (the respiratory rules, the stager, the assistant's logic, model input, importers,
# exporters, reports): importing this module alone went 200 -> 120 ms. The GUI reads these names
# where it uses them (``engine.api.name`` or an import inside the function).
_LAZY = {
    "engine.assistant.apply": ("apply_batch", "apply_rule_events"),
    "engine.assistant.learning": ("MIN_REVIEWED", "apply_refit", "n_corrections", "refit_from_reviews",
                                  "training_labels"),
    "engine.assistant.review": ("ReviewState", "live_agreement", "reviewed_mask"),
    "engine.assistant.real_refit": ("REFIT_EVERY", "apply_staging", "refit_inputs", "refit_on_reviews"),
    "engine.channels.model_input": ("load_model_input", "load_model_night"),
    "engine.events": ("RULE_SETS", "events_job"),
    "engine.events.describe": ("event_terms_lines",),
    "engine.events.second_opinion": ("model_events_allowed",),
    "engine.scoring": ("compare_scorings", "export_edf_plus", "export_events_tsv", "export_hypnogram_csv",
                       "import_scoring", "report_html", "sleep_report", "write_report_html"),
    "engine.scoring.exporters": ("ExtraSignal", "reconstruction_signal"),
    "engine.scoring.importers": ("detect_format",),
    "engine.staging": ("StagingUnavailable", "combine_sources", "model_fitted_on", "stage_source_for"),
    "engine.staging.yasa_stager": ("stage_study",),
}
__getattr__ = lazy_exports(globals(), {name: mod for mod, names in _LAZY.items() for name in names})

if TYPE_CHECKING:
    from engine.assistant.apply import apply_batch, apply_rule_events
    from engine.assistant.learning import (
        MIN_REVIEWED,
        apply_refit,
        n_corrections,
        refit_from_reviews,
        training_labels,
    )
    from engine.assistant.real_refit import (
        REFIT_EVERY,
        apply_staging,
        refit_inputs,
        refit_on_reviews,
    )
    from engine.assistant.review import ReviewState, live_agreement, reviewed_mask
    from engine.channels.model_input import load_model_input, load_model_night
    from engine.events import RULE_SETS, events_job
    from engine.events.describe import event_terms_lines
    from engine.events.second_opinion import model_events_allowed
    from engine.scoring import (
        compare_scorings,
        export_edf_plus,
        export_events_tsv,
        export_hypnogram_csv,
        import_scoring,
        report_html,
        sleep_report,
        write_report_html,
    )
    from engine.scoring.exporters import ExtraSignal, reconstruction_signal
    from engine.scoring.importers import detect_format
    from engine.staging import (
        StagingUnavailable,
        combine_sources,
        model_fitted_on,
        stage_source_for,
    )
    from engine.staging.yasa_stager import stage_study

if TYPE_CHECKING:  # torch is imported lazily, only when the model is needed
    from engine.inference import ModelRunner


def load_model_runner(path: str | Path | None = None, device: str = "auto") -> "ModelRunner":
    """The PedSleepMAE runner (engine.inference.ModelRunner); imports torch lazily so the
    viewer starts fast. ``path`` None: the shipped starter model."""
    from engine.inference import ModelRunner

    return ModelRunner.load(path, device=device)


def unlike_training(outlier_scores: npt.NDArray[np.floating], n_epochs: int | None = None) -> bool:
    """The study is unlike the nights the model was trained on (no reconstructions then):
    engine.inference.requirements.unlike_training, imported lazily (torch)."""
    from engine.inference.requirements import unlike_training as _unlike

    return _unlike(outlier_scores, n_epochs)


def reconstructable_channels(present: npt.NDArray[np.bool_]) -> npt.NDArray[np.bool_]:
    """bool [16]: channels the model may rebuild from their own family for ``present``."""
    from engine.inference.requirements import reconstructable

    return reconstructable(present)


def default_model_path() -> Path:
    """The shipped starter model (named without importing torch)."""
    from engine.shipped import DEFAULT_MODEL

    return DEFAULT_MODEL


__all__ = [
    "Annotation", "apply_batch", "apply_filter", "apply_refit", "apply_rule_events",
    "apply_staging", "build_pyramids", "BUILTIN_PSG", "builtin_psg_montage", "CANONICAL_CHANNELS",
    "CANONICAL_NAMES", "canonical_scale", "Change", "ChannelMap", "ChannelSource", "ChannelType",
    "CheckpointError", "classify", "classify_signal", "combine_sources", "compare_scorings",
    "default_filter", "DEFAULT_FILTERS", "default_model_path", "detect_format", "Derivation", "DerivedStudy",
    "DisplayFilter", "engineering", "epoch_of", "EPOCH_S", "event_min_duration_s",
    "event_terms_lines", "events_job", "EventType", "export_edf_plus", "export_events_tsv",
    "export_hypnogram_csv", "ExtraSignal", "FILTER_CHOICES", "GATE", "holds_no_signals", "import_scoring", "KIND_NAMES",
    "KINDS", "LARGE_FILE_SIGNALS", "live_agreement", "load_model_input", "load_model_night",
    "load_model_runner", "map_study", "MIN_REVIEWED", "minmax_envelope", "model_events_allowed",
    "model_fitted_on", "Montage", "MontageRow", "MontageStore", "n_corrections", "n_epochs_for",
    "open_scoring", "open_study", "overlaps", "PauseGate", "PausingCancel", "pretty_unit", "ProfileStore",
    "Progress", "Provenance", "PyramidSet", "reconstructable_channels", "reconstruction_signal",
    "recording_candidates", "recording_for", "recording_named_for", "REFIT_EVERY", "refit_from_reviews", "refit_inputs", "refit_on_reviews", "release_free_memory",
    "report_html", "reviewed_mask", "ReviewState", "row_scale", "RowScale", "RULE_SETS",
    "RuleEventsReady", "same_event_key", "Scoring", "ScoringFormatError", "scoring_only_text", "scorings_for", "setup_logging",
    "shorter_than_minimum", "signal_kind", "SignalInfo", "sleep_report", "SNORE_PREFILTER", "Stage",
    "STAGE_NAMES", "stage_source_for", "stage_study", "Staged", "StagingUnavailable", "Study",
    "study_outlier", "StudyError", "TraceSource", "training_labels", "unlike_training", "UserError",
    "write_report_html",
]
