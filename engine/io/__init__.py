"""Reading recordings: EDF, EDF+C, EDF+D, BDF, BDF+ (lazy, cached, validated)."""

from engine.io.study import Annotation, SignalInfo, Study, open_study

__all__ = ["Annotation", "SignalInfo", "Study", "open_study"]
