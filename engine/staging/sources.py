"""Which source speaks for a study's stages, and how two sources are combined.

Model files say what their stage probe was fitted on (``fitted_on`` metadata: ``kind``
"generated" or "real", ``n_studies``, ``validation_kappa``). YASA (trained on >3,000 real
NSRR nights) is the stage suggestion unless the loaded PedSleepMAE model was fitted on real
scored studies; then both are pooled log-linearly with weights proportional to their
validation κ (docs/architecture.md, rule 8). A source fitted on generated nights only never
speaks for a real study's stages."""

from __future__ import annotations

import numpy as np

from engine.staging.result import SOURCE_COMBINED, SOURCE_MAE, SOURCE_YASA

# YASA's kappa on real 30-min excerpts of the DREAMS kind as reported in issue #10 (8
# excerpts, 30-s epochs vs the expert: accuracy 0.72, kappa 0.55) — the one real-data figure
# for YASA on recordings like ours; a lab that measured YASA on its own scorings should
# pass its figure instead (combine_sources(kappa_yasa=...))
YASA_VALIDATION_KAPPA = 0.55


def model_fitted_on(loaded) -> dict:
    """``{"kind": "generated"|"real"|"unknown", "n_studies": int|None, "validation_kappa":
    float|None}`` for a LoadedModel / ModelRunner (or a plain dict of model metadata)."""
    if loaded is None:
        return {"kind": "unknown", "n_studies": None, "validation_kappa": None}
    lm = getattr(loaded, "loaded", loaded)
    meta = getattr(lm, "fitted_on", None) if not isinstance(lm, dict) else lm.get("fitted_on")
    if not meta and not isinstance(lm, dict):
        meta = (getattr(lm, "probe_meta", {}) or {}).get("fitted_on")
    if not isinstance(meta, dict):
        return {"kind": "unknown", "n_studies": None, "validation_kappa": None}
    kind = str(meta.get("kind", "unknown"))
    return {"kind": kind if kind in ("generated", "real") else "unknown",
            "n_studies": meta.get("n_studies"), "validation_kappa": meta.get("validation_kappa")}


def stage_source_for(fitted_on: dict, yasa_available: bool = True) -> str:
    """"yasa" unless the model's probes were fitted on real scorings (then
    "yasa+pedsleepmae", or "pedsleepmae" alone when YASA cannot run on the study)."""
    real = fitted_on.get("kind") == "real"
    if real:
        return SOURCE_COMBINED if yasa_available else SOURCE_MAE
    return SOURCE_YASA if yasa_available else ""


def combine_sources(p_yasa: np.ndarray, p_mae: np.ndarray, kappa_mae: float,
                    kappa_yasa: float = YASA_VALIDATION_KAPPA) -> np.ndarray:
    """Log-linear pool ``q ∝ p_yasa^w1 · p_mae^w2`` with ``w ∝ κ`` (clipped at 0): the
    better-validated source counts more. Rows where one source is NaN take the other."""
    k1, k2 = max(0.0, float(kappa_yasa)), max(0.0, float(kappa_mae or 0.0))
    if k1 + k2 <= 0:
        k1 = k2 = 1.0
    w1, w2 = k1 / (k1 + k2), k2 / (k1 + k2)
    a = np.asarray(p_yasa, np.float64)
    b = np.asarray(p_mae, np.float64)
    la = np.log(np.clip(a, 1e-6, 1))
    lb = np.log(np.clip(b, 1e-6, 1))
    s = w1 * la + w2 * lb
    s -= np.max(np.where(np.isfinite(s), s, -np.inf), 1, keepdims=True)
    q = np.exp(s)
    q /= q.sum(1, keepdims=True)
    only_a = np.isfinite(a).all(1) & ~np.isfinite(b).all(1)
    only_b = ~np.isfinite(a).all(1) & np.isfinite(b).all(1)
    q[only_a] = a[only_a]
    q[only_b] = b[only_b]
    return q.astype(np.float32)
