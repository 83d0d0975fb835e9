"""Errors the user can act on. Their message is one clear line, shown as-is in the CLI
(stderr, non-zero exit) and in a GUI dialog."""


class UserError(Exception):
    """Base for problems caused by input the user gave (a file, a setting)."""


class StudyError(UserError):
    """A recording cannot be read: not an EDF, truncated, lying header, ..."""


class CheckpointError(UserError):
    """A model file is not a checkpoint we can load."""


class ScoringFormatError(UserError):
    """A scoring/annotation file cannot be imported."""
