"""EEG and EOG derivations read by region, side and reference, for labels the alias table
does not list (``CZ-A1``, ``FP1-A1``, ``Pz-Oz``, ``EOG1-A1``, ``F3``).

A label is parsed into its electrodes (10-20 names, ``A1``/``A2`` ear and ``M1``/``M2``
mastoid references, ``E1``/``E2``/``LOC``/``ROC``/``EOG1``/``EOG2``). An EEG derivation's
region is that of its active electrode (for a bipolar pair the more central one: ``Fpz-Cz``
is central, ``Pz-Oz`` occipital), its side odd = left, even = right, ``z`` = midline. The
nearest canonical slot is the one of the same region, same side first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from engine.channels.aliases import normalise

_ELECTRODE = re.compile(r"^(FP|AF|F|FC|FT|C|CP|T|TP|P|PO|O)(\d{1,2}|Z)$")
_REFS = {"A1", "A2", "M1", "M2"}
_EOG = {"E1": "left", "E2": "right", "LOC": "left", "ROC": "right", "EOG1": "left", "EOG2": "right",
        "EOGL": "left", "EOGR": "right", "LEOG": "left", "REOG": "right"}
_PREFIXES = ("EEG-", "EOG-", "EMG-")

# region of an electrode family (temporal counts as central, parietal as occipital)
_REGION = {"FP": "frontal", "AF": "frontal", "F": "frontal", "FC": "central", "FT": "central",
           "C": "central", "CP": "central", "T": "central", "TP": "central", "P": "occipital",
           "PO": "occipital", "O": "occipital"}
_CENTRALITY = {"central": 0, "occipital": 1, "frontal": 2}

# canonical EEG / EOG slots by (region, side), nearest first
EEG_SLOTS = {
    ("central", "left"): ("EEG C3-M2", "EEG C4-M1"),
    ("central", "right"): ("EEG C4-M1", "EEG C3-M2"),
    ("central", "midline"): ("EEG C3-M2", "EEG C4-M1"),
    ("occipital", "left"): ("EEG O1-M2", "EEG O2-M1", "EEG CZ-O1"),
    ("occipital", "right"): ("EEG O2-M1", "EEG O1-M2", "EEG CZ-O1"),
    ("occipital", "midline"): ("EEG O1-M2", "EEG O2-M1", "EEG CZ-O1"),
    ("frontal", "left"): ("EEG F3-M2", "EEG F4-M1"),
    ("frontal", "right"): ("EEG F4-M1", "EEG F3-M2"),
    ("frontal", "midline"): ("EEG F3-M2", "EEG F4-M1"),
}
EOG_SLOTS = {"left": ("EOG LOC-M2", "EOG ROC-M1"), "right": ("EOG ROC-M1", "EOG LOC-M2"),
             "unknown": ("EOG LOC-M2", "EOG ROC-M1")}
# every EEG region falls back to the others, nearest region first (a one-EEG study is staged)
_REGION_ORDER = {"central": ("central", "frontal", "occipital"),
                 "occipital": ("occipital", "central", "frontal"),
                 "frontal": ("frontal", "central", "occipital")}


@dataclass(frozen=True)
class Derivation:
    kind: str  # "eeg" | "eog"
    active: str  # normalised active electrode ("CZ", "E1")
    reference: str | None  # "A1", "M2", "OZ", ... or None (referential / unknown)
    region: str  # central | occipital | frontal | eog
    side: str  # left | right | midline | unknown

    @property
    def ear_reference(self) -> bool:
        return self.reference in ("A1", "A2")

    def slots(self) -> tuple[str, ...]:
        """Canonical channels this derivation can stand in for, nearest first."""
        if self.kind == "eog":
            return EOG_SLOTS[self.side if self.side in EOG_SLOTS else "unknown"]
        out: list[str] = []
        for region in _REGION_ORDER[self.region]:
            for s in EEG_SLOTS[(region, self.side)]:
                if s not in out:
                    out.append(s)
        return tuple(out)

    def note_for(self, canonical: str) -> str:
        """Why this derivation stands in for ``canonical`` (e.g. "nearest central derivation")."""
        if self.kind == "eog":
            return f"{self.side} eye" if self.side != "unknown" else "EOG, eye side not named"
        fam_t = _family(canonical.split()[-1].split("-")[0]) or ""
        region_t = _REGION.get(fam_t, "")
        words = (f"nearest {self.region} derivation" if region_t == self.region
                 else f"{self.region} derivation, no {region_t} one")
        if self.ear_reference:
            words += ", ear reference for mastoid"
        return words


def _family(electrode: str) -> str | None:
    m = _ELECTRODE.match(electrode)
    return m.group(1) if m else None


def _side(electrode: str) -> str:
    m = _ELECTRODE.match(electrode)
    if not m:
        return "unknown"
    n = m.group(2)
    if n == "Z":
        return "midline"
    return "left" if int(n) % 2 else "right"


def _tokens(label: str) -> list[str]:
    n = normalise(label)
    for p in _PREFIXES:
        if n.startswith(p):
            n = n[len(p):]
            break
    n = re.sub(r"-?REF$", "", n)
    return [t for t in n.split("-") if t]


def parse_derivation(label: str) -> Derivation | None:
    """The derivation a label names, or None when it is not an EEG/EOG derivation."""
    norm = normalise(label)
    toks = _tokens(label)
    if not toks or len(toks) > 2:
        return None
    eog_prefix = norm.startswith("EOG")
    a = toks[0]
    b = toks[1] if len(toks) == 2 else None
    if a in _EOG or (eog_prefix and a not in _REFS and _family(a) is None):
        side = _EOG.get(a, "left" if a in ("L", "LEFT") else "right" if a in ("R", "RIGHT") else "unknown")
        return Derivation("eog", a, b, "eog", side)
    if b is not None and b not in _REFS and _family(b) is None:
        return None
    fa = _family(a)
    if fa is None:
        return None
    if eog_prefix:
        return None  # "EOG Fp1"? not something we guess at
    active, ref, fam = a, b, fa
    fb = _family(b) if b is not None else None
    if fb is not None and _CENTRALITY[_REGION[fb]] < _CENTRALITY[_REGION[fa]]:
        active, ref, fam = b or a, a, fb  # bipolar: the more central electrode leads
    return Derivation("eeg", active, ref, _REGION[fam], _side(active))
