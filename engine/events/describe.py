"""Plain-text lines saying why an event is there: the rule that admitted it and what was
measured (an event's ``attrs`` from engine.events), for tooltips and reports."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["event_terms_lines"]

# attrs key -> how it reads
_TERMS: tuple[tuple[str, str], ...] = (
    ("drop_pct", "flow drop {v:g} %"),
    ("breaths", "{v:g} breaths"),
    ("baseline_breath_s", "baseline breath {v:g} s"),
    ("desat_pct", "desaturation {v:g} %"),
    ("desat_drop_pct", "SpO2 fall {v:g} %"),
    ("nadir_pct", "nadir {v:g} %"),
    ("effort_absent_pct", "effort absent over {v:g} %"),
    ("arousal_onset_s", "arousal at {v:g} s"),
    ("eeg_fast_share_x", "EEG alpha/beta share x{v:g}"),
    ("chin_emg_x", "chin EMG x{v:g}"),
    ("etco2_max_mmhg", "PCO2 up to {v:g} mmHg"),
    ("etco2_over_50_pct", "PCO2 > 50 mmHg over {v:g} % of sleep"),
)


def event_terms_lines(attrs: Mapping[str, Any] | None) -> list[str]:
    """``["Rule: …", "Measured: flow drop 93 %, 2.9 breaths, …"]`` (empty without attrs)."""
    if not attrs:
        return []
    out = []
    if attrs.get("source") == "aasm-rules":
        out.append("Suggested by the AASM rules (not the model)")
    if attrs.get("rule"):
        rule, rule_set = str(attrs["rule"]), attrs.get("rule_set")
        out.append(f"Rule: {rule}" if not rule_set or str(rule_set) in rule else f"Rule: {rule_set}, {rule}")
    seen = set()
    terms = []
    for key, fmt in _TERMS:
        v = attrs.get(key)
        if v is None or key in seen:
            continue
        if key == "desat_drop_pct" and "desat_pct" in attrs:
            continue
        try:
            terms.append(fmt.format(v=float(v)))
        except (TypeError, ValueError):
            continue
        seen.add(key)
    if attrs.get("effort"):
        terms.append(str(attrs["effort"]))
    if terms:
        out.append("Measured: " + ", ".join(terms))
    if attrs.get("source") == "model":
        out.append("From the model (a second opinion)")
    return out
