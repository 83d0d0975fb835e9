"""Respiratory events, desaturations and arousals by the AASM rules (pediatric and
adult), from the recorded signals — no model, no Qt. See ``detect`` for the entry points
and each module for its rule."""

from engine.events.detect import (
           SOURCE,
           EventDetection,
           RuleEvent,
           detect_events,
           detect_study_events,
           events_job,
)
from engine.events.inputs import EventInput, Signal, event_input
from engine.events.rules import RULE_SETS, RuleSet, age_from_header, default_rule_set, rule_set

__all__ = ["SOURCE", "EventDetection", "RuleEvent", "detect_events", "detect_study_events", "events_job",
           "EventInput", "Signal", "event_input", "RULE_SETS", "RuleSet", "age_from_header", "default_rule_set",
           "rule_set"]
