"""Inference for the GUI worker and the CLI.

    runner = ModelRunner.load()                     # the starter model in resources/model/
    session = runner.open_study("night.edf")        # or runner.prepare(x, present)
    for batch in runner.run(session, center_epoch=120, cancel=stop_event):
        ...                                         # EpochBatch: frozen, numpy only

``ModelRunner`` holds the loaded model and its probes and puts the pieces together; each
role has its own module in engine/inference/:

    scheduling.py         visible-page-first chunk order, the run generator, collect()
    session.py            NightSession: the prepared night and what is computed so far
    encoding.py           encoding epochs once, the bounded token cache
    event_suggestions.py  the event heads over encoded epochs
    outliers.py           masked reconstruction error, k-NN distance, outlier score
    reconstruction.py     rebuilding a failed (flat) or requested channel, with a band
    similarity.py         similar epochs
    refit.py              event thresholds from the scorer's decisions

Each chunk encodes its epochs (plus ``MARGIN_EPOCHS`` either side, each epoch once, so
that the event heads' minute-long windows and the stage probe's neighbour context are
exact), runs one masked pass for the reconstruction error and, where a recorded channel
is flat (or a missing one was asked for), decodes it with an uncertainty band.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import numpy as np

from engine.errors import CheckpointError
from engine.inference.encoding import (
    TOKEN_CACHE,
    encode_remaining,
    ensure_encoded,
    tokens_for,
)
from engine.inference.event_suggestions import MARGIN_EPOCHS, events_in, events_over_encoded
from engine.inference.outliers import RECON_MASK_RATIO, masked_pass, outlier_score
from engine.inference.outliers import knn_distance as reference_knn_distance
from engine.inference.reconstruction import blend_linear, chunk_reconstructions, reconstruct_channel
from engine.inference.refit import refit_event_thresholds
from engine.inference.results import (
    ChannelReconstruction,
    EpochBatch,
    NightResult,
    SimilarEpoch,
    SuggestedEvent,
)
from engine.inference.scheduling import Cancel, collect, is_cancelled, run_chunks
from engine.inference.session import NightSession, new_session
from engine.inference.similarity import most_similar
from engine.model.checkpoint import LoadedModel, load_model
from engine.model.device import resolve_device
from engine.model.features import epoch_batch
from engine.model.mae import Attention, Mlp
from engine.model.preprocess import NightInput, prepare_night
from engine.model.probes import EventHeads, StageProbe, refit_stage_probe
from engine.pause_gate import pause_points
from engine.shipped import DEFAULT_MODEL

__all__ = [
    "DEFAULT_MODEL", "MARGIN_EPOCHS", "RECON_MASK_RATIO", "TOKEN_CACHE", "ModelRunner", "NightSession",
    "collect", "default_model_path",
]


def default_model_path() -> Path:
    return DEFAULT_MODEL


class ModelRunner:
    """A loaded model with its probes, ready to score nights (not thread-safe: use it from
    one worker thread)."""

    def __init__(self, model: LoadedModel | str | Path | None = None, *, device: str = "auto"):
        if model is None:
            model = DEFAULT_MODEL
        if not isinstance(model, LoadedModel):
            model = load_model(model)
        self.loaded = model
        self.cfg = model.config
        self.device = resolve_device(device)
        self.model = model.model.to(self.device).eval()
        # in a GUI job thread the pass waits before each attention and MLP layer while the scorer acts
        pause_points(self.model, (Attention, Mlp))
        probes = model.probes
        self.base_stage_probe: StageProbe | None = StageProbe.from_arrays(probes) if "stage.w" in probes else None
        self.stage_probe = self.base_stage_probe
        self.event_heads: EventHeads | None = EventHeads.from_arrays(probes) if "event.w" in probes else None
        # the reference set (outliers, similarity) and the reconstruction fit, by name
        self.ref: dict[str, np.ndarray] = {k[4:]: v for k, v in probes.items() if k.startswith("ref.")}
        self.recon: dict[str, np.ndarray] = {k[6:]: v for k, v in probes.items() if k.startswith("recon.")}
        self._sec_per_epoch: float | None = None

    @classmethod
    def load(cls, path: str | Path | None = None, device: str = "auto") -> ModelRunner:
        path = Path(path) if path else DEFAULT_MODEL
        if not path.is_file():
            raise CheckpointError(f"{path}: model file not found")
        return cls(path, device=device)

    # -- sessions -----------------------------------------------------------------------
    def prepare(self, x: np.ndarray, present: np.ndarray, name: str = "") -> NightSession:
        """x [16, T] physical units at 128 Hz, present [16] bool. The normalised night is
        kept as float16 (as training stores it; half the memory of a 10-h night), read
        back as float32 per batch."""
        return self._session(prepare_night(x, present, dtype=np.float16), name)

    def session_for(self, night: NightInput, name: str = "") -> NightSession:
        """A session for a night already normalised (engine.channels.model_input
        .load_model_night reads a study straight into one, without a float32 copy)."""
        return self._session(night, name)

    def open_study(self, path: str | Path) -> NightSession:
        from engine.channels.model_input import load_study_input

        x, present, _, study = load_study_input(path)
        try:
            study.close()
        except Exception:  # noqa: BLE001
            pass
        return self.prepare(x, present, Path(path).stem)

    def _session(self, night: NightInput, name: str) -> NightSession:
        n_second_features = self.event_heads.pca_comp.shape[1] if self.event_heads is not None else 0
        return new_session(night, name, 3 * self.cfg.width, n_second_features)

    # -- the night, chunk by chunk --------------------------------------------------------
    def stage_probs(self, s: NightSession, start_epoch: int, stop_epoch: int) -> np.ndarray:
        """Stage probabilities [n, 5] of encoded epochs (the probe reads one neighbour
        either side); NaN without a stage probe or where the montage cannot stage."""
        if self.stage_probe is None or not s.can_stage:
            return np.full((stop_epoch - start_epoch, 5), np.nan, np.float32)
        lo, hi = max(0, start_epoch - 1), min(s.n_epochs, stop_epoch + 1)
        proba = self.stage_probe.predict_proba(s.emb[lo:hi])
        return proba[start_epoch - lo: stop_epoch - lo].astype(np.float32)

    def knn_distance(self, emb: np.ndarray) -> np.ndarray:
        """Distance [n] of embeddings to the model's reference set (NaN without one)."""
        return reference_knn_distance(self.ref, emb)

    def blend_linear(self, c: int, mae_z: np.ndarray, x: np.ndarray, visible: np.ndarray) -> np.ndarray:
        """engine.inference.reconstruction.blend_linear with this model's fit."""
        return blend_linear(self.recon, c, mae_z, x, visible)

    def _chunk(self, s: NightSession, start_epoch: int, stop_epoch: int, request_id: object, n_done: int,
               reconstruct: bool, outliers: bool = True, missing_ok: np.ndarray | None = None) -> EpochBatch:
        n = stop_epoch - start_epoch
        epochs = list(range(start_epoch, stop_epoch))
        ensure_encoded(self.model, self.event_heads, s, max(0, start_epoch - MARGIN_EPOCHS),
                       min(s.n_epochs, stop_epoch + MARGIN_EPOCHS), self.device)  # chunk and margins, once
        x, hidden = epoch_batch(s.night, epochs, self.device)
        rebuild = reconstruct and bool(hidden.any())
        tokens = tokens_for(self.model, self.event_heads, s, epochs, self.device) if rebuild else None
        if outliers or rebuild:
            recon_error, second_draw = masked_pass(self.model, self.cfg, epochs, x, hidden, self.device)
        else:
            recon_error, second_draw = np.full(n, np.nan, np.float32), None
        recs = (chunk_reconstructions(self.model, self.cfg, self.recon, s, start_epoch, stop_epoch, tokens,
                                      hidden, second_draw, missing_ok)
                if rebuild and tokens is not None else ())
        emb = s.emb[start_epoch:stop_epoch].copy()
        knn = self.knn_distance(emb)
        outlier = outlier_score(self.ref, knn, recon_error) if outliers else np.full(n, np.nan, np.float32)
        return EpochBatch(request_id, np.arange(start_epoch, stop_epoch), self.stage_probs(s, start_epoch, stop_epoch),
                          emb, outlier, knn, recon_error, tuple(events_in(self.event_heads, s, start_epoch, stop_epoch)),
                          recs, n_done + n, s.n_epochs)

    def run(self, s: NightSession, *, center_epoch: int | None = None, cancel: Cancel = None,
            request_id: object = None, reconstruct: bool = True, outliers: bool = True,
            batch_epochs: int | None = None, max_batch_s: float = 0.15,
            reconstruct_missing: np.ndarray | None = None) -> Iterator[EpochBatch]:
        """Generator of EpochBatch over the whole night, the chunk holding
        ``center_epoch`` first (engine.inference.scheduling).  ``cancel``: an object with
        ``is_set()`` (threading.Event) or a callable; checked between chunks.
        ``outliers=False`` skips the masked pass (no reconstruction error / outlier score,
        NaN there): 2-3x faster, what headless scoring uses. ``reconstruct_missing``: None
        rebuilds every missing channel of a recorded family; else only the canonical indices
        given (the scorer's requests) — recorded channels are always rebuilt over their flat
        stretches (engine.inference.requirements.reconstruction_targets)."""
        first_size = batch_epochs or (4 if self.cfg.width * (self.cfg.n_patches + 1) < 64 * 1024 else 1)

        def compute(start_epoch: int, stop_epoch: int, n_done: int) -> EpochBatch:
            return self._chunk(s, start_epoch, stop_epoch, request_id, n_done, reconstruct, outliers,
                               reconstruct_missing)

        yield from run_chunks(compute, s.n_epochs, center_epoch=center_epoch, first_size=first_size,
                              adapt=batch_epochs is None, max_batch_s=max_batch_s, cancel=cancel)

    def score(self, s: NightSession, cancel: Cancel = None, progress: Callable[[int, int], object] | None = None,
              reconstruct: bool = False, outliers: bool = False) -> NightResult | None:
        """Whole night at once (CLI, evaluation): stages and events, by default without the
        outlier pass and reconstructions; ``progress(done, total)``."""
        t0 = time.perf_counter()
        batches = []
        for bt in self.run(s, cancel=cancel, reconstruct=reconstruct, outliers=outliers, max_batch_s=1.0):
            batches.append(bt)
            if progress:
                progress(bt.n_done, bt.n_total)
        if is_cancelled(cancel):
            return None
        return collect(batches, s, time.perf_counter() - t0)

    # -- on demand --------------------------------------------------------------------------
    def reconstruct(self, s: NightSession, channel: int, start_epoch: int, n_epochs: int = 1,
                    n_draws: int = 8, extra_mask: float = 0.25, seed: int = 0) -> ChannelReconstruction:
        """Reconstruct one channel over epochs [start, start+n) from the other channels, with
        a band from ``n_draws`` random extra maskings of the other channels combined with the
        model's typical error for this channel.  Works for present channels too (compare)."""
        return reconstruct_channel(self.model, self.cfg, self.recon, s, channel, start_epoch, n_epochs,
                                   n_draws, extra_mask, seed, self.device)

    def similar_epochs(self, s: NightSession, epoch: int, k: int = 10, cancel: Cancel = None
                       ) -> tuple[SimilarEpoch, ...]:
        """The k epochs of this night most similar to ``epoch`` (cosine similarity of
        standardised embeddings); encodes what is not encoded yet."""
        if not encode_remaining(self.model, self.event_heads, s, self.device, lambda: is_cancelled(cancel)):
            return ()
        return most_similar(s.emb, self.ref, epoch, k)

    # -- learning from corrections ------------------------------------------------------------
    def refit_stage_probe(self, embeddings: np.ndarray, labels: np.ndarray,
                          strength: float = 0.05, install: bool = True) -> StageProbe:
        """Re-fit the stage probe on the scorer's decisions (labels 0..4, -1 = not reviewed)
        for this night's embeddings [n_epochs, E]; seconds on CPU.  ``install`` makes it the
        probe used from now on; ``reset_stage_probe()`` returns to the shipped one."""
        if self.base_stage_probe is None:
            raise CheckpointError("this model has no stage probe to re-fit")
        probe = refit_stage_probe(embeddings, labels, self.base_stage_probe, strength=strength)
        if install:
            self.stage_probe = probe
        return probe

    def reset_stage_probe(self) -> None:
        self.stage_probe = self.base_stage_probe

    def refit_event_thresholds(self, decisions: Iterable[tuple[str, float, bool]]) -> dict[str, float]:
        """Adjust per-type event thresholds from the scorer's decisions on suggestions:
        ``decisions`` = iterable of (type, confidence, accepted: bool)
        (engine.inference.refit). Returns the new thresholds; call ``suggest_events`` to
        re-suggest."""
        if self.event_heads is None:
            return {}
        return refit_event_thresholds(self.event_heads.threshold, decisions)

    def suggest_events(self, s: NightSession, start_epoch: int = 0,
                       stop_epoch: int | None = None) -> tuple[SuggestedEvent, ...]:
        """Events for the encoded epochs in [start, stop) with the current thresholds (no
        encoder work: from cached features).  Returns a tuple of SuggestedEvent."""
        stop = s.n_epochs if stop_epoch is None else stop_epoch
        return events_over_encoded(self.event_heads, s, start_epoch, stop)

    def predict_stages(self, embeddings: np.ndarray) -> np.ndarray:
        """Stage probabilities [n, 5] with the current probe.  Pass the whole night's
        embeddings in epoch order (``session.embeddings``; NaN rows where not computed yet
        give NaN rows): the probe reads each epoch's neighbours too, so a subset taken out
        of order gets a wrong context."""
        emb = np.asarray(embeddings, np.float32)
        out = np.full((len(emb), 5), np.nan, np.float32)
        if self.stage_probe is None or len(emb) == 0:
            return out
        ok = np.asarray(np.isfinite(emb).all(axis=1))  # rows computed
        if ok.any():
            proba = self.stage_probe.predict_proba(np.where(ok[:, None], emb, np.nan))
            out[ok] = proba[ok]
        return out
