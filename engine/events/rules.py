"""The AASM rule sets for respiratory events, as data.

Numbers are those of the AASM Manual for the Scoring of Sleep and Associated Events
(v2.6): adult rules (apnea >= 90 % drop for >= 10 s; hypopnea >= 30 % drop for >= 10 s
with >= 3 % desaturation or an arousal — the "1A" rule — or, in the alternative "1B"
rule, >= 4 % desaturation only) and pediatric rules (apnea >= 90 % drop for >= 2 breaths;
central apnea >= 20 s, or >= 2 breaths with an arousal or >= 3 % desaturation; hypopnea
>= 30 % drop for >= 2 breaths with >= 3 % desaturation or an arousal). AASM lets a lab
score a 13-18-year-old by either; the default here is pediatric below 18 years and when
the age is not known (this is a pediatric tool).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from engine.errors import UserError

__all__ = ["RuleSet", "RULE_SETS", "rule_set", "default_rule_set", "age_from_header"]


@dataclass(frozen=True)
class RuleSet:
    name: str
    pediatric: bool
    apnea_drop_pct: float = 90.0  # peak excursion drop vs the pre-event baseline
    hypopnea_drop_pct: float = 30.0
    min_duration_s: float = 10.0  # adult: every event; pediatric: ignored (breaths count)
    min_breaths: float = 2.0  # pediatric: duration in baseline breath periods
    central_min_s: float = 20.0  # pediatric: a central apnea this long needs nothing else
    desat_pct: float = 3.0  # a hypopnea's desaturation
    hypopnea_arousal: bool = True  # an arousal can qualify a hypopnea
    desat_lag_s: float = 30.0  # the desaturation's nadir may follow the event's end by this
    arousal_lag_s: float = 5.0  # an arousal may start this long after the event's end

    def min_event_s(self, breath_period_s: float) -> float:
        """Shortest scorable event given the baseline breath period."""
        if self.pediatric:
            return self.min_breaths * breath_period_s
        return self.min_duration_s

    def describe(self) -> str:
        if self.pediatric:
            return (f"{self.name}: apnea >= {self.apnea_drop_pct:g} % drop for >= {self.min_breaths:g} breaths; "
                    f"central apnea >= {self.central_min_s:g} s or >= {self.min_breaths:g} breaths with "
                    f"arousal / >= {self.desat_pct:g} % desaturation; hypopnea >= {self.hypopnea_drop_pct:g} % "
                    f"drop for >= {self.min_breaths:g} breaths with >= {self.desat_pct:g} % desaturation or arousal")
        hyp = (f">= {self.desat_pct:g} % desaturation or arousal" if self.hypopnea_arousal
               else f">= {self.desat_pct:g} % desaturation")
        return (f"{self.name}: apnea >= {self.apnea_drop_pct:g} % drop for >= {self.min_duration_s:g} s; "
                f"hypopnea >= {self.hypopnea_drop_pct:g} % drop for >= {self.min_duration_s:g} s with {hyp}")


RULE_SETS: dict[str, RuleSet] = {
    "aasm-pediatric": RuleSet("aasm-pediatric", pediatric=True),
    "aasm-adult": RuleSet("aasm-adult", pediatric=False),  # 3 % or arousal (AASM 1A)
    "aasm-adult-4": RuleSet("aasm-adult-4", pediatric=False, desat_pct=4.0, hypopnea_arousal=False),  # 1B
}


def rule_set(name: str | RuleSet) -> RuleSet:
    if isinstance(name, RuleSet):
        return name
    try:
        return RULE_SETS[str(name)]
    except KeyError:
        raise UserError(f"unknown rule set {name!r}; choose one of {', '.join(RULE_SETS)}") from None


def age_from_header(patient: str, start=None) -> float | None:
    """Age in years from an EDF(+) patient field: an explicit ``age_7y`` / ``Age: 7``, or
    the EDF+ birthdate subfield (``dd-MMM-yyyy``) against the recording start. None when
    the header does not say (anonymised files mostly do not)."""
    text = str(patient or "")
    m = re.search(r"\bage[_:= ]*(\d+(?:\.\d+)?)\s*(?:y|yr|years?)?\b", text, re.IGNORECASE)
    if m:
        return float(m.group(1))
    if start is not None:
        from engine.io.edf_header import parse_edf_plus_date

        m = re.search(r"\b\d{2}-[A-Za-z]{3}-\d{4}\b", text)
        born = parse_edf_plus_date(m.group(0)) if m else None
        if born is not None:
            day = start.date() if hasattr(start, "date") else start
            years = (day - born).days / 365.25
            if 0 <= years < 120:
                return round(years, 2)
    return None


def default_rule_set(age_years: float | None) -> RuleSet:
    """Pediatric below 18 years or when the age is unknown, else adult (3 %/arousal)."""
    if age_years is not None and age_years >= 18:
        return RULE_SETS["aasm-adult"]
    return RULE_SETS["aasm-pediatric"]
