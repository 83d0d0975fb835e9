"""AASM minimum durations of the events a scorer draws by hand (AASM Manual v2.6).

A drag shorter than its type's minimum is probably a slip of the mouse; the GUI asks
before creating it. ``None`` means the rule is not a fixed number of seconds (pediatric
obstructive apneas and hypopneas last at least two breaths; a desaturation is defined
by its depth, not its length), so nothing is asked.
"""

from __future__ import annotations

from engine.scoring.labels import EventType

# type -> (adult minimum s, pediatric minimum s); None: no fixed-seconds rule
MIN_DURATION_S: dict[str, tuple[float | None, float | None]] = {
    EventType.AROUSAL: (3.0, 3.0),  # abrupt EEG frequency shift of at least 3 s
    EventType.OBSTRUCTIVE_APNEA: (10.0, None),  # pediatric: at least 2 missed breaths
    EventType.MIXED_APNEA: (10.0, None),
    EventType.CENTRAL_APNEA: (10.0, 20.0),  # pediatric: >= 20 s (or 2 breaths + arousal/desat)
    EventType.HYPOPNEA: (10.0, None),  # pediatric: at least 2 breaths
    EventType.APNEA: (10.0, None),
    EventType.DESATURATION: (None, None),  # >= 3 % drop, any length
}

RULE_TEXT: dict[str, str] = {
    EventType.AROUSAL: "an arousal lasts at least 3 s",
    EventType.OBSTRUCTIVE_APNEA: "an apnea lasts at least 10 s (adults) or 2 breaths (children)",
    EventType.MIXED_APNEA: "an apnea lasts at least 10 s (adults) or 2 breaths (children)",
    EventType.CENTRAL_APNEA: "a central apnea lasts at least 10 s (adults) or 20 s (children)",
    EventType.HYPOPNEA: "a hypopnea lasts at least 10 s (adults) or 2 breaths (children)",
    EventType.APNEA: "an apnea lasts at least 10 s (adults) or 2 breaths (children)",
}


def event_min_duration_s(type_: str, *, pediatric: bool = False) -> float | None:
    """The AASM minimum duration of ``type_`` in seconds, or None when there is no
    fixed-seconds rule for it (or the type is not one we know)."""
    adult, child = MIN_DURATION_S.get(type_, (None, None))
    return child if pediatric else adult


def shorter_than_minimum(type_: str, duration_s: float, *, pediatric: bool = False) -> str | None:
    """A one-line explanation when ``duration_s`` is below the type's minimum, else None."""
    m = event_min_duration_s(type_, pediatric=pediatric)
    if m is None or duration_s >= m - 1e-9:
        return None
    rule = RULE_TEXT.get(type_, f"a {type_.lower()} lasts at least {m:g} s")
    return f"{duration_s:.1f} s is shorter than the AASM minimum: {rule}."
