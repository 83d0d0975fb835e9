"""Export a `Scoring`: annotated EDF+ (signals bit-identical to the source; accepted
reconstructed channels appended as extra signals labelled ``"<label> recon"``), BIDS
events.tsv, hypnogram CSV. All writes go to a temporary file that is then renamed."""

from engine.scoring.exporters._common import ExportOptions, FlatAnnotation, flat_annotations
from engine.scoring.exporters.edf_plus import EdfExportReport, export_edf_plus, sidecar_path
from engine.scoring.exporters.events_tsv import events_tsv_text, export_events_tsv
from engine.scoring.exporters.extra_signals import (
    ExtraSignal,
    reconstructed_label,
    reconstruction_signal,
)
from engine.scoring.exporters.hypnogram_csv import export_hypnogram_csv, hypnogram_csv_text

__all__ = [
    "EdfExportReport",
    "ExportOptions",
    "ExtraSignal",
    "FlatAnnotation",
    "events_tsv_text",
    "export_edf_plus",
    "export_events_tsv",
    "export_hypnogram_csv",
    "flat_annotations",
    "hypnogram_csv_text",
    "reconstructed_label",
    "reconstruction_signal",
    "sidecar_path",
]
