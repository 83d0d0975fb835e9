"""Real-data sleep staging: a stage prior trained on real nights (YASA), the per-study
re-fit on the scorer's reviews, calibration, and which source speaks for a study.

Nothing here imports yasa, mne or lightgbm at module import: the viewer starts fast and
pays for them only when a study is staged."""

from engine.staging.calibration import expected_calibration_error, reliability_table
from engine.staging.demographics import Demographics, demographics_from_header
from engine.staging.inputs import StagingChannels, choose_staging_channels
from engine.staging.refit import StudyRefit, refit_study
from engine.staging.result import STAGE_SOURCES, StagingResult, StagingUnavailable
from engine.staging.sources import combine_sources, model_fitted_on, stage_source_for

__all__ = [
    "Demographics", "STAGE_SOURCES", "StagingChannels", "StagingResult", "StagingUnavailable",
    "StudyRefit", "choose_staging_channels", "combine_sources", "demographics_from_header",
    "expected_calibration_error", "model_fitted_on", "refit_study", "reliability_table",
    "stage_source_for",
]
