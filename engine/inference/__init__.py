"""Inference API for the GUI worker and the CLI: numpy arrays and frozen dataclasses out,
never torch tensors.  Use one ModelRunner from one worker thread.

    from engine.inference import ModelRunner
    runner = ModelRunner.load(path=None, device="auto")   # None: resources/model starter
    session = runner.open_study(edf_path)                  # or runner.prepare(x [16,T], present [16])
    for batch in runner.run(session, center_epoch=ep, cancel=event, request_id=rid):
        batch.epochs, batch.stage_probs [n,5], batch.events (SuggestedEvent...),
        batch.outlier_score [n], batch.embeddings [n,E], batch.reconstructions (...)
    runner.reconstruct(session, channel, start_epoch, n_epochs, n_draws=8) -> ChannelReconstruction
    runner.similar_epochs(session, epoch, k=10) -> (SimilarEpoch(epoch, similarity), ...)
    runner.refit_stage_probe(session.embeddings, labels)   # labels [n_epochs], -1 = not reviewed
    runner.predict_stages(session.embeddings) -> [n_epochs, 5]   # re-suggest after a re-fit
    runner.refit_event_thresholds([(type, confidence, accepted), ...]); runner.suggest_events(session)
    runner.reset_stage_probe()

engine/inference/runner.py puts together one module per role (scheduling, session,
encoding, event_suggestions, outliers, reconstruction, similarity, refit; see its docstring).
"""

from engine.inference.results import (
    ChannelReconstruction,
    EpochBatch,
    NightResult,
    SimilarEpoch,
    SuggestedEvent,
)
from engine.inference.runner import ModelRunner, NightSession, collect, default_model_path

__all__ = [
    "ChannelReconstruction", "EpochBatch", "ModelRunner", "NightResult", "NightSession",
    "SimilarEpoch", "SuggestedEvent", "collect", "default_model_path",
]
