"""Label normalisation and the alias table shipped in resources/channel_aliases.json."""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from pathlib import Path

ALIAS_FILE = Path(__file__).resolve().parents[2] / "resources" / "channel_aliases.json"

_TYPE_WORDS = ("EEG-", "EOG-", "EMG-", "RESP-", "ECG-", "RESPIRATION-", "SIGNAL-")
_PERIOD_SUFFIX = re.compile(r"-\d+(MS|S)$")  # ResMed "Flow.40ms", "SpO2.1s"


def normalise(label: str) -> str:
    s = label.strip().upper()
    s = re.sub(r"[\s:_/.\u2013\u2014]+", "-", s)
    s = re.sub(r"-+", "-", s).strip("-")
    return s


def candidates(label: str) -> list[str]:
    """The normalised label and its variants without type word and period suffix."""
    n = normalise(label)
    out = [n]
    stripped = _PERIOD_SUFFIX.sub("", n)
    out.append(stripped)
    for s in list(out):
        for w in _TYPE_WORDS:
            if s.startswith(w):
                out.append(s[len(w):])
    seen, uniq = set(), []
    for s in out:
        if s and s not in seen:
            seen.add(s)
            uniq.append(s)
    return uniq


@dataclass(frozen=True)
class AliasTable:
    exact: dict[str, str]  # normalised alias -> canonical name
    approximate: dict[str, str]
    derive: dict[str, tuple[tuple[str, str], ...]]  # canonical -> (plus, minus) pairs
    ignore_tokens: tuple[str, ...]

    def is_ignored(self, label: str) -> bool:
        """Impedance and calibration channels never map to a model channel."""
        n = normalise(label)
        parts = set(n.split("-"))
        return any(t in parts or n.endswith(t) for t in self.ignore_tokens) or "IMP" in n


@functools.lru_cache(maxsize=4)
def load_aliases(path: str | None = None) -> AliasTable:
    data = json.loads(Path(path or ALIAS_FILE).read_text(encoding="utf-8"))
    exact: dict[str, str] = {}
    approx: dict[str, str] = {}
    derive: dict[str, tuple[tuple[str, str], ...]] = {}
    for canon, spec in data["channels"].items():
        for a in spec.get("exact", []):
            exact.setdefault(normalise(a), canon)
        for a in spec.get("approximate", []):
            approx.setdefault(normalise(a), canon)
        derive[canon] = tuple((normalise(p), normalise(m)) for p, m in spec.get("derive", []))
        exact.setdefault(normalise(canon), canon)
    return AliasTable(exact, approx, derive, tuple(normalise(t) for t in data.get("ignore", [])))
