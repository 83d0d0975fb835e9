"""The model as a second opinion on the rules' events, and only where it has earned it.

The MAE event heads may add candidates the rules did not find — a model event that
overlaps a rule event of the same family (respiratory, desaturation, arousal) is left out,
so one apnea is never counted twice — only when the loaded model's metadata says its
probes (stage probe and event heads) were fitted on real scorings: ``fitted_on["kind"] == "real"`` (engine.model.checkpoint; read with
engine.staging.model_fitted_on; files that do not say count as not). The shipped starter model was fitted on generated nights only: on a real
study its event suggestions are off — it once called a CPAP night's flow-only apneas
"central, 100 %". On a night from our own generator (``PedSleep_synth`` in the header),
the domain it was fitted on, it stays on.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from engine.scoring.labels import EventType

__all__ = ["REAL", "fitted_on_real", "is_generated_study", "model_events_allowed", "model_events_beside_rules",
           "MODEL_SOURCE"]

REAL = "real"
MODEL_SOURCE = "model"
_FAMILY = {
    EventType.OBSTRUCTIVE_APNEA: "resp", EventType.CENTRAL_APNEA: "resp", EventType.MIXED_APNEA: "resp",
    EventType.APNEA: "resp", EventType.HYPOPNEA: "resp", EventType.POSSIBLE_RESPIRATORY: "resp",
    EventType.DESATURATION: "desat", EventType.AROUSAL: "arousal",
}


def fitted_on_real(model) -> bool:
    """Whether a model's probes were fitted on real scorings (its metadata says so).
    ``model``: a ModelRunner, LoadedModel or a dict of model metadata (``{"fitted_on":
    {...}}``); None: no model."""
    from engine.staging.sources import model_fitted_on

    return model is not None and model_fitted_on(model).get("kind") == REAL


def is_generated_study(study) -> bool:
    """A night written by ``pedsleep synth`` (its EDF header says ``PedSleep_synth``)."""
    return "pedsleep_synth" in str(getattr(study, "recording", "") or "").lower()


def model_events_allowed(model, study=None, *, generated: bool | None = None) -> bool:
    """Model event suggestions are shown when the heads were fitted on real scorings, or
    on a generated night (the domain a synthetic-only model knows)."""
    if fitted_on_real(model):
        return True
    return bool(generated) if generated is not None else (study is not None and is_generated_study(study))


def _overlap(a0, a1, b0, b1) -> float:
    return max(0.0, min(a1, b1) - max(a0, b0))


def _span(e: Any) -> tuple[str | None, float, float]:
    if isinstance(e, Mapping):
        type_, onset_s, duration_s = e["type"], float(e["onset_s"]), float(e["duration_s"])
    else:
        type_, onset_s, duration_s = e.type, float(e.onset_s), float(e.duration_s)
    return _FAMILY.get(str(type_)), onset_s, onset_s + duration_s


def model_events_beside_rules(model_events: Iterable, rule_events: Iterable) -> list:
    """The model's events that overlap no rule event of the same family (suggestion dicts
    or events with ``type``/``onset_s``/``duration_s``): the rules speak first, the model
    adds only what they did not find."""
    rules = [_span(r) for r in rule_events]
    out = []
    for m in model_events:
        fam, m0, m1 = _span(m)
        if not any(f == fam and _overlap(m0, m1, r0, r1) > 0 for f, r0, r1 in rules):
            out.append(m)
    return out
