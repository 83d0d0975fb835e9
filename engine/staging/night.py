"""The stage suggestion for a whole study, from the right source: YASA unless the model
file's probes were fitted on real scorings (then YASA and the model pooled by their
validation κ). Used by ``pedsleep score`` and ``pedsleep simulate-review``."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from engine.staging.result import SOURCE_COMBINED, StagingResult
from engine.staging.sources import combine_sources, model_fitted_on, stage_source_for
from engine.staging.yasa_stager import run_stager


def stage_night(study, chmap, runner=None, mae_proba: np.ndarray | None = None, cancel=None,
                progress=None) -> StagingResult | None:
    """YASA's staging of ``study``, pooled with ``mae_proba`` (the loaded model's stage
    probabilities [n_epochs, 5]) only when ``runner``'s model was fitted on real scorings."""
    res = run_stager(study, chmap, cancel=cancel, progress=progress)
    if res is None:
        return None
    fitted = model_fitted_on(runner) if runner is not None else {"kind": "unknown"}
    if mae_proba is not None and stage_source_for(fitted) == SOURCE_COMBINED:
        n = min(len(res.proba), len(mae_proba))
        p = res.proba.copy()
        p[:n] = combine_sources(res.proba[:n], np.asarray(mae_proba)[:n], float(fitted.get("validation_kappa") or 0.0))
        res = replace(res, proba=p, source=SOURCE_COMBINED)
    return res


def stages_for_scoring(path, result, runner=None, chmap=None):
    """``pedsleep score``: the NightResult with its stage probabilities from the right
    source (YASA, or YASA pooled with a model fitted on real scorings), and one report line
    saying which. Where YASA cannot stage the study (no EEG), the model's stages stay only
    if the model was fitted on real scorings."""
    from engine.channels.mapping import map_study
    from engine.channels.profiles import ProfileStore
    from engine.io import open_study
    from engine.staging.result import StagingUnavailable

    study = open_study(path)
    try:
        chmap = chmap or map_study(study, ProfileStore())
        try:
            staged = stage_night(study, chmap, runner, result.stage_probs)
        except StagingUnavailable as exc:
            if model_fitted_on(runner).get("kind") == "real":
                return result, f"stages: pedsleepmae (fitted on real scorings); YASA could not run: {exc}"
            n = len(result.stage_probs)
            return replace(result, stage_probs=np.full((n, 5), np.nan, np.float32)), \
                f"stages: none ({exc}; the model was fitted on generated nights only)"
    finally:
        study.close()
    n = len(result.stage_probs)
    p = np.full((n, 5), np.nan, np.float32)
    k = min(n, len(staged.proba))
    p[:k] = staged.proba[:k]
    chans = ", ".join(f"{kind} {lab}" for kind, lab in staged.channels.items() if lab)
    return replace(result, stage_probs=p), f"stages: {staged.source} ({chans})"
