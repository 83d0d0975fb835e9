"""Runs the model beside the scorer.

One background thread at a time (the model runner is not thread-safe), jobs queued:
inference over the night (the visible page first, then outward), a re-fit of the stage
probe on the scorer's reviews, similar-epoch look-ups. Every job is an engine generator
run by ``GeneratorWorker`` at idle priority; results reach main-thread slots tagged with
the job's request id, and anything from a cancelled or superseded job is dropped. The
document is only ever touched here, in the main thread.
"""

from __future__ import annotations

import functools
import logging
import os
from collections import defaultdict

import numpy as np
from PySide6.QtCore import QObject, Signal

import engine.api as eng
from engine.api import (
    CANONICAL_NAMES,
    CheckpointError,
    EventType,
    Progress,
    RuleEventsReady,
    Staged,
    study_outlier,
)
from gui.assistant.messages import (
    BatchReady,
    ReconstructionReady,
    RefitReady,
    RunnerLoaded,
    SessionReady,
    SimilarReady,
    StagingUnavailableNote,
)
from gui.gc_pauses import making_long_lived
from gui.workers import FIRST_PAGE_GRACE_S, GeneratorWorker, failure_text

log = logging.getLogger(__name__)
_RUNNERS: dict = {}  # model path -> ModelRunner, loaded once per app


def _load_runner(path: str | None, device: str):
    from engine.api import default_model_path

    key = (os.fspath(path or default_model_path()), device)
    if not os.path.isfile(key[0]):  # say so before paying for importing torch
        raise CheckpointError(f"{key[0]}: model file not found; the viewer works without suggestions")
    if key not in _RUNNERS:
        with making_long_lived():  # later full collections skip torch's ~130 k objects
            import torch

            from engine.api import load_model_runner

            torch.set_num_threads(max(1, (os.cpu_count() or 2) - 1))  # leave a core to the GUI
            _RUNNERS[key] = load_model_runner(key[0], device=device)
    return _RUNNERS[key]


def reset_runner_cache() -> None:
    """Forget loaded models (tests start each from a clean slate)."""
    _RUNNERS.clear()


class AssistantController(QObject):
    progress = Signal(float, str)  # fraction done, message
    updated = Signal()  # suggestions / outliers / reconstructions changed
    failed = Signal(str)
    refitted = Signal(object)  # RefitResult
    similar_ready = Signal(int, object)  # epoch, tuple[SimilarEpoch]
    finished = Signal()

    def __init__(self, parent=None, model_path: str | None = None, device: str = "auto"):
        super().__init__(parent)
        self.model_path = model_path
        self.device = device
        self.enabled = True
        self._refit_every: int | None = None  # None: eng.MIN_REVIEWED (loaded on first use)
        self.rule_set: str | None = None  # respiratory rules (None: from the age, else pediatric)
        # YASA in a child process (no GIL shared with the GUI, stopped at once on close);
        # the GUI tests that are not about staging run it in process, to save the child's
        # few seconds of imports per test
        self.stage_in_child = True
        self._reset()

    @property
    def refit_every(self) -> int:
        """Re-fit the MAE's stage probe after this many newly reviewed epochs."""
        return eng.MIN_REVIEWED if self._refit_every is None else self._refit_every

    @refit_every.setter
    def refit_every(self, n: int) -> None:
        self._refit_every = n

    def _reset(self) -> None:
        self.study = self.chmap = self.doc = None
        self.session = None
        self.runner = None
        self.worker: GeneratorWorker | None = None
        self._queue: list = []
        self.outlier = np.zeros(0, np.float32)
        self.embeddings = None
        self.reconstructions: dict[int, list] = defaultdict(list)  # canonical -> pieces
        self.n_done = 0
        self.n_total = 0
        self._first_batch = True
        self._reviewed_at_refit = 0
        self.last_error: str | None = None
        self.last_exception: BaseException | None = None
        self.last_refit = None
        # real-data staging (issue #10): YASA speaks for the stages unless the model was
        # fitted on real scorings; outliers ranked within the study when it is unlike the
        # model's training nights
        self.staging = None  # engine.staging.StagingResult
        self.stage_prior = None  # [n, 5] what the re-fit is anchored on
        self.stage_source = ""
        self._mae_stages = False
        self.mae_proba = None
        self.stage_note = ""
        self.outlier_ref = np.zeros(0, np.float32)
        self.knn = np.zeros(0, np.float32)
        self.recon_err = np.zeros(0, np.float32)
        self.likeness_note = ""
        # reconstructions (issue #11): recorded channels over their flat stretches by
        # default; channels the study never had only when the scorer asks; none at all
        # when the study is unlike the nights the model was trained on
        self.requested: set[int] = set()
        self.unlike = False
        self.recon_note = ""
        # AASM rules (issue #12): their last detection; the model's event suggestions only
        # when its probes were fitted on real scorings (engine.events.second_opinion)
        self.rule_detection = None
        self.model_events = False
        self._rules_rerun_done = False

    # --- lifecycle -----------------------------------------------------------------------
    def start(self, study, chmap, doc, center_epoch: int = 0) -> None:
        """Begin suggesting for a newly opened study (cancels anything running)."""
        self.stop()
        self._reset()
        self.study, self.chmap, self.doc = study, chmap, doc
        n = doc.n_epochs
        self.outlier = np.full(n, np.nan, np.float32)
        self.outlier_ref, self.knn, self.recon_err = (np.full(n, np.nan, np.float32) for _ in range(3))
        self.mae_proba = np.full((n, 5), np.nan, np.float32)
        self._grace_s = FIRST_PAGE_GRACE_S  # the first job lets the first page be drawn first
        if self.enabled:
            # the stages first (YASA, in its own process), then the rules again with them, then
            # the model: the scorer gets stage suggestions without waiting for the model's pass,
            # and the app never holds torch and the model's night while the stager's channels
            # are read or the rules run (each ~170 MB on a 10-h night: issue 16)
            self.rerun_rules()
            self._enqueue("staging", lambda cancel: self._staging_job(cancel))
            requested = frozenset(self.requested)  # read here, in the main thread; the job gets a copy
            self._enqueue("inference", lambda cancel: self._inference_job(cancel, center_epoch, requested))

    def stop(self) -> None:
        """Cancel the running job and drop queued ones; returns when no thread is left."""
        self._queue.clear()
        w, self.worker = self.worker, None
        if w is not None:
            w.cancel()
            w.deleteLater()

    def is_running(self) -> bool:
        return self.worker is not None and self.worker.is_running()

    def _enqueue(self, kind: str, make_gen, first: bool = False) -> None:
        """Queue a job (``first``: ahead of the queued ones, after the running one)."""
        if first:
            self._queue.insert(0, (kind, make_gen))
        else:
            self._queue.append((kind, make_gen))
        if self.worker is None:
            self._next()

    def _next(self) -> None:
        if not self._queue:
            self.worker = None
            self.finished.emit()
            return
        kind, make_gen = self._queue.pop(0)
        w = GeneratorWorker(make_gen, self, delay_s=getattr(self, "_grace_s", 0.0))
        self._grace_s = 0.0
        w.kind = kind
        w.item.connect(self._on_item)
        w.failed.connect(self._on_failed)
        w.finished.connect(self._on_finished)
        self.worker = w
        w.start()

    def _current(self, rid: int) -> bool:
        return self.worker is not None and self.worker.request_id == rid

    def _on_finished(self, rid: int) -> None:
        if self._current(rid):
            self.worker.deleteLater()
            self.worker = None
            self._next()

    def _on_failed(self, rid: int, exc: BaseException) -> None:
        if self._current(rid):
            self.last_exception = exc
            self.last_error = failure_text(exc)
            self.failed.emit(self.last_error)

    # --- jobs (worker thread) ------------------------------------------------------------
    def _inference_job(self, cancel, center_epoch: int, requested: frozenset = frozenset()):
        from engine.api import load_model_night

        yield Progress(0.0, "loading the model")
        runner = _load_runner(self.model_path, self.device)
        if cancel.is_set():
            return
        yield RunnerLoaded(runner)
        yield Progress(0.0, "reading the night for the model")
        night = load_model_night(self.study, self.chmap, cancel)  # float16, no whole-night float32 copy
        if night is None or cancel.is_set():
            return
        session = runner.session_for(night, os.path.basename(self.study.path))
        yield SessionReady(session)
        for batch in runner.run(session, center_epoch=center_epoch, cancel=cancel, reconstruct=True,
                                reconstruct_missing=requested):
            yield BatchReady(batch)

    def _rules_job(self, cancel, rules, stages, arousals):
        with making_long_lived():  # the rules' scipy, imported on the first run
            import scipy.ndimage  # noqa: F401
            import scipy.signal  # noqa: F401
        yield from eng.events_job(self.study, self.chmap, rules=rules, stages=stages, cancel=cancel, arousals=arousals)

    def scored_arousals(self):
        """The arousals the scorer decided on (hypopneas link to these), or None: then
        the rules detect them from the EEG."""
        if self.doc is None:
            return None
        evs = self.doc.events(types=[EventType.AROUSAL], decided_only=True)
        return [(e.onset_s, e.duration_s) for e in evs] or None

    def stages_for_rules(self):
        """The scorer's stages where scored, else the suggested ones (-1 where neither):
        the arousal rule needs to know what is sleep."""
        if self.doc is None:
            return None
        st = np.asarray(self.doc.stages(), int).copy()
        sugg = np.asarray(self.doc.suggested_stages(), int)
        st[st < 0] = sugg[st < 0]
        return st

    def rerun_rules(self, rule_set: str | None = None, first: bool = False) -> bool:
        """Score the events again by the rules (another rule set, or new stages; ``first``:
        before the jobs already queued)."""
        if self.doc is None or not self.enabled:
            return False
        self.rule_set = rule_set if rule_set is not None else self.rule_set
        # read the document here, in the main thread; the job gets copies
        rules, stages, arousals = self.rule_set, self.stages_for_rules(), self.scored_arousals()
        self._enqueue("rules", lambda cancel: self._rules_job(cancel, rules, stages, arousals), first=first)
        return True

    def _staging_job(self, cancel):
        """The real-data stager over the whole night (it needs every epoch: no visible page
        first), with progress; a study it cannot stage says why instead of failing."""
        try:
            # in a child process: YASA neither holds the GUI's GIL nor adds to its memory,
            # and closing the study stops it at once
            for item in eng.stage_study(self.study, self.chmap, cancel, isolate=self.stage_in_child):
                yield item
        except eng.StagingUnavailable as exc:
            yield StagingUnavailableNote(str(exc))

    def _real_refit_job(self, cancel, prior, features, labels, prev, reviewed):
        yield RefitReady(eng.refit_on_reviews(prior, features, labels, prev, reviewed), "per-study re-fit")

    def _refit_job(self, cancel, emb, labels, prev, reviewed):
        yield RefitReady(eng.refit_from_reviews(self.runner, emb, labels, prev, reviewed))

    def _similar_job(self, cancel, epoch: int, k: int):
        yield SimilarReady(epoch, self.runner.similar_epochs(self.session, epoch, k=k, cancel=cancel))

    # --- results (main thread) -----------------------------------------------------------
    def _on_item(self, rid: int, item) -> None:
        if not self._current(rid) or self.doc is None:
            return
        try:
            self._apply(item)
        except Exception as exc:  # a bad result must not take the viewer down
            log.exception("assistant job failed")
            self._on_failed(rid, exc)

    def _apply(self, item) -> None:
        handler = self._handlers.get(type(item))
        if handler is None:
            raise TypeError(f"unexpected result from a worker job: {type(item).__name__}")
        handler(item)

    @functools.cached_property
    def _handlers(self) -> dict:
        return {Progress: self._on_progress, RunnerLoaded: self._on_runner, RuleEventsReady: self._on_rule_events,
                SessionReady: self._on_session, BatchReady: self._on_batch, RefitReady: self._on_refit,
                Staged: self._on_staged, StagingUnavailableNote: self._on_staging_unavailable,
                SimilarReady: self._on_similar, ReconstructionReady: self._on_reconstruction}

    def _on_progress(self, m: Progress) -> None:
        self.progress.emit(m.fraction, m.message)

    def _on_runner(self, m: RunnerLoaded) -> None:
        self.runner = m.runner
        self.stage_source = eng.stage_source_for(eng.model_fitted_on(self.runner))
        self._mae_stages = self.stage_source != "yasa"  # a generated-only model never stages a study
        self.model_events = eng.model_events_allowed(self.runner, self.study)

    def _on_rule_events(self, m: RuleEventsReady) -> None:
        self.rule_detection = m.detection
        eng.apply_rule_events(self.doc, m.detection)
        self.updated.emit()

    def _on_session(self, m: SessionReady) -> None:
        self.session = m.session
        self.n_total = self.session.n_epochs
        self.embeddings = np.full((self.doc.n_epochs, self.session.emb.shape[1]), np.nan, np.float32)
        missing = ", ".join(self.session.missing_channels) or "none"
        self.progress.emit(0.0, f"suggesting… (missing channels: {missing})")

    def _on_batch(self, m: BatchReady) -> None:
        b = m.batch
        eng.apply_batch(self.doc, b, self.chmap, first=self._first_batch, model_events=self.model_events,
                        stages=self._mae_stages)
        self._first_batch = False
        if b.n_done >= b.n_total and not self._rules_rerun_done and (self.doc.suggested_stages() >= 0).any():
            self._rules_rerun_done = True  # stages now suggested: arousals can be scored
            self.rerun_rules()
        ep = np.asarray(b.epochs)
        ok = ep < len(self.outlier)
        self.outlier_ref[ep[ok]] = b.outlier_score[ok]
        self.knn[ep[ok]] = b.knn_distance[ok]
        self.recon_err[ep[ok]] = b.recon_error[ok]
        self.mae_proba[ep[ok]] = b.stage_probs[ok]
        self.embeddings[ep[ok]] = b.embeddings[ok]
        self._judge_likeness()
        self.outlier = study_outlier(self.outlier_ref, self.knn, self.recon_err, self.unlike)
        if not self.unlike:
            for r in b.reconstructions:
                self.reconstructions[r.channel].append(r)
        self.n_done = b.n_done
        self.progress.emit(b.n_done / max(1, b.n_total), f"suggested {b.n_done}/{b.n_total} epochs")
        if b.n_done >= b.n_total and self.staging is not None and self.stage_source == "yasa+pedsleepmae":
            self._apply_staging(self.staging)  # the stager ran first: pool it with the model's now
        self.updated.emit()

    def _on_refit(self, m: RefitReady) -> None:
        self.last_refit = m.result
        eng.apply_refit(self.doc, m.result, eng.reviewed_mask(self.doc), source=m.source)
        self.refitted.emit(m.result)
        self.updated.emit()

    def _on_staged(self, m: Staged) -> None:
        self._apply_staging(m.result)

    def _on_staging_unavailable(self, m: StagingUnavailableNote) -> None:
        self.stage_note = f"no stage suggestions: {m.reason}"
        self.progress.emit(1.0, self.stage_note)

    def _on_similar(self, m: SimilarReady) -> None:
        self.similar_ready.emit(m.epoch, m.similar)

    def _on_reconstruction(self, m: ReconstructionReady) -> None:
        if not self.unlike and m.piece.channel in self.requested:
            self.reconstructions[m.piece.channel].append(m.piece)
            self.updated.emit()

    # --- requests ------------------------------------------------------------------------
    def review_state(self) -> eng.ReviewState | None:
        if self.doc is None:
            return None
        return eng.ReviewState.compute(self.doc, self.outlier)

    def agreement(self):
        return eng.live_agreement(self.doc) if self.doc is not None else None

    def maybe_refit(self, force: bool = False) -> bool:
        """After every ``refit_every`` newly reviewed epochs (or when forced), re-fit the
        stage probe on the reviews in the worker and re-suggest the rest."""
        if self.doc is not None and self.staging is not None and self.stage_prior is not None:
            return self._maybe_refit_real(force)
        if self.doc is None or self.runner is None or self.embeddings is None or not self._mae_stages:
            return False  # the MAE's stage probe is re-fitted only where the MAE speaks for the stages
        reviewed = eng.reviewed_mask(self.doc)
        n_rev = int(reviewed.sum())
        if not force and n_rev - self._reviewed_at_refit < self.refit_every:
            return False
        labels = eng.training_labels(self.doc)
        if len(np.unique(labels[labels >= 0])) < 2:
            return False  # one class tells the probe nothing
        if not force and eng.n_corrections(self.doc) == 0:
            self._reviewed_at_refit = n_rev
            return False  # the scorer agreed with every suggestion: nothing to learn
        self._reviewed_at_refit = n_rev
        emb = self.embeddings.copy()
        prev = np.asarray(self.doc.suggested_stages()).copy()
        self._enqueue("refit", lambda cancel: self._refit_job(cancel, emb, labels, prev, reviewed))
        return True

    def _apply_staging(self, res) -> None:
        """The stager's probabilities become the stage suggestions (source "yasa"), pooled
        with the model's when its probes were fitted on real scorings."""
        from engine.api import combine_sources

        fitted = eng.model_fitted_on(self.runner)
        prior, source = res.proba, res.source
        if self.stage_source == "yasa+pedsleepmae" and self.mae_proba is not None:
            n = min(len(prior), len(self.mae_proba))
            prior = prior.copy()
            prior[:n] = combine_sources(res.proba[:n], self.mae_proba[:n], fitted.get("validation_kappa") or 0.0)
            source = "yasa+pedsleepmae"
        self.staging, self.stage_prior = res, prior
        eng.apply_staging(self.doc, prior, source)
        if not self._rules_rerun_done and (self.doc.suggested_stages() >= 0).any():
            self._rules_rerun_done = True  # stages now suggested (by the stager): arousals can be scored
            self.rerun_rules(first=True)  # before the model's pass
        chans = ", ".join(v for v in res.channels.values() if v)
        self.stage_note = f"stages: {source} ({chans})"
        self.progress.emit(1.0, f"stage suggestions from {source} ({chans})")
        self.updated.emit()

    def _maybe_refit_real(self, force: bool) -> bool:
        """The per-study re-fit on the stager's probabilities and the study's own features,
        after every few reviews (it takes milliseconds)."""
        labels, prev, reviewed = eng.refit_inputs(self.doc)
        n_rev = int(reviewed.sum())
        every = min(self.refit_every, eng.REFIT_EVERY)
        if not force and n_rev - self._reviewed_at_refit < every:
            return False
        if n_rev == 0 or (not force and eng.n_corrections(self.doc) == 0):
            self._reviewed_at_refit = n_rev
            return False  # nothing to learn
        self._reviewed_at_refit = n_rev
        prior, feats = self.stage_prior.copy(), self.staging.features
        self._enqueue("refit", lambda cancel: self._real_refit_job(cancel, prior, feats, labels, prev, reviewed))
        return True

    def request_similar(self, epoch: int, k: int = 10) -> bool:
        if self.runner is None or self.session is None:
            return False
        self._enqueue("similar", lambda cancel: self._similar_job(cancel, epoch, k))
        return True

    def _judge_likeness(self) -> None:
        from engine.api import unlike_training

        n = self.doc.n_epochs if self.doc is not None else None
        unlike = unlike_training(self.outlier_ref, n)
        if unlike and not self.unlike:
            o = self.outlier_ref[np.isfinite(self.outlier_ref)]
            self.likeness_note = ("This study is unlike the nights the model was trained on: unusual epochs "
                                  "are ranked within this study; stages (where it has an EEG) come from YASA, "
                                  "trained on real nights")
            self.recon_note = (f"No reconstructions: this study is unlike the nights the model was "
                               f"trained on ({float(np.mean(o >= 0.99)):.0%} of its epochs are unusual).")
            self.reconstructions.clear()
        self.unlike = unlike

    def can_request(self, canonical: int) -> str | None:
        """None when channel ``canonical`` can be reconstructed on request, else why not."""
        from engine.api import reconstructable_channels

        if self.unlike:
            return self.recon_note or "this study is unlike the nights the model was trained on"
        if self.session is None:
            return "the model has not read this study yet"
        name = CANONICAL_NAMES[canonical]
        if self.session.night.present[canonical]:
            return f"{name} is recorded: it is rebuilt only over its flat stretches"
        if not reconstructable_channels(self.session.night.present)[canonical]:
            return f"{name} cannot be rebuilt: no channel of its family is recorded"
        return None

    def request_reconstruction(self, canonical: int) -> str | None:
        """Reconstruct a channel the study never had, on the scorer's request (in the
        worker, in chunks). Returns None when started, else the reason it is not."""
        why = self.can_request(canonical)
        if why is not None:
            return why
        if canonical in self.requested:
            return None
        self.requested.add(canonical)
        self._enqueue("reconstruct", lambda cancel: self._reconstruct_job(cancel, canonical))
        return None

    def _reconstruct_job(self, cancel, canonical: int, chunk: int = 8):
        s = self.session
        for a in range(0, s.n_epochs, chunk):
            if cancel.is_set():
                return
            yield ReconstructionReady(self.runner.reconstruct(s, canonical, a, min(chunk, s.n_epochs - a), n_draws=3))

    def reconstruction_pieces(self, canonical: int) -> list:
        return self.reconstructions.get(canonical, [])

    def reconstructed_channels(self) -> list[tuple[int, str, str]]:
        """(canonical index, name, reason) of channels with reconstructions."""
        return [(c, CANONICAL_NAMES[c], v[0].reason) for c, v in sorted(self.reconstructions.items()) if v]
