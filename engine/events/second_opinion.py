"""The model as a second opinion on the rules' events, and only where it has earned it.

The MAE event heads may add candidates the rules did not find, or re-rank the rules'
ones (their confidence goes into the event's ``attrs["model_confidence"]``), only when
the loaded model's metadata says its probes (stage probe and event heads) were fitted on
real scorings: ``fitted_on["kind"] == "real"`` (engine.model.checkpoint; read with
engine.staging.model_fitted_on; files that do not say count as not). The shipped starter model was fitted on generated nights only: on a real
study its event suggestions are off — it once called a CPAP night's flow-only apneas
"central, 100 %". On a night from our own generator (``PedSleep_synth`` in the header),
the domain it was fitted on, it stays on.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from engine.scoring.labels import EventType

__all__ = ["REAL", "fitted_on_real", "is_generated_study", "model_events_allowed", "merge_model_events",
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


def merge_model_events(rule_events: Iterable[Mapping], model_events: Iterable[Mapping]) -> list[dict]:
    """Rule events (suggestion dicts) with the model's opinion: a model event overlapping
    a rule event of the same family re-ranks it (``attrs["model_confidence"]``, the
    highest overlapping one); a model event overlapping none is added as its own
    suggestion with ``attrs["source"] = "model"``."""
    rules = [dict(e, attrs=dict(e.get("attrs") or {})) for e in rule_events]
    added = []
    for m in model_events:
        fam = _FAMILY.get(m["type"])
        m0, m1 = float(m["onset_s"]), float(m["onset_s"]) + float(m["duration_s"])
        hit = False
        for r in rules:
            if _FAMILY.get(r["type"]) != fam:
                continue
            r0 = float(r["onset_s"])
            if _overlap(m0, m1, r0, r0 + float(r["duration_s"])) > 0:
                c = m.get("confidence")
                if c is not None:
                    r["attrs"]["model_confidence"] = max(float(c), float(r["attrs"].get("model_confidence", 0.0)))
                    r["attrs"]["model_type"] = m["type"]
                hit = True
        if not hit:
            d = dict(m)
            d["attrs"] = dict(m.get("attrs") or {}, source=MODEL_SOURCE)
            added.append(d)
    return rules + added
