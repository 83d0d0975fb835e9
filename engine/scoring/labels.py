"""Scoring vocabulary: stages, provenance, event types, and the mapping of the labels that
other tools write (R&K, AASM, French Noxturnal, WFDB/MIT-BIH, UCDDB, NSRR) onto it.

Stages are small ints so a night fits in a numpy array (``int8``): ``W=0, N1=1, N2=2,
N3=3, R=4`` (the order of the model's 5-class stage head) and ``UNSCORED=-1``.
Unscored is *not* Wake.
"""

from __future__ import annotations

import enum
import re
import unicodedata

from engine.channels.canonical import EPOCH_S

__all__ = [
    "EPOCH_S",
    "Stage",
    "Provenance",
    "STAGE_NAMES",
    "SCORED_STAGES",
    "EventType",
    "stage_label",
    "stage_from_text",
    "event_type_from_text",
    "normalize_text",
]


class Stage(enum.IntEnum):
    UNSCORED = -1
    W = 0
    N1 = 1
    N2 = 2
    N3 = 3
    R = 4

    @property
    def short(self) -> str:
        """``W``, ``N1``, ``N2``, ``N3``, ``R`` or ``?``."""
        return "?" if self is Stage.UNSCORED else self.name


SCORED_STAGES: tuple[Stage, ...] = (Stage.W, Stage.N1, Stage.N2, Stage.N3, Stage.R)
STAGE_NAMES: tuple[str, ...] = tuple(s.short for s in SCORED_STAGES)  # W N1 N2 N3 R
N_STAGE_CLASSES = 5


class Provenance(str, enum.Enum):
    HUMAN = "human"
    MODEL = "model"  # a pending suggestion
    MODEL_ACCEPTED = "model-accepted"
    MODEL_REJECTED = "model-rejected"
    IMPORTED = "imported"

    def __str__(self) -> str:  # pragma: no cover - cosmetic
        return self.value


# Provenance codes used in numpy arrays and in the journal.
PROVENANCE_CODES: tuple[Provenance, ...] = tuple(Provenance)
PROVENANCE_INDEX: dict[Provenance, int] = {p: i for i, p in enumerate(PROVENANCE_CODES)}


class EventType:
    """Canonical event type strings (the exported EDF+ text, docs/architecture.md vocabulary first).

    Types are plain strings so that an imported label we do not know survives as itself.
    """

    OBSTRUCTIVE_APNEA = "Obstructive apnea"
    CENTRAL_APNEA = "Central apnea"
    MIXED_APNEA = "Mixed apnea"
    HYPOPNEA = "Hypopnea"
    DESATURATION = "Oxygen desaturation"
    AROUSAL = "Arousal"
    # beyond the docs/architecture.md export vocabulary, kept because real files carry them
    APNEA = "Apnea"  # type unknown: "Apnea (unclassified)" (no effort channel to tell)
    MOVEMENT_TIME = "Movement time"
    LIMB_MOVEMENT = "Limb movement"
    PERIODIC_LIMB_MOVEMENT = "Periodic limb movement"
    PERIODIC_BREATHING = "Periodic breathing"
    POSSIBLE_RESPIRATORY = "Possible respiratory event"
    HYPOVENTILATION = "Hypoventilation"  # PCO2 above the AASM limit (engine.events.capno)
    ARTIFACT = "Artifact"

    APNEAS = (OBSTRUCTIVE_APNEA, CENTRAL_APNEA, MIXED_APNEA, APNEA)
    RESPIRATORY = (OBSTRUCTIVE_APNEA, CENTRAL_APNEA, MIXED_APNEA, APNEA, HYPOPNEA)
    # what the model's event head predicts (the MAE event head)
    MODEL_TYPES = (OBSTRUCTIVE_APNEA, CENTRAL_APNEA, HYPOPNEA, DESATURATION, AROUSAL)


def stage_label(stage: int) -> str:
    """EDF+ export text for a stage: ``Sleep stage W|N1|N2|N3|R|?``."""
    return f"Sleep stage {Stage(int(stage)).short}"


def normalize_text(text: str) -> str:
    """Lower case, accents stripped, inner whitespace collapsed."""
    text = unicodedata.normalize("NFKD", str(text))
    text = "".join(c for c in text if not unicodedata.combining(c))
    return re.sub(r"\s+", " ", text).strip().lower()


# Stage words after "sleep stage " / "stage " prefixes are removed.
_STAGE_WORDS: dict[str, Stage] = {
    "w": Stage.W,
    "wake": Stage.W,
    "awake": Stage.W,
    "eveil": Stage.W,  # Noxturnal French
    "0": Stage.W,
    "1": Stage.N1,
    "n1": Stage.N1,
    "s1": Stage.N1,
    "stage 1 sleep": Stage.N1,
    "2": Stage.N2,
    "n2": Stage.N2,
    "s2": Stage.N2,
    "3": Stage.N3,  # R&K stage 3 -> AASM N3
    "4": Stage.N3,  # R&K stage 4 -> AASM N3
    "n3": Stage.N3,
    "n4": Stage.N3,
    "s3": Stage.N3,
    "s4": Stage.N3,
    "r": Stage.R,
    "rem": Stage.R,
    "rem sleep": Stage.R,
    "sommeil paradoxal": Stage.R,
    "sp": Stage.R,
    "?": Stage.UNSCORED,
    "unscored": Stage.UNSCORED,
    "unknown": Stage.UNSCORED,
    "u": Stage.UNSCORED,
    "nan": Stage.UNSCORED,
    "": Stage.UNSCORED,
    "artifact": Stage.UNSCORED,
    "artefact": Stage.UNSCORED,
    "indeterminate": Stage.UNSCORED,
}


def stage_from_text(text: str, *, bare: bool = False) -> Stage | None:
    """The stage a label names, or None when it is not a stage label.

    ``Sleep stage 3`` and ``Sleep stage 4`` (R&K) both give N3. With ``bare=False`` only
    labels that say "stage" / "sleep" (``Sleep stage N2``, ``Stage 2 sleep``,
    ``Wake|0``, ``REM sleep|5``) are stages; with ``bare=True`` a bare code (``2``,
    ``N2``, ``W``, ``REM``) is accepted too — for hypnogram files whose column holds
    nothing but stages.
    """
    t = normalize_text(text)
    if "|" in t:  # NSRR EventConcept "Stage 1 sleep|1"
        t = t.split("|", 1)[0].strip()
    for prefix in ("sleep stage ", "sleep_stage_", "stage "):
        if t.startswith(prefix):
            rest = t[len(prefix) :].strip()
            rest = re.sub(r"\s*sleep$", "", rest)
            return _STAGE_WORDS.get(rest)
    m = re.fullmatch(r"stage (\d) sleep", t)
    if m:
        return _STAGE_WORDS.get(m.group(1))
    if t in ("wake", "rem sleep", "unscored", "movement|6"):
        return _STAGE_WORDS.get(t)
    if bare:
        return _STAGE_WORDS.get(t)
    return None


_EVENT_WORDS: dict[str, str] = {
    # English / NSRR / ResMed
    "obstructive apnea": EventType.OBSTRUCTIVE_APNEA,
    "obstructive apnoea": EventType.OBSTRUCTIVE_APNEA,
    "apnea obstructive": EventType.OBSTRUCTIVE_APNEA,
    "central apnea": EventType.CENTRAL_APNEA,
    "central apnoea": EventType.CENTRAL_APNEA,
    "apnea central": EventType.CENTRAL_APNEA,
    "mixed apnea": EventType.MIXED_APNEA,
    "mixed apnoea": EventType.MIXED_APNEA,
    "apnea mixed": EventType.MIXED_APNEA,
    "apnea": EventType.APNEA,
    "apnea (unclassified)": EventType.APNEA,
    "unclassified apnea": EventType.APNEA,
    "apnea unclassified": EventType.APNEA,
    "apnoea": EventType.APNEA,
    "hypopnea": EventType.HYPOPNEA,
    "hypopnoea": EventType.HYPOPNEA,
    "obstructive hypopnea": EventType.HYPOPNEA,
    "central hypopnea": EventType.HYPOPNEA,
    "mixed hypopnea": EventType.HYPOPNEA,
    "oxygen desaturation": EventType.DESATURATION,
    "spo2 desaturation": EventType.DESATURATION,
    "desaturation": EventType.DESATURATION,
    "arousal": EventType.AROUSAL,
    "arousal ()": EventType.AROUSAL,
    "asda arousal": EventType.AROUSAL,
    "movement time": EventType.MOVEMENT_TIME,
    "limb movement": EventType.LIMB_MOVEMENT,
    "limb movement (left)": EventType.LIMB_MOVEMENT,
    "limb movement (right)": EventType.LIMB_MOVEMENT,
    "periodic limb movement": EventType.PERIODIC_LIMB_MOVEMENT,
    "periodic breathing": EventType.PERIODIC_BREATHING,
    "hypoventilation": EventType.HYPOVENTILATION,
    "obstructive hypoventilation": EventType.HYPOVENTILATION,
    # French (Noxturnal)
    "a. obstructive": EventType.OBSTRUCTIVE_APNEA,
    "apnee obstructive": EventType.OBSTRUCTIVE_APNEA,
    "a. centrale": EventType.CENTRAL_APNEA,
    "apnee centrale": EventType.CENTRAL_APNEA,
    "a. mixte": EventType.MIXED_APNEA,
    "apnee mixte": EventType.MIXED_APNEA,
    "hypopnee": EventType.HYPOPNEA,
    "desat": EventType.DESATURATION,
    "desaturation en o2": EventType.DESATURATION,
    "micro-eveil": EventType.AROUSAL,
    "micro eveil": EventType.AROUSAL,
    "mj": EventType.LIMB_MOVEMENT,  # mouvement de jambe
    "plm": EventType.PERIODIC_LIMB_MOVEMENT,
    "artefact": EventType.ARTIFACT,
    "artifact": EventType.ARTIFACT,
}


def event_type_from_text(text: str) -> str:
    """Canonical event type for a label; an unknown label is returned stripped, as is."""
    t = normalize_text(text)
    if "|" in t:  # NSRR "Obstructive apnea|Obstructive Apnea" -> left part
        left = t.split("|", 1)[0].strip()
        if left in _EVENT_WORDS:
            return _EVENT_WORDS[left]
        right = t.split("|", 1)[1].strip()
        if right in _EVENT_WORDS:
            return _EVENT_WORDS[right]
        return str(text).split("|", 1)[0].strip()
    if t in _EVENT_WORDS:
        return _EVENT_WORDS[t]
    if t.startswith("arousal"):
        return EventType.AROUSAL
    return str(text).strip()
