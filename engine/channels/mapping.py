"""Which signals of a study feed which canonical model channel.

A :class:`ChannelMap` holds, per canonical channel, either a direct source signal, a
derived difference of two referential signals (``C3`` − ``M2``), or nothing (missing:
the model masks it). Matches are ranked exact > derived > approximate; approximate
stand-ins (a Sleep-EDF ``Fpz-Cz`` for ``C3-M2``) are usable but marked.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from engine.channels.aliases import AliasTable, candidates, load_aliases
from engine.channels.canonical import CANONICAL_CHANNELS, CANONICAL_NAMES
from engine.channels.derivations import parse_derivation
from engine.channels.units import unit_factor


@dataclass(frozen=True)
class ChannelSource:
    canonical: str
    plus: str | None  # display label of the source signal (None: missing)
    minus: str | None = None  # display label subtracted (derived channel), else None
    how: str = "missing"  # exact | derived | approximate | manual | missing
    scale: float = 1.0  # unit conversion factor to the canonical unit
    note: str = ""  # why a stand-in was chosen, e.g. "nearest central derivation"

    @property
    def present(self) -> bool:
        return self.plus is not None

    def describe(self) -> str:
        """e.g. ``CZ-A1 ≈ (nearest central derivation, ear reference for mastoid)``."""
        if not self.present:
            return "missing"
        src = self.plus if self.minus is None else f"{self.plus} − {self.minus}"
        mark = " ≈" if self.how == "approximate" else ""
        note = f" ({self.note})" if self.note else ""
        return f"{src}{mark}{note}"

    def explain(self) -> str:
        """One line in the issue's words: ``C3-M2 ← CZ-A1, nearest central derivation``."""
        target = self.canonical.split(" ", 1)[-1] if self.canonical.startswith(("EEG ", "EOG ", "EMG ")) \
            else self.canonical
        if not self.present:
            return f"{target}: missing"
        src = self.plus if self.minus is None else f"{self.plus} − {self.minus}"
        return f"{target} ← {src}" + (f", {self.note}" if self.note else "")


@dataclass(frozen=True)
class ChannelMap:
    sources: tuple[ChannelSource, ...]  # one per canonical channel, canonical order
    profile: str | None = None  # name of the lab profile applied, if any

    def __getitem__(self, canonical: str) -> ChannelSource:
        return self.sources[CANONICAL_NAMES.index(canonical)]

    @property
    def present_mask(self) -> tuple[bool, ...]:
        return tuple(s.present for s in self.sources)

    @property
    def missing(self) -> tuple[str, ...]:
        return tuple(s.canonical for s in self.sources if not s.present)

    def with_source(self, source: ChannelSource) -> ChannelMap:
        i = CANONICAL_NAMES.index(source.canonical)
        srcs = list(self.sources)
        srcs[i] = source
        return replace(self, sources=tuple(srcs), profile=None)

    def canonical_of(self, display_label: str) -> str | None:
        for s in self.sources:
            if s.plus == display_label:
                return s.canonical
        return None

    def to_dict(self) -> dict:
        return {s.canonical: {"plus": s.plus, "minus": s.minus, "how": s.how, "scale": s.scale,
                              **({"note": s.note} if s.note else {})}
                for s in self.sources}

    @classmethod
    def from_dict(cls, d: dict, profile: str | None = None) -> ChannelMap:
        srcs = []
        for name in CANONICAL_NAMES:
            e = d.get(name) or {}
            srcs.append(ChannelSource(name, e.get("plus"), e.get("minus"), e.get("how", "missing")
                                      if e.get("plus") else "missing", float(e.get("scale", 1.0)),
                                      str(e.get("note", "")) if e.get("plus") else ""))
        return cls(tuple(srcs), profile)


@dataclass(frozen=True)
class LabelInfo:
    """What the mapper needs of one signal."""

    display_label: str
    unit: str = ""
    sfreq_hz: float = 0.0


def _rank_lookup(table: dict[str, str], label: str) -> tuple[str, int] | None:
    keys = list(table)
    for c in candidates(label):
        if c in table:
            return table[c], keys.index(c)
    return None


def map_labels(labels: list[LabelInfo], aliases: AliasTable | None = None) -> ChannelMap:
    """Automatic mapping from signal labels (and units, for the scale)."""
    aliases = aliases or load_aliases()
    usable = [lb for lb in labels if not aliases.is_ignored(lb.display_label)]
    best: dict[str, tuple[tuple, ChannelSource]] = {}

    def offer(canon: str, rank: tuple, src: ChannelSource) -> None:
        if canon not in best or rank < best[canon][0]:
            best[canon] = (rank, src)

    by_norm: dict[str, LabelInfo] = {}
    for lb in usable:
        for c in candidates(lb.display_label):
            by_norm.setdefault(c, lb)
    for lb in usable:
        canon_kind = None
        hit = _rank_lookup(aliases.exact, lb.display_label)
        if hit:
            canon, idx = hit
            canon_kind = canon
            offer(canon, (0, idx, -lb.sfreq_hz), ChannelSource(
                canon, lb.display_label, None, "exact", canonical_scale(canon, lb.unit)))
        hit = _rank_lookup(aliases.approximate, lb.display_label)
        if hit and hit[0] != canon_kind:
            canon, idx = hit
            offer(canon, (2, idx, -lb.sfreq_hz), ChannelSource(
                canon, lb.display_label, None, "approximate", canonical_scale(canon, lb.unit)))
    for canon, pairs in aliases.derive.items():
        for idx, (p, m) in enumerate(pairs):
            if p in by_norm and m in by_norm:
                plus, minus = by_norm[p], by_norm[m]
                if plus.sfreq_hz and minus.sfreq_hz and plus.sfreq_hz != minus.sfreq_hz:
                    continue
                offer(canon, (1, idx, -plus.sfreq_hz), ChannelSource(
                    canon, plus.display_label, minus.display_label, "derived",
                    canonical_scale(canon, plus.unit)))
    # one signal feeds one canonical channel at most: exact claims beat approximate ones
    taken: dict[str | None, tuple] = {}
    result = {}
    for canon, (rank, src) in sorted(best.items(), key=lambda kv: kv[1][0]):
        if src.how != "derived" and src.plus in taken and rank[0] > 0:
            continue
        taken.setdefault(src.plus, rank)
        result[canon] = src
    _by_region(usable, result)
    return ChannelMap(tuple(result.get(n, ChannelSource(n, None)) for n in CANONICAL_NAMES))


def _by_region(usable: list[LabelInfo], result: dict[str, ChannelSource]) -> None:
    """EEG/EOG derivations the alias table does not list (``CZ-A1``, ``FP1-A1``,
    ``EOG1-A1``) fill the nearest free canonical slot by region, side and reference
    (engine.channels.derivations); approximate stand-ins get a note saying why."""
    used = {s.plus for s in result.values()} | {s.minus for s in result.values() if s.minus}
    for canon, src in list(result.items()):
        if src.how == "approximate" and src.minus is None and not src.note and src.plus:
            d = parse_derivation(src.plus)
            if d is not None and canon in d.slots():
                result[canon] = replace(src, note=d.note_for(canon))
    for lb in usable:
        if lb.display_label in used:
            continue
        d = parse_derivation(lb.display_label)
        if d is None:
            continue
        free = [s for s in d.slots() if s not in result]
        if not free:
            continue
        canon = free[0]
        result[canon] = ChannelSource(canon, lb.display_label, None, "approximate",
                                      canonical_scale(canon, lb.unit), d.note_for(canon))
        used.add(lb.display_label)


def canonical_scale(canonical: str, unit: str) -> float:
    """Factor converting a signal in ``unit`` to the canonical channel's unit."""
    target = CANONICAL_CHANNELS[CANONICAL_NAMES.index(canonical)].unit
    return unit_factor(unit, target)


def map_study(study, profiles=None) -> ChannelMap:
    """Mapping for an open :class:`engine.io.Study`: a saved lab profile whose labels match
    wins; otherwise the automatic mapping."""
    infos = [LabelInfo(s.display_label, s.unit, s.sfreq_hz) for s in study.signals]
    if profiles is not None:
        prof = profiles.find_for([i.display_label for i in infos])
        if prof is not None:
            return prof.apply([i.display_label for i in infos], infos)
    return map_labels(infos)


def signal_kind(display_label: str, unit: str = "", chmap: ChannelMap | None = None) -> str:
    """Kind of any signal for display defaults (filters, scale): one of
    engine.channels.types.KINDS, from its label and unit (engine.channels.types.classify);
    a label the types do not know takes the kind of the canonical channel it is mapped to."""
    from engine.channels.types import classify

    kind = classify(display_label, unit).kind
    if kind == "other" and chmap is not None:
        canon = chmap.canonical_of(display_label)
        if canon:
            return CANONICAL_CHANNELS[CANONICAL_NAMES.index(canon)].kind
    return kind
