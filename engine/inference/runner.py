"""Inference for the GUI worker and the CLI.

    runner = ModelRunner.load()                     # the starter model in resources/model/
    session = runner.open_study("night.edf")        # or runner.prepare(x, present)
    for batch in runner.run(session, center_epoch=120, cancel=stop_event):
        ...                                         # EpochBatch: frozen, numpy only

Work is done in contiguous chunks of epochs, the chunk holding ``center_epoch`` first, then
alternately right and left of what is done; the chunk size adapts so that one chunk takes
about ``max_batch_s`` (default 0.15 s).  Each chunk encodes its epochs (plus a margin of
two epochs either side, cached, so that the event heads' minute-long windows and the stage
probe's neighbour context are exact), runs one masked pass for the reconstruction error
and, where channels are missing or flat, decodes them with an uncertainty band.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from engine.channels.canonical import (
    CANONICAL_CHANNELS,
    CANONICAL_NAMES,
    EPOCH_S,
    EPOCH_SAMPLES,
    MODEL_SFREQ_HZ,
)
from engine.errors import CheckpointError
from engine.inference.requirements import (
    can_stage,
    reconstructable,
    reconstruction_targets,
    steady_reading,
    suggestable_events,
)
from engine.inference.results import (
    ChannelReconstruction,
    EpochBatch,
    NightResult,
    SimilarEpoch,
    SuggestedEvent,
)
from engine.model.checkpoint import LoadedModel, load_model
from engine.model.device import resolve_device
from engine.model.features import embeddings_and_seconds, epoch_batch
from engine.model.preprocess import NightInput, prepare_night
from engine.model.probes import (
    EVENT_TYPES,
    MIN_DURATION_S,
    EventHeads,
    StageProbe,
    linear_conditional,
    multiscale_features,
    refit_stage_probe,
    segments_from_proba,
)

DEFAULT_MODEL = Path(__file__).resolve().parents[2] / "resources" / "model" / "pedsleep-compact.safetensors"
MARGIN_EPOCHS = 2  # 60 s: half the widest event window
TOKEN_CACHE = 256  # encoder outputs kept for epochs with hidden channels (reconstruction)
RECON_MASK_RATIO = 0.5


def default_model_path() -> Path:
    return DEFAULT_MODEL


def _is_cancelled(cancel) -> bool:
    if cancel is None:
        return False
    if hasattr(cancel, "is_set"):
        return bool(cancel.is_set())
    return bool(cancel())


@dataclass
class NightSession:
    """A night prepared for the model plus what has been computed so far."""

    night: NightInput
    name: str = ""
    emb: np.ndarray | None = None  # [n_epochs, E], NaN until computed
    sec: np.ndarray | None = None  # [n_epochs * 30, K] projected per-second features
    encoded: np.ndarray | None = None  # [n_epochs] bool
    info: dict = field(default_factory=dict)
    tokens: OrderedDict = field(default_factory=OrderedDict)  # epoch -> encoder tokens (LRU)

    @property
    def n_epochs(self) -> int:
        return self.night.n_epochs

    @property
    def missing_channels(self) -> tuple[str, ...]:
        return tuple(CANONICAL_NAMES[c] for c in np.flatnonzero(~self.night.present))

    @property
    def embeddings(self) -> np.ndarray:
        return self.emb

    @property
    def can_stage(self) -> bool:
        """Stages need EEG or EOG (engine.inference.requirements)."""
        return can_stage(self.night.present)

    @property
    def event_types(self) -> tuple[str, ...]:
        """The event types suggested for this study (engine.inference.requirements)."""
        return suggestable_events(self.night.present)


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
        p = model.probes
        self.base_stage_probe = StageProbe.from_arrays(p) if "stage.w" in p else None
        self.stage_probe = self.base_stage_probe
        self.event_heads = EventHeads.from_arrays(p) if "event.w" in p else None
        self.ref = {k[4:]: v for k, v in p.items() if k.startswith("ref.")}
        self.recon = {k[6:]: v for k, v in p.items() if k.startswith("recon.")}
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

    def open_study(self, path) -> NightSession:
        from engine.channels.model_input import load_study_input

        x, present, _, study = load_study_input(path)
        try:
            study.close()
        except Exception:  # noqa: BLE001
            pass
        return self.prepare(x, present, Path(path).stem)

    def _session(self, night: NightInput, name: str) -> NightSession:
        n = night.n_epochs
        e_dim = 3 * self.cfg.width
        k = self.event_heads.pca_comp.shape[1] if self.event_heads is not None else 0
        return NightSession(night, name, np.full((n, e_dim), np.nan, np.float32),
                            np.full((n * 30, k), np.nan, np.float32), np.zeros(n, bool))

    # -- core -----------------------------------------------------------------------------
    @torch.inference_mode()
    def _encode(self, s: NightSession, epochs: list[int]):
        """Encode epochs (unmasked), fill the caches; returns tokens [n, S+1, W]."""
        x, hid = epoch_batch(s.night, epochs, self.device)
        tokens = self.model.encode(x, present=~hid)
        emb, sec = embeddings_and_seconds(self.model, tokens)
        ep = np.asarray(epochs)
        s.emb[ep] = emb
        if self.event_heads is not None:
            proj = self.event_heads.project(sec.reshape(-1, sec.shape[-1]))
            idx = (ep[:, None] * 30 + np.arange(30)[None, :]).ravel()
            s.sec[idx] = proj
        s.encoded[ep] = True
        hid_np = hid.cpu().numpy()
        for j, e in enumerate(epochs):  # keep tokens where a reconstruction will need them
            if hid_np[j].any():
                s.tokens[int(e)] = tokens[j].detach()
                while len(s.tokens) > TOKEN_CACHE:
                    s.tokens.popitem(last=False)
        return tokens, x, hid

    def _ensure_encoded(self, s: NightSession, a: int, b: int):
        todo = [i for i in range(a, b) if not s.encoded[i]]
        for j in range(0, len(todo), 64):
            self._encode(s, todo[j:j + 64])

    def _tokens_for(self, s: NightSession, epochs: list[int]) -> torch.Tensor:
        missing = [e for e in epochs if e not in s.tokens]
        if missing:
            self._encode(s, missing)
            toks = {e: s.tokens.get(e) for e in epochs}
            if any(v is None for v in toks.values()):  # no hidden channel there: not cached
                tokens, _, _ = self._encode(s, epochs)
                return tokens
        return torch.stack([s.tokens[e] for e in epochs])

    def stage_probs(self, s: NightSession, a: int, b: int) -> np.ndarray:
        if self.stage_probe is None or not s.can_stage:
            return np.full((b - a, 5), np.nan, np.float32)
        lo, hi = max(0, a - 1), min(s.n_epochs, b + 1)
        p = self.stage_probe.predict_proba(s.emb[lo:hi])
        return p[a - lo: a - lo + (b - a)].astype(np.float32)

    def _events(self, s: NightSession, a: int, b: int) -> list[SuggestedEvent]:
        if self.event_heads is None:
            return []
        ra, rb = max(0, a - MARGIN_EPOCHS), min(s.n_epochs, b + MARGIN_EPOCHS)
        g = s.sec[ra * 30: rb * 30]
        valid = np.isfinite(g[:, 0]) if g.shape[1] else np.ones(len(g), bool)
        ms = multiscale_features(np.nan_to_num(g), valid)
        prob = self.event_heads.proba(ms)
        out = []
        allowed = s.event_types
        for k, t in enumerate(EVENT_TYPES):
            if t not in allowed:
                continue
            for onset, dur, conf in segments_from_proba(prob[:, k], float(self.event_heads.threshold[k]),
                                                        MIN_DURATION_S[t], 1.0, ra * EPOCH_S):
                if a * EPOCH_S <= onset < b * EPOCH_S:
                    out.append(SuggestedEvent(t, float(onset), float(dur), float(conf)))
        return out

    def _percentile(self, q: np.ndarray | None, v: np.ndarray) -> np.ndarray:
        if q is None:
            return np.full(len(v), np.nan, np.float32)
        return (np.interp(v, q, np.linspace(0, 1, len(q)))).astype(np.float32)

    def knn_distance(self, emb: np.ndarray) -> np.ndarray:
        if "points" not in self.ref:
            return np.full(len(emb), np.nan, np.float32)
        from engine.training.fit_probes import knn_distance

        z = ((emb - self.ref["e_mean"]) / self.ref["e_std"] - self.ref["pca_mean"]) @ self.ref["pca_comp"]
        return knn_distance(self.ref["points"], z).astype(np.float32)

    @torch.inference_mode()
    def _masked_pass(self, s: NightSession, epochs: list[int], x, hid):
        """Recon error on randomly hidden cells + a second reconstruction draw."""
        cfg = self.cfg
        cells = torch.stack([torch.rand(cfg.n_chans, cfg.n_patches, generator=torch.Generator().manual_seed(int(e)))
                             < RECON_MASK_RATIO for e in epochs]).to(self.device)
        hidden = cells | hid[:, :, None]
        recon, _ = self.model(x, hidden=hidden)
        tgt = (cells & ~hid[:, :, None]).repeat_interleave(cfg.patch_size, 2).float()
        err = (((recon - x) ** 2) * tgt).sum((1, 2)) / tgt.sum((1, 2)).clamp_min(1)
        return err.cpu().numpy().astype(np.float32), recon

    def blend_linear(self, c: int, mae_z: np.ndarray, x: np.ndarray, visible: np.ndarray) -> np.ndarray:
        """alpha_c * MAE + (1 - alpha_c) * linear conditional estimate from the visible
        channels at the same instants (weights fitted with the probes).
        mae_z [n, T], x [n, C, T] z units, visible [n, C] bool -> [n, T]."""
        m = self.recon.get("moments")
        if m is None:
            return mae_z
        a = float(self.recon["alpha"][c])
        if a >= 1.0:
            return mae_z
        m = m.astype(np.float64)
        out = np.empty_like(mae_z)
        for j in range(len(mae_z)):
            vis = visible[j].copy()
            vis[c] = False
            out[j] = a * mae_z[j] + (1 - a) * linear_conditional(m, x[j], vis, c)
        return out

    def _physical_frame(self, s: NightSession, c: int) -> tuple[float, float, str]:
        """(center, scale, reason) to turn channel ``c``'s z units back into physical ones:
        the night's own statistics when the channel is recorded (flat epochs), else the
        typical ones of the training nights (missing channel)."""
        if s.night.present[c]:
            return float(s.night.center[c]), float(s.night.scale[c]), "flat"
        n = self.cfg.n_chans
        return (float(self.recon.get("typical_center", np.zeros(n))[c]),
                float(self.recon.get("typical_scale", np.ones(n))[c]), "missing")

    def _reconstructions(self, s: NightSession, a: int, b: int, tokens, hid, recon2, missing_ok=None):
        hid_np = hid.cpu().numpy()  # [n, C]
        allowed = (reconstructable(s.night.present) if missing_ok is None
                   else reconstruction_targets(s.night.present, missing_ok))
        chans = np.flatnonzero(hid_np.any(0) & allowed)
        if len(chans) == 0:
            return ()
        cfg = self.cfg
        with torch.inference_mode():
            full_hidden = hid[:, :, None].expand(-1, -1, cfg.n_patches)
            d0 = self.model.decoder(tokens, full_hidden).cpu().numpy()  # [n, C, T]
        d1 = d0 if recon2 is None else recon2.cpu().numpy()
        rmse = self.recon.get("rmse_z", np.ones(cfg.n_chans, np.float32))
        alpha = self.recon.get("alpha", np.ones(cfg.n_chans, np.float32))
        xz = np.stack([np.asarray(s.night.epoch(i), np.float32) for i in range(a, b)])
        out = []
        for c in chans:
            center, scale, reason = self._physical_frame(s, int(c))
            rows = hid_np[:, c].copy()
            if reason == "flat":  # a steady reading is not a lead-off: nothing to rebuild there
                kind = CANONICAL_CHANNELS[c].kind
                zl = xz[:, c].mean(axis=1)
                rows &= ~np.array([steady_reading(kind, center + scale * float(zl[j]), float(zl[j]))
                                   for j in range(len(rows))])
                if not rows.any():
                    continue
            mc = np.abs(d0[:, c] - d1[:, c]).reshape(-1) * float(alpha[c]) / math.sqrt(2)
            m0 = self.blend_linear(int(c), d0[:, c], xz, ~hid_np).reshape(-1)
            k = int(MODEL_SFREQ_HZ)  # smooth the 2-draw spread over 1 s
            mc = np.convolve(mc, np.ones(k) / k, mode="same")
            sig = np.sqrt(mc**2 + float(rmse[c]) ** 2)
            mask = np.repeat(rows, EPOCH_SAMPLES)
            mean = np.where(mask, m0 * scale + center, np.nan).astype(np.float32)
            band = (sig * scale).astype(np.float32)
            out.append(ChannelReconstruction(int(c), CANONICAL_NAMES[c], a * EPOCH_S, MODEL_SFREQ_HZ,
                                             mean, mean - band, mean + band, reason))
        return tuple(out)

    def _chunk(self, s: NightSession, a: int, b: int, request_id, n_done, reconstruct: bool,
               outliers: bool = True, missing_ok=None) -> EpochBatch:
        ra, rb = max(0, a - MARGIN_EPOCHS), min(s.n_epochs, b + MARGIN_EPOCHS)
        epochs = list(range(a, b))
        self._ensure_encoded(s, ra, rb)  # the chunk and its margins, each epoch once
        x, hid = epoch_batch(s.night, epochs, self.device)
        need_rec = reconstruct and bool(hid.any())
        tokens = self._tokens_for(s, epochs) if need_rec else None
        if outliers or (reconstruct and bool(hid.any())):
            err, recon2 = self._masked_pass(s, epochs, x, hid)
        else:
            err, recon2 = np.full(b - a, np.nan, np.float32), None
        recs = self._reconstructions(s, a, b, tokens, hid, recon2, missing_ok) if need_rec else ()
        emb = s.emb[a:b].copy()
        knn = self.knn_distance(emb)
        p_knn = self._percentile(self.ref.get("knn_quantiles"), knn)
        p_rec = self._percentile(self.ref.get("recon_quantiles"), err)
        outlier = np.fmax(p_knn, p_rec) if outliers else np.full(b - a, np.nan, np.float32)
        return EpochBatch(request_id, np.arange(a, b), self.stage_probs(s, a, b), emb, outlier,
                          knn, err, tuple(self._events(s, a, b)), recs, n_done + (b - a), s.n_epochs)

    def run(self, s: NightSession, *, center_epoch: int | None = None, cancel=None,
            request_id=None, reconstruct: bool = True, outliers: bool = True,
            batch_epochs: int | None = None, max_batch_s: float = 0.15, reconstruct_missing=None):
        """Generator of EpochBatch over the whole night; see module doc.  ``cancel``: an
        object with ``is_set()`` (threading.Event) or a callable; checked between chunks.
        ``outliers=False`` skips the masked pass (no reconstruction error / outlier score,
        NaN there): 2-3x faster, what headless scoring uses. ``reconstruct_missing``: None
        rebuilds every missing channel of a recorded family; else only the canonical indices
        given (the scorer's requests) — recorded channels are always rebuilt over their flat
        stretches (engine.inference.requirements.reconstruction_targets)."""
        n = s.n_epochs
        if n == 0:
            return
        size = batch_epochs or (4 if self.cfg.width * (self.cfg.n_patches + 1) < 64 * 1024 else 1)
        adapt = batch_epochs is None
        c = 0 if center_epoch is None else int(np.clip(center_epoch, 0, n - 1))
        lo = hi = max(0, min(c - size // 2, n - size)) if center_epoch is not None else 0
        done = 0
        go_right = True
        first = True
        while lo > 0 or hi < n:
            if _is_cancelled(cancel):
                return
            if (go_right and hi < n) or lo == 0:
                a, b = hi, min(n, hi + size)
                hi = b
            else:
                a, b = max(0, lo - size), lo
                lo = a
            if center_epoch is not None and not first:
                go_right = not go_right
            first = False
            t0 = time.perf_counter()
            batch = self._chunk(s, a, b, request_id, done, reconstruct, outliers, reconstruct_missing)
            dt = time.perf_counter() - t0
            done += b - a
            if adapt and dt > 0:
                size = int(np.clip(size * max_batch_s / dt, 1, 64))
            yield batch

    def score(self, s: NightSession, cancel=None, progress=None, reconstruct: bool = False,
              outliers: bool = False) -> NightResult | None:
        """Whole night at once (CLI, evaluation): stages and events, by default without the
        outlier pass and reconstructions; ``progress(done, total)``."""
        t0 = time.perf_counter()
        batches = []
        for bt in self.run(s, cancel=cancel, reconstruct=reconstruct, outliers=outliers, max_batch_s=1.0):
            batches.append(bt)
            if progress:
                progress(bt.n_done, bt.n_total)
        if _is_cancelled(cancel):
            return None
        return collect(batches, s, time.perf_counter() - t0)

    # -- on demand --------------------------------------------------------------------------
    @torch.inference_mode()
    def reconstruct(self, s: NightSession, channel: int, start_epoch: int, n_epochs: int = 1,
                    n_draws: int = 8, extra_mask: float = 0.25, seed: int = 0) -> ChannelReconstruction:
        """Reconstruct one channel over epochs [start, start+n) from the other channels, with
        a band from ``n_draws`` random extra maskings of the other channels combined with the
        model's typical error for this channel.  Works for present channels too (compare)."""
        cfg = self.cfg
        a, b = max(0, start_epoch), min(s.n_epochs, start_epoch + n_epochs)
        epochs = list(range(a, b))
        x, hid = epoch_batch(s.night, epochs, self.device)
        hid = hid.clone()
        hid[:, channel] = True
        base = hid[:, :, None].expand(-1, -1, cfg.n_patches)
        g = torch.Generator().manual_seed(seed)
        draws = []
        for d in range(max(1, n_draws)):
            h = base if d == 0 else base | (torch.rand(base.shape, generator=g) < extra_mask).to(self.device)
            recon, _ = self.model(x, hidden=h)
            draws.append(recon[:, channel].reshape(-1).cpu().numpy())
        draws = np.stack(draws)
        rmse = float(self.recon.get("rmse_z", np.ones(cfg.n_chans))[channel])
        alpha = float(self.recon.get("alpha", np.ones(cfg.n_chans))[channel])
        sig = np.sqrt((alpha * draws.std(0)) ** 2 + rmse**2)
        n_ep = b - a
        xz = x.cpu().numpy()
        best = self.blend_linear(channel, draws[0].reshape(n_ep, -1), xz, ~hid.cpu().numpy()).reshape(-1)
        center, scale, reason = self._physical_frame(s, int(channel))
        mean = (best * scale + center).astype(np.float32)
        band = (sig * scale).astype(np.float32)
        return ChannelReconstruction(int(channel), CANONICAL_NAMES[channel], a * EPOCH_S, MODEL_SFREQ_HZ,
                                     mean, mean - band, mean + band, reason)

    def similar_epochs(self, s: NightSession, epoch: int, k: int = 10, cancel=None) -> tuple[SimilarEpoch, ...]:
        """The k epochs of this night most similar to ``epoch`` (cosine similarity of
        standardised embeddings); encodes what is not encoded yet."""
        todo = np.flatnonzero(~s.encoded)
        for j in range(0, len(todo), 64):
            if _is_cancelled(cancel):
                return ()
            self._encode(s, todo[j:j + 64].tolist())
        mean = self.ref.get("e_mean", np.nanmean(s.emb, 0))
        std = self.ref.get("e_std", np.nanstd(s.emb, 0) + 1e-6)
        z = (s.emb - mean) / std
        z /= np.linalg.norm(z, axis=1, keepdims=True) + 1e-9
        sim = z @ z[epoch]
        sim[epoch] = -np.inf
        top = np.argsort(-sim)[:k]
        return tuple(SimilarEpoch(int(i), float(sim[i])) for i in top)

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

    def refit_event_thresholds(self, decisions) -> dict[str, float]:
        """Adjust per-type event thresholds from the scorer's decisions on suggestions:
        ``decisions`` = iterable of (type, confidence, accepted: bool).  For each type with
        both kinds of decision, the threshold that best separates accepted from rejected
        confidences is chosen (ties: the lower one).  Returns the new thresholds; call
        ``suggest_events`` to re-suggest."""
        if self.event_heads is None:
            return {}
        dec = list(decisions)
        out = {}
        for k, t in enumerate(EVENT_TYPES):
            acc = np.array([c for (tt, c, a) in dec if tt == t and a], float)
            rej = np.array([c for (tt, c, a) in dec if tt == t and not a], float)
            if len(acc) + len(rej) == 0:
                continue
            cands = np.unique(np.concatenate([acc, rej, [float(self.event_heads.threshold[k])]]))
            best = max(cands, key=lambda th: ((acc >= th).sum() + (rej < th).sum(), -th))
            # a rejected suggestion has confidence >= the old threshold, so the new one is
            # just above it; keep inside [0.05, 0.95]
            if len(rej) and not len(acc):
                best = rej.max() + 1e-3
            self.event_heads.threshold[k] = float(np.clip(best, 0.05, 0.95))
            out[t] = float(self.event_heads.threshold[k])
        return out

    def suggest_events(self, s: NightSession, start_epoch: int = 0, stop_epoch: int | None = None):
        """Events for the encoded epochs in [start, stop) with the current thresholds (no
        encoder work: from cached features).  Returns a tuple of SuggestedEvent."""
        stop = s.n_epochs if stop_epoch is None else stop_epoch
        out = []
        a = start_epoch
        while a < stop:
            if not s.encoded[a]:
                a += 1
                continue
            b = a
            while b < stop and s.encoded[b]:
                b += 1
            out += self._events(s, a, b)
            a = b
        return tuple(sorted(out, key=lambda e: e.onset_s))

    def predict_stages(self, embeddings: np.ndarray) -> np.ndarray:
        """Stage probabilities [n, 5] with the current probe.  Pass the whole night's
        embeddings in epoch order (``session.embeddings``; NaN rows where not computed yet
        give NaN rows): the probe reads each epoch's neighbours too, so a subset taken out
        of order gets a wrong context."""
        emb = np.asarray(embeddings, np.float32)
        out = np.full((len(emb), 5), np.nan, np.float32)
        if self.stage_probe is None or len(emb) == 0:
            return out
        ok = np.isfinite(emb).all(1)
        if ok.any():
            p = self.stage_probe.predict_proba(np.where(ok[:, None], emb, np.nan))
            out[ok] = p[ok]
        return out


def collect(batches, s: NightSession, seconds: float = 0.0) -> NightResult:
    n = s.n_epochs
    e_dim = batches[0].embeddings.shape[1] if batches else 0
    sp = np.full((n, 5), np.nan, np.float32)
    emb = np.full((n, e_dim), np.nan, np.float32)
    out = np.full(n, np.nan, np.float32)
    knn = np.full(n, np.nan, np.float32)
    rec = np.full(n, np.nan, np.float32)
    events = []
    for bt in batches:
        i = bt.epochs
        sp[i], emb[i], out[i], knn[i], rec[i] = bt.stage_probs, bt.embeddings, bt.outlier_score, bt.knn_distance, bt.recon_error
        events += bt.events
    events.sort(key=lambda e: (e.onset_s, e.type))
    return NightResult(sp, emb, out, knn, rec, tuple(events), s.missing_channels, seconds)
