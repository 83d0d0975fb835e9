"""Errors the user can act on. Their message is one clear line, shown as-is in the CLI
(stderr, non-zero exit) and in a GUI dialog.

A message never carries more than ``MAX_MESSAGE_CHARS`` characters (a damaged file's
bytes quoted in it are cut), and raw bytes are shown as short text, never as ``b'...'``.
"""

MAX_MESSAGE_CHARS = 400


def shorten(text: str, limit: int = MAX_MESSAGE_CHARS) -> str:
    """``text`` on one line, cut to ``limit`` characters with "…" when longer."""
    one = " ".join(str(text).split())
    if len(one) <= limit:
        return one
    cut = one[: max(0, limit - 1)]
    space = cut.rfind(" ")
    if space > limit - 30:  # end on a whole word when one ends nearby
        cut = cut[:space]
    return cut + "…"


def show_bytes(raw: bytes, limit: int = 40) -> str:
    """Raw bytes from a file as a short quoted text: printable characters as they are,
    the others as ``\\xNN``; cut to ``limit`` characters."""
    text = raw.decode("latin-1")
    out = "".join(c if c.isprintable() and ord(c) < 0x7F and c not in "'\\" else f"\\x{ord(c):02x}"
                  for c in text)
    if len(out) > limit:
        out = out[: limit - 1] + "…"
    return f"'{out}'"


class UserError(Exception):
    """Base for problems caused by input the user gave (a file, a setting)."""

    def __str__(self) -> str:
        return shorten(super().__str__())


class StudyError(UserError):
    """A recording cannot be read: not an EDF, truncated, lying header, ..."""


class CheckpointError(UserError):
    """A model file is not a checkpoint we can load."""


class ScoringFormatError(UserError):
    """A scoring/annotation file cannot be imported."""
